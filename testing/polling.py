"""Poll with a timeout: the one loop the tests and the benchmarks use to wait for a state they do not control."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not hold within the timeout (an AssertionError, so a test reports it as a failure)."""


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float,
    message: str | Callable[[], str],
    interval: float = 0.02,
    max_interval: float = 0.25,
) -> T:
    """Call ``condition()`` until it returns a true value and return that value.

    Between two calls it sleeps ``interval`` seconds, growing by half each time up to ``max_interval`` (a polling
    interval, not a wait for the state). After ``timeout`` seconds it raises :class:`WaitTimeout` with ``message``
    (a callable is asked for the message only then, so it can describe the last state seen). Exceptions of
    ``condition`` propagate: a failed resource stops the wait at once.
    """
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise WaitTimeout(f"after {timeout:g} s: {text}")
        time.sleep(delay)
        delay = min(delay * 1.5, max(max_interval, interval))
