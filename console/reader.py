"""Read-only access to Step Functions through any client that answers its read calls.

:class:`StepFunctionsReader` is the one place that pages through the API; the client is a boto3 ``stepfunctions``
client (moto, the local cloud tier, AWS) or :class:`console.recorded.RecordedStepFunctions`.
"""

from __future__ import annotations

from typing import Any


def _paged(call: Any, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = call(**kwargs)
        items.extend(page.get(key, []))
        token = page.get("nextToken")
        if not token:
            return items
        kwargs["nextToken"] = token


class StepFunctionsReader:
    """Read-only access to state machines and executions through the Step Functions API."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def machines(self) -> list[dict[str, Any]]:
        """ListStateMachines (every page)."""
        return _paged(self.client.list_state_machines, "stateMachines")

    def machine(self, arn: str) -> dict[str, Any]:
        """DescribeStateMachine (definition included)."""
        return self.client.describe_state_machine(stateMachineArn=arn)

    def executions(self, machine_arn: str, limit: int = 100) -> list[dict[str, Any]]:
        """ListExecutions, newest first (at most ``limit``)."""
        answer = self.client.list_executions(stateMachineArn=machine_arn, maxResults=limit)
        return sorted(answer["executions"], key=lambda execution: execution["startDate"], reverse=True)

    def execution(self, arn: str) -> dict[str, Any]:
        """DescribeExecution."""
        return self.client.describe_execution(executionArn=arn)

    def history(self, arn: str) -> list[dict[str, Any]]:
        """GetExecutionHistory (every page), oldest first."""
        return _paged(self.client.get_execution_history, "events", executionArn=arn, maxResults=1000)
