"""The backend's clock for schedules (automatic training), which can run faster than real time, and the rate
expressions of ``autoTrainingConfig.schedulingExpression``.

AWS documents the expression as ``rate(value unit)``: a value between 1 and 30, the unit ``day`` or ``days``, default
every 7 days (https://docs.aws.amazon.com/personalize/latest/dg/API_AutoTrainingConfig.html)."""

from __future__ import annotations

import os
import re
import time

from personalize_local.exceptions import InvalidInputException

CLOCK_SPEED_VARIABLE = "PERSONALIZE_LOCAL_CLOCK_SPEED"
DEFAULT_SCHEDULE = "rate(7 days)"
_RATE = re.compile(r"^rate\((\d+) (day|days)\)$")
MIN_DAYS, MAX_DAYS = 1, 30
DAY = 86400.0


def clock_speed_from_environment() -> float:
    """``PERSONALIZE_LOCAL_CLOCK_SPEED`` (simulated seconds per real second, default 1); ValueError when it is not a
    positive number."""
    raw = os.environ.get(CLOCK_SPEED_VARIABLE, "1")
    try:
        speed = float(raw)
    except ValueError:
        raise ValueError(f"{CLOCK_SPEED_VARIABLE} must be a positive number, got {raw!r}") from None
    if not speed > 0 or speed == float("inf"):
        raise ValueError(f"{CLOCK_SPEED_VARIABLE} must be a positive number, got {raw!r}")
    return speed


class SimulatedClock:
    """Epoch seconds that run ``speed`` times faster than real time from the moment the clock is made.

    A real timestamp taken before that moment maps to itself; one taken after it to the simulated time of that instant.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self.speed = speed
        self._start = time.time()

    def simulated(self, real_timestamp: float) -> float:
        """The simulated time of a real epoch timestamp (such as a resource's ``creationDateTime``)."""
        if real_timestamp <= self._start:
            return real_timestamp
        return self._start + (real_timestamp - self._start) * self.speed

    def now(self) -> float:
        """The simulated time now."""
        return self.simulated(time.time())

    def real_seconds(self, simulated_seconds: float) -> float:
        """How long ``simulated_seconds`` last in real time."""
        return simulated_seconds / self.speed


def schedule_seconds(expression: str | None) -> float:
    """The interval of a ``rate(N days)`` expression in seconds (None: the default 7 days); InvalidInputException for
    another form or N outside 1..30."""
    match = _RATE.match(expression or DEFAULT_SCHEDULE)
    if match is None:
        raise InvalidInputException(
            f"Invalid schedulingExpression {expression!r}: use rate(N days) with N between {MIN_DAYS} and {MAX_DAYS}"
        )
    days = int(match.group(1))
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise InvalidInputException(
            f"Invalid schedulingExpression {expression!r}: the number of days must be between {MIN_DAYS} and {MAX_DAYS}"
        )
    return days * DAY
