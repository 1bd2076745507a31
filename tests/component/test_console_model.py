"""The console's history -> per-state status model, on histories produced by moto's Step Functions engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from console.model import state_summaries
from console.reader import StepFunctionsReader
from tests.support import console_runs as runs


@pytest.fixture
def engine() -> Iterator[StepFunctionsReader]:
    """moto's Step Functions executing definitions, with the offline harness's short waits."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), runs.fast_engine():
        yield StepFunctionsReader(runs.client())


def _summaries(reader: StepFunctionsReader, arn: str) -> dict:
    return state_summaries(reader.history(arn), reader.execution(arn)["status"])


@pytest.mark.slow  # over 3 s on 2 busy cores
def test_retried_then_caught_task_map_iterations_poll_rounds_and_fail_state(engine: StepFunctionsReader) -> None:
    arn = runs.run("caught", runs.CAUGHT, {})
    states = _summaries(engine, arn)

    assert engine.execution(arn)["status"] == "FAILED"
    assert {name: s.status for name, s in states.items()} == {
        "Start": "succeeded",
        "Each item": "succeeded",
        "Per item": "succeeded",
        "Count": "succeeded",
        "Done polling?": "succeeded",
        "Wait a bit": "succeeded",
        "Call": "caught",
        "Handle": "succeeded",
        runs.HOSTILE_STATE: "failed",
    }
    assert "Never reached" not in states
    assert states["Per item"].visits == 2  # one per Map item
    assert states["Count"].visits == runs.POLL_ROUNDS
    assert states["Wait a bit"].visits == runs.POLL_ROUNDS - 1
    call = states["Call"]
    assert call.retries == runs.RETRIES
    assert call.error == "Lambda.ResourceNotFoundException"
    assert "does-not-exist" in call.cause
    assert '"error"' in call.output  # the Catch's ResultPath
    fail = states[runs.HOSTILE_STATE]
    assert (fail.error, fail.cause) == ("Hostile", runs.HOSTILE)
    assert all(s.duration_seconds >= 0 for s in states.values())


def test_map_iterations_keep_their_attempts_apart(engine: StepFunctionsReader) -> None:
    arn = runs.run("map-retries", runs.MAP_WITH_RETRIES, {"items": [{"i": 1}, {"i": 2}]})
    states = _summaries(engine, arn)

    assert engine.execution(arn)["status"] == "SUCCEEDED"
    assert states["Fan out"].status == "succeeded"
    call = states["Item call"]
    assert (call.status, call.visits, call.retries) == ("caught", 2, 2)  # one retry in each iteration
    assert states["Item caught"].visits == 2
    assert "Item done" not in states


def test_uncaught_task_failure_fails_the_state(engine: StepFunctionsReader) -> None:
    arn = runs.run("uncaught", runs.UNCAUGHT, {"x": 1})
    states = _summaries(engine, arn)

    assert engine.execution(arn)["status"] == "FAILED"
    assert states["Call"].status == "failed"
    assert states["Call"].retries == 0
    assert states["Call"].error == "Lambda.ResourceNotFoundException"
    assert states["Call"].input == '{"x":1}'
    assert "Fine" not in states


def test_state_of_a_running_execution_is_running() -> None:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        reader = StepFunctionsReader(runs.client())
        arn = runs.run("sleeping", runs.LONG_WAIT, {}, finish=False)
        try:
            runs.wait_for_state(arn, "Sleep")
            states = _summaries(reader, arn)
        finally:
            runs.client().stop_execution(executionArn=arn)
        assert states["First"].status == "succeeded"
        assert states["Sleep"].status == "running"
        assert states["Sleep"].last_exited is None
        assert runs.wait_until_stopped(arn) == "ABORTED"
        stopped = _summaries(reader, arn)
        assert stopped["Sleep"].status == "failed"  # the execution was aborted while the state ran
