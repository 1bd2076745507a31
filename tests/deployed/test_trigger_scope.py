"""Only uploads under ``incoming/`` start the pipeline; everything the tier runs listens on loopback only."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local_cloud.sockets import listening_addresses, non_loopback
from local_cloud.waiting import wait_for
from tests.deployed.drops import list_executions
from tests.deployed.tier import Cloud


@pytest.fixture
def bucket_event_tap(cloud: Cloud) -> Iterator[tuple[Any, str]]:
    """A test-owned EventBridge rule that copies every Object Created event of the data bucket to an SQS queue.

    Created after the stack's rule, so it is evaluated after it for each event: once the tap has an event, the
    pipeline's rule has already seen that event.
    """
    events = cloud.client("events")
    sqs = cloud.client("sqs")
    name = f"deployed-test-tap-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [cloud.output("DataBucketName")]}},
    }
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        yield sqs, queue_url
    finally:
        events.remove_targets(Rule=name, Ids=["queue"])
        events.delete_rule(Name=name)
        sqs.delete_queue(QueueUrl=queue_url)


def _pipeline_rule_pattern(cloud: Cloud) -> str:
    events = cloud.client("events")
    state_machine = cloud.output("RetrainStateMachineArn")
    rule_names = events.list_rule_names_by_target(TargetArn=state_machine)["RuleNames"]
    assert len(rule_names) == 1, rule_names
    return events.describe_rule(Name=rule_names[0])["EventPattern"]


def test_upload_outside_incoming_starts_nothing(cloud: Cloud, bucket_event_tap: tuple[Any, str]) -> None:
    """The event of an upload under another prefix reaches EventBridge, and the deployed rule starts no execution."""
    sqs, queue_url = bucket_event_tap
    sfn = cloud.client("stepfunctions")
    state_machine = cloud.output("RetrainStateMachineArn")
    before = {e["executionArn"] for e in list_executions(sfn, state_machine)}
    key = f"elsewhere/{uuid.uuid4().hex[:8]}/anime.csv"
    cloud.client("s3").put_object(Bucket=cloud.output("DataBucketName"), Key=key, Body=b"MAL_ID,Name\n1,Cowboy Bebop\n")

    def tapped_event() -> dict[str, Any] | None:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"]["object"]["key"] == key:
                return event
        return None

    event = wait_for(tapped_event, timeout=30, what=f"the Object Created event of {key}")
    assert not cloud.client("events").test_event_pattern(
        EventPattern=_pipeline_rule_pattern(cloud), Event=json.dumps(event)
    )["Result"]
    started = {e["executionArn"] for e in list_executions(sfn, state_machine)} - before
    inputs = [sfn.describe_execution(executionArn=arn)["input"] for arn in started]
    assert not [i for i in inputs if key in i], inputs


def test_the_same_event_under_incoming_matches_the_deployed_rule(cloud: Cloud) -> None:
    """Control for the test above: the deployed pattern does match an incoming/ key (it is not matching nothing)."""
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "source": "aws.s3",
        "detail-type": "Object Created",
        "account": "000000000000",
        "region": "us-east-1",
        "time": "2026-11-28T10:00:00Z",
        "resources": [f"arn:aws:s3:::{cloud.output('DataBucketName')}"],
        "detail": {"bucket": {"name": cloud.output("DataBucketName")}, "object": {"key": "incoming/x/anime.csv"}},
    }
    events = cloud.client("events")
    assert events.test_event_pattern(EventPattern=_pipeline_rule_pattern(cloud), Event=json.dumps(event))["Result"]


def test_every_process_of_the_tier_listens_on_loopback_only(cloud: Cloud) -> None:
    """ministack and Personalize Local (and any Lambda worker) accept connections on 127.0.0.1 only."""
    for pid in (cloud.state.ministack_pid, cloud.state.personalize_pid):
        addresses = listening_addresses(pid)
        assert addresses, f"process group {pid} listens on nothing: is the tier up?"
        assert not non_loopback(addresses), addresses
