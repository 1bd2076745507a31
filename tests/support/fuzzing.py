"""Hypothesis settings, in one place: the profile every property test runs under, and per-test example counts.

Two profiles, chosen by ``HYPOTHESIS_PROFILE``: ``bounded`` (the default; ``make test``) runs a few seconds per
property, ``fuzz`` (``make fuzz``) runs the tests marked ``fuzz`` with many more examples. ``tests/conftest.py``
loads the profile through :func:`load_profile`. A test that needs its own count says so with
:func:`fuzz_settings`, which follows the same variable: derandomized examples by default, ``FUZZ_MULTIPLIER`` times
as many random ones when fuzzing.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
BOUNDED_PROFILE = "bounded"
FUZZ_PROFILE = "fuzz"
FUZZ_MULTIPLIER = 50

settings.register_profile(
    BOUNDED_PROFILE, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    FUZZ_PROFILE,
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def load_profile() -> None:
    """Load the profile ``HYPOTHESIS_PROFILE`` names (``bounded`` when unset)."""
    settings.load_profile(os.environ.get(PROFILE_VARIABLE, BOUNDED_PROFILE))


def fuzzing() -> bool:
    """True when the long fuzz profile is selected (``HYPOTHESIS_PROFILE=fuzz``)."""
    return os.environ.get(PROFILE_VARIABLE) == FUZZ_PROFILE


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
