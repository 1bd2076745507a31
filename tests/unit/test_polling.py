"""testing.polling.wait_until: the value that ends the wait, the timeout's message, failures that stop it at once."""

from __future__ import annotations

import pytest

from testing.polling import WaitTimeout, wait_until


def test_returns_the_first_true_value() -> None:
    answers = iter([None, "", "ready", "later"])
    assert wait_until(lambda: next(answers), timeout=5, interval=0.001, message="never") == "ready"
    assert next(answers) == "later"  # no call after the value that ended the wait


def test_a_timeout_names_what_was_awaited_and_the_last_state() -> None:
    seen: list[int] = []

    def never() -> bool:
        seen.append(len(seen))
        return False

    with pytest.raises(WaitTimeout, match=r"after 0 s: still waiting, 1 call"):
        wait_until(never, timeout=0, message=lambda: f"still waiting, {len(seen)} call")
    assert isinstance(WaitTimeout("x"), AssertionError)  # a test reports it as a failure


def test_an_error_of_the_condition_stops_the_wait_at_once() -> None:
    calls: list[None] = []

    def failed() -> bool:
        calls.append(None)
        raise RuntimeError("CREATE FAILED")

    with pytest.raises(RuntimeError, match="CREATE FAILED"):
        wait_until(failed, timeout=60, message="unused")
    assert len(calls) == 1
