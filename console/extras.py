"""What an execution produced besides its states: the SNS notification the Notify step published and the metrics
chart of its evaluation - both rebuilt from the history with the pipeline's own code, so they work for any endpoint.
"""

from __future__ import annotations

import io
from typing import Any

from anime_recommender.pipeline.notification import failure_message, success_message
from console.model import parse_json
from offline.charts import comparison_chart

_PAYLOAD_KEYS = {"outcome", "state", "executionArn"}


def _task_payloads(events: list[dict[str, Any]]) -> list[Any]:
    """Inputs of the execution's Lambda invocations, oldest first (plain Lambda ARNs and lambda:invoke)."""
    payloads = []
    for event in events:
        if event["type"] == "LambdaFunctionScheduled":
            payloads.append(parse_json(event["lambdaFunctionScheduledEventDetails"].get("input")))
        elif event["type"] == "TaskScheduled":
            parameters = parse_json(event["taskScheduledEventDetails"].get("parameters"))
            payloads.append(parameters.get("Payload", parameters) if isinstance(parameters, dict) else parameters)
    return payloads


def notification(events: list[dict[str, Any]]) -> dict[str, str] | None:
    """Subject and message of the last notification the execution sent (None when it sent none)."""
    for payload in reversed(_task_payloads(events)):
        if isinstance(payload, dict) and set(payload) >= _PAYLOAD_KEYS:
            render = success_message if payload["outcome"] == "SUCCEEDED" else failure_message
            subject, message = render(payload["state"] or {}, payload["executionArn"])
            return {"subject": subject, "message": message}
    return None


def evaluation(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ``evaluation`` section (metrics per recipe, decisions) of the latest state output that has one."""
    for event in reversed(events):
        if event["type"].endswith("StateExited"):
            output = parse_json(event["stateExitedEventDetails"].get("output"))
            found = output.get("evaluation") if isinstance(output, dict) else None
            if isinstance(found, dict) and found.get("metrics"):
                return found
    return None


def metrics_chart_png(found: dict[str, Any]) -> bytes:
    """The demo's comparison chart (``offline.charts``) of this evaluation: every recipe's metrics, verdicts marked."""
    buffer = io.BytesIO()
    comparison_chart(found, buffer, title="Offline metrics of this run's solution versions")
    return buffer.getvalue()
