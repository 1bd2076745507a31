"""Hypothesis settings for fuzz tests: bounded and reproducible under `make test`, long with HYPOTHESIS_PROFILE=fuzz.

Each fuzz test says how many examples it runs by default (a few seconds); ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``)
multiplies that and draws new random examples on every run instead of the same derandomized ones.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FUZZ_PROFILE = "fuzz"
FUZZ_MULTIPLIER = 50


def fuzzing() -> bool:
    """True when the long fuzz profile is selected (``HYPOTHESIS_PROFILE=fuzz``)."""
    return os.environ.get("HYPOTHESIS_PROFILE") == FUZZ_PROFILE


def fuzz_settings(max_examples: int) -> settings:
    """``max_examples`` derandomized examples by default; ``FUZZ_MULTIPLIER`` times as many random ones when fuzzing.

    No deadline (the machine is shared; timing is not what these tests check), and function-scoped fixtures are
    allowed: the backend they set up is reset by each request, not by each example.
    """
    long_run = fuzzing()
    return settings(
        max_examples=max_examples * FUZZ_MULTIPLIER if long_run else max_examples,
        derandomize=not long_run,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        print_blob=True,
    )
