"""The backend's simulated clock and the rate expressions of automatic training."""

from __future__ import annotations

import time

import pytest

from personalize_local.exceptions import InvalidInputException
from personalize_local.models.clock import (
    CLOCK_SPEED_VARIABLE,
    DAY,
    SimulatedClock,
    clock_speed_from_environment,
    schedule_seconds,
)
from personalize_local.models.lifecycle import BackendConfig
from testing.polling import wait_until


@pytest.mark.parametrize(("expression", "days"), [("rate(1 day)", 1), ("rate(5 days)", 5), ("rate(30 days)", 30)])
def test_rate_expressions_within_the_documented_range(expression: str, days: int) -> None:
    assert schedule_seconds(expression) == days * DAY


def test_the_default_schedule_is_seven_days() -> None:
    assert schedule_seconds(None) == 7 * DAY


@pytest.mark.parametrize("expression", ["rate(0 days)", "rate(31 days)", "rate(2 hours)", "cron(0 * * * ? *)"])
def test_other_expressions_are_invalid_input(expression: str) -> None:
    with pytest.raises(InvalidInputException):
        schedule_seconds(expression)


def test_the_clock_runs_at_its_speed() -> None:
    clock = SimulatedClock(1000.0)
    before = time.time()
    assert clock.simulated(before - 10) == before - 10  # earlier than the clock: unchanged
    start = clock.now()
    # 50 simulated s is 0.05 real s
    wait_until(lambda: clock.now() - start >= 50, timeout=5, interval=0.005, message="the clock stood still")
    assert clock.now() - start >= 50
    assert clock.real_seconds(3600) == pytest.approx(3.6)


def test_backend_config_reads_the_speed_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(CLOCK_SPEED_VARIABLE, raising=False)
    assert BackendConfig(tmp_path).clock_speed == 1.0
    monkeypatch.setenv(CLOCK_SPEED_VARIABLE, "3600")
    assert BackendConfig(tmp_path).clock_speed == 3600.0
    for bad in ("0", "-1", "fast", "inf"):
        monkeypatch.setenv(CLOCK_SPEED_VARIABLE, bad)
        with pytest.raises(ValueError, match=CLOCK_SPEED_VARIABLE):
            clock_speed_from_environment()
