"""Least privilege, measured: one offline run of everything the template deploys - the retrain state machine,
the forwarder and the API handlers, the cleanup state machine - records each AWS call of each function
(iam_audit.recorder in offline.harness) and evaluates it against that function's own policies from template.yaml.

Fails when a call would be denied, or when a granted action no call exercised has no
``# not exercised offline: <action> - <why>`` comment in the template (docs/security.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from iam_audit.audit import audit_offline_run, format_report
from iam_audit.policies import BUCKET_POLICY, SERVICE_ROLE, load_policies
from offline.harness import offline_pipeline
from offline.stack import ACCOUNT_ID, OfflineStack
from sam_app.handlers import LambdaContext, function_arn, load_handler
from sample_data.generate import generate_dataset
from testing.watch_event_batches import kinesis_event

pytestmark = pytest.mark.slow

RUN_TIMEOUT = 120.0
QUIET = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}


def _invoke(stack: OfflineStack, logical_id: str, event: dict[str, Any], environment: dict[str, str]) -> Any:
    """Run a function that is not a state machine task (API, forwarder) as the offline runner runs the others."""
    spec = stack.template.function(logical_id)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        handler = load_handler(spec.code_dir, spec.handler, name=f"least_privilege_{logical_id}")
        context = LambdaContext.for_function(
            logical_id, memory_mb=512, timeout_s=60, arn=function_arn(logical_id, account_id=ACCOUNT_ID)
        )
        with stack.registry.calls.acting_as(logical_id):
            return handler(event, context)


def _api_event(method: str, path: str, query: dict[str, str] | None = None, body: Any = None) -> dict[str, Any]:
    user = path.split("/")[2] if path.startswith("/users/") else "someone"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "&".join(f"{key}={value}" for key, value in (query or {}).items()),
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1", "protocol": "HTTP/1.1"},
            "requestId": "least-privilege",
            "routeKey": "$default",
            "stage": "$default",
            "authorizer": {"jwt": {"claims": {"sub": user}, "scopes": None}},
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def _exercise_api(stack: OfflineStack) -> None:
    environment = {"POWERTOOLS_PARAMETERS_MAX_AGE": "300"}
    parameters.clear_caches()

    def ok(event: dict[str, Any]) -> dict[str, Any]:
        result = _invoke(stack, "RecommendationsApiFunction", event, environment)
        assert result["statusCode"] in (200, 202), (event["rawPath"], result["body"])
        return json.loads(result["body"])

    items = ok(_api_event("GET", "/users/0/recommendations", {"genre": "Action", "numResults": "5"}))["items"]
    ids = [item["id"] for item in items]
    ok(_api_event("GET", f"/anime/{ids[0]}/similar", {"numResults": "3"}))
    ok(_api_event("POST", "/users/0/rankings", body={"animeIds": ids}))
    ok(_api_event("POST", "/users/0/events", body={"animeId": ids[0], "eventType": "watch"}))
    ok(_api_event("GET", f"/anime/{ids[0]}"))


def _exercise_forwarder(stack: OfflineStack) -> None:
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="WatchEventsDeadLetterQueue")["QueueUrl"]
    event = kinesis_event(
        [
            {"userId": "0", "itemId": "1", "eventType": "WATCHING", "sentAt": "2026-01-01T08:59:00Z"},
            b"not json",  # parked in the dead-letter queue
        ]
    )
    environment = {
        "TRACKING_ID_PARAMETER": f"/{stack.project}/tracking-id",
        "DLQ_URL": dlq_url,
        "PUT_EVENTS_MAX_ATTEMPTS": "5",
        "PUT_EVENTS_CONCURRENCY": "4",
    }
    parameters.clear_caches()
    result = _invoke(stack, "ForwardEventsFunction", event, environment)
    assert result == {"batchItemFailures": []}
    assert int(sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"][
        "ApproximateNumberOfMessages"
    ]) == 1  # fmt: skip


def test_every_recorded_call_is_allowed_and_every_grant_is_used_or_explained(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    generate_dataset("tiny", drop)
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        stack.upload_drop(drop, "2020-06")
        runs = [stack.wait(arn, timeout=RUN_TIMEOUT) for arn in stack.start_triggered_executions()]
        assert all(run["status"] == "SUCCEEDED" for run in runs), [run.get("cause") for run in runs]
        _exercise_api(stack)
        _exercise_forwarder(stack)
        cleanup = stack.wait(stack.start("CleanupStateMachine", {}), timeout=RUN_TIMEOUT)
        assert cleanup["status"] == "SUCCEEDED", cleanup.get("cause")
        reports = audit_offline_run(stack)

    policies = load_policies()
    text = format_report(reports)
    print(text)
    for function in policies.identity:
        assert reports[function].calls > 0 or function == SERVICE_ROLE, f"{function} made no call:\n{text}"
    assert reports[SERVICE_ROLE].calls > 0, "Personalize (the import jobs) read nothing through the service role"
    assert [denial for report in reports.values() for denial in report.denied] == [], text
    assert [grant for report in reports.values() for grant in report.unexplained] == [], text
    assert BUCKET_POLICY in reports
