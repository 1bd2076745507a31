"""Poll until a condition holds, with a deadline (never a fixed sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeoutError(TimeoutError):
    """A condition did not hold before its deadline."""


def wait_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    describe_last: Callable[[], str] | None = None,
) -> T:
    """Call ``probe`` until it returns something truthy and return that; raise ``WaitTimeoutError`` after ``timeout``.

    ``describe_last`` adds the last observed state to the error (e.g. an execution's status or a log tail).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = f": {describe_last()}" if describe_last else ""
            raise WaitTimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)
