"""The producer example (examples/stream_watch_events.py) against moto Kinesis, with injected partial failures."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "stream_watch_events.py"
STREAM = "watch-events"


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("stream_watch_events_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def producer_module() -> Any:
    return load_example()


@pytest.fixture
def kinesis() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("kinesis")
        client.create_stream(StreamName=STREAM, ShardCount=2)
        yield client


def read_stream(client: Any) -> dict[str, list[dict[str, Any]]]:
    """Every record of the stream, per shard in sequence order (the order a consumer sees)."""
    shards: dict[str, list[dict[str, Any]]] = {}
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=10_000)
            records.extend(json.loads(r["Data"]) for r in page["Records"])
            if not page["Records"]:
                break
            iterator = page["NextShardIterator"]
        shards[shard["ShardId"]] = records
    return shards


class FailSomeRecordsOnce:
    """On the first PutRecords call, really write every other record and answer as Kinesis does for a partial
    failure (ProvisionedThroughputExceededException for the others); later calls go through untouched.

    A ``before-call`` hook that returns (http response, parsed response) replaces the whole request, so moto
    never sees the first call.
    """

    def __init__(self, writer: Any):
        self.writer = writer  # a second client without this hook
        self.requests: list[list[dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> Any:
        records = json.loads(params["body"])["Records"]
        self.requests.append(records)
        if len(self.requests) > 1:
            return None
        outcomes: list[dict[str, str]] = []
        for index, record in enumerate(records):
            if index % 2:
                outcomes.append(
                    {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
                )
                continue
            written = self.writer.put_record(
                StreamName=STREAM, Data=base64.b64decode(record["Data"]), PartitionKey=record["PartitionKey"]
            )
            outcomes.append({"SequenceNumber": written["SequenceNumber"], "ShardId": written["ShardId"]})
        parsed = {
            "FailedRecordCount": sum("ErrorCode" in outcome for outcome in outcomes),
            "Records": outcomes,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        return AWSResponse("https://kinesis.local", 200, {}, None), parsed


def test_events_are_written_in_batches_of_at_most_500_with_user_order_kept(producer_module, kinesis) -> None:
    calls: list[int] = []
    kinesis.meta.events.register(
        "before-parameter-build.kinesis.PutRecords", lambda params, **_: calls.append(len(params["Records"]))
    )
    events = producer_module.demo_events(1200, users=20)

    result = producer_module.WatchEventProducer(STREAM, kinesis_client=kinesis).send(events)

    assert (result.written, result.failed, calls) == (1200, [], [500, 500, 200])
    shards = read_stream(kinesis)
    on_stream = [event for records in shards.values() for event in records]
    assert sorted(e["eventId"] for e in on_stream) == sorted(e["eventId"] for e in events)
    for user in {e["userId"] for e in events}:
        sent = [e["eventId"] for e in events if e["userId"] == user]
        homes = [shard for shard, records in shards.items() if any(r["userId"] == user for r in records)]
        assert len(homes) == 1, f"user {user} is spread over shards {homes}"
        assert [r["eventId"] for r in shards[homes[0]] if r["userId"] == user] == sent


def test_only_failed_records_are_resent_and_each_event_lands_once(producer_module, kinesis) -> None:
    writer = boto3.client("kinesis")
    fail_once = FailSomeRecordsOnce(writer)
    kinesis.meta.events.register("before-call.kinesis.PutRecords", fail_once)
    waits: list[float] = []
    events = producer_module.demo_events(40)

    result = producer_module.WatchEventProducer(STREAM, kinesis_client=kinesis, sleep=waits.append).send(events)

    assert (result.written, result.failed, result.retried_records) == (40, [], 20)
    assert [len(records) for records in fail_once.requests] == [40, 20]
    assert len(waits) == 1
    on_stream = [event["eventId"] for records in read_stream(kinesis).values() for event in records]
    assert sorted(on_stream) == sorted(event["eventId"] for event in events)


def test_records_still_failing_after_the_retries_are_returned_not_dropped(producer_module, kinesis) -> None:
    def always_throttled(params: dict[str, Any], **_: Any) -> Any:
        records = json.loads(params["body"])["Records"]
        outcome = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
        parsed = {"FailedRecordCount": len(records), "Records": [outcome] * len(records), "ResponseMetadata": {}}
        return AWSResponse("https://kinesis.local", 200, {}, None), parsed

    kinesis.meta.events.register("before-call.kinesis.PutRecords", always_throttled)
    events = producer_module.demo_events(3)

    result = producer_module.WatchEventProducer(
        STREAM, kinesis_client=kinesis, max_attempts=3, sleep=lambda _: None
    ).send(events)

    assert (result.written, result.calls) == (0, 3)
    assert result.failed == events


def test_batches_respect_the_5_mib_request_limit(producer_module) -> None:
    entries = [{"Data": b"x" * 900_000, "PartitionKey": f"u{i}"} for i in range(12)]

    sizes = [sum(len(e["Data"]) for e in batch) for batch in producer_module.batches(entries)]

    assert sum(len(batch) for batch in producer_module.batches(entries)) == 12
    assert all(size <= producer_module.MAX_BYTES_PER_CALL for size in sizes)
    assert len(sizes) == 3


def test_an_event_too_big_for_one_record_is_refused_up_front(producer_module) -> None:
    with pytest.raises(ValueError, match="at most 1 MiB"):
        producer_module.to_entry({"userId": "u", "itemId": "i", "eventType": "w", "pad": "x" * (1024 * 1024)})
