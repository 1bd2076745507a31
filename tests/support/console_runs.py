"""Small state machines run on moto's Step Functions engine (the real ASL interpreter) for the console's tests:
a Map, a Wait poll loop, a Task retried then caught, a hostile state name and cause, a notification payload.

Tasks call ``lambda:invoke`` on functions that do not exist, so they fail for real
(``Lambda.ResourceNotFoundException``) without Docker.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from offline.harness import no_retry_sleeps, short_waits
from testing.polling import wait_until

ROLE = "arn:aws:iam::123456789012:role/console-tests"
HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">'
HOSTILE_STATE = "Bad <b>state</b> & 'quote'"  # moto backslash-escapes double quotes in history names
RETRIES = 2
POLL_ROUNDS = 3


def _task(next_state: str, catch_to: str | None = None, retries: int = 0) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "does-not-exist", "Payload": {"input.$": "$"}},
        "Next": next_state,
    }
    if retries:
        state["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": retries, "IntervalSeconds": 1}]
    if catch_to:
        state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": catch_to}]
    return state


#: Map (two items), a Wait loop going round POLL_ROUNDS times, a retried Task caught into a Fail state.
CAUGHT = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Pass", "Result": {"items": [1, 2], "n": 0}, "Next": "Each item"},
        "Each item": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Per item",
                "States": {"Per item": {"Type": "Pass", "End": True}},
            },
            "ResultPath": "$.mapped",
            "Next": "Count",
        },
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Done polling?"},
        "Done polling?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": POLL_ROUNDS, "Next": "Call"}],
            "Default": "Wait a bit",
        },
        "Wait a bit": {"Type": "Wait", "Seconds": 1, "Next": "Count"},
        "Call": _task("Never reached", catch_to="Handle", retries=RETRIES),
        "Never reached": {"Type": "Succeed"},
        "Handle": {"Type": "Pass", "Next": HOSTILE_STATE},
        HOSTILE_STATE: {"Type": "Fail", "Error": "Hostile", "Cause": HOSTILE},
    },
}

#: Two concurrent Map iterations whose Task is retried, then caught, in each.
MAP_WITH_RETRIES = {
    "StartAt": "Fan out",
    "States": {
        "Fan out": {
            "Type": "Map",
            "ItemsPath": "$.items",
            # One iteration at a time: moto links the history events of concurrent iterations by arrival order, so
            # which iteration an attempt belongs to would depend on thread timing (AWS links them per iteration).
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Item call",
                "States": {
                    "Item call": _task("Item done", catch_to="Item caught", retries=1),
                    "Item done": {"Type": "Succeed"},
                    "Item caught": {"Type": "Pass", "End": True},
                },
            },
            "End": True,
        }
    },
}

#: A Task that fails with no Catch.
UNCAUGHT = {"StartAt": "Call", "States": {"Call": _task("Fine"), "Fine": {"Type": "Succeed"}}}

#: Still running while the test looks: a long Wait (stopped by the test).
LONG_WAIT = {
    "StartAt": "First",
    "States": {"First": {"Type": "Pass", "Next": "Sleep"}, "Sleep": {"Type": "Wait", "Seconds": 600, "End": True}},
}

#: The retrain machine's notify contract: a task invoked with {outcome, state, executionArn}.
NOTIFYING = {
    "StartAt": "Evaluate",
    "States": {
        "Evaluate": {
            "Type": "Pass",
            "Result": {
                "metrics": {
                    "popularity-count": {"precision_at_10": 0.1, "normalized_discounted_cumulative_gain_at_10": 0.2},
                    "user-personalization": {
                        "precision_at_10": 0.3,
                        "normalized_discounted_cumulative_gain_at_10": 0.4,
                    },
                },
                "decisions": {"user-personalization": {"promote": True}},
            },
            "ResultPath": "$.evaluation",
            "Next": "Notify failure",
        },
        "Notify failure": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "notify",
                "Payload": {"outcome": "FAILED", "state.$": "$", "executionArn.$": "$$.Execution.Id"},
            },
            "End": True,
        },
    },
}


def client() -> Any:
    """A Step Functions client (inside ``mock_aws``)."""
    return boto3.client("stepfunctions", region_name="us-east-1")


def run(name: str, definition: dict[str, Any], payload: dict[str, Any], finish: bool = True) -> str:
    """Create ``name`` and start one execution; when ``finish``, poll until it leaves RUNNING (60 s at most)."""
    sfn = client()
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name=f"{name}-run", input=json.dumps(payload))["executionArn"]
    if finish:
        wait_until_stopped(arn, timeout=60)
    return arn


def wait_until_stopped(arn: str, timeout: float = 30.0) -> str:
    """Poll DescribeExecution until the execution leaves RUNNING; its status."""

    def stopped() -> str | None:
        status = client().describe_execution(executionArn=arn)["status"]
        return None if status == "RUNNING" else status

    return wait_until(stopped, timeout=timeout, interval=0.05, max_interval=0.05, message=f"{arn} still RUNNING")


def wait_for_state(arn: str, state: str, timeout: float = 30.0) -> None:
    """Poll the history until ``state`` has been entered."""
    sfn = client()

    def entered() -> bool:
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return any(event.get("stateEnteredEventDetails", {}).get("name") == state for event in events)

    wait_until(entered, timeout=timeout, interval=0.05, max_interval=0.05, message=f"{state} not entered in {arn}")


def fast_engine() -> Any:
    """The offline harness's patches: Wait states wait 10 ms, retries do not sleep (a context manager)."""
    from contextlib import ExitStack

    stack = ExitStack()
    stack.enter_context(short_waits(0.01))
    stack.enter_context(no_retry_sleeps())
    return stack
