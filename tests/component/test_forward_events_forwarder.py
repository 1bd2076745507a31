"""The domain forwarder on its own: every record gets an explicit fate, with a reason an operator can act on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from anime_recommender.forward_events import (
    DeadLetterQueue,
    DeliveryReport,
    ForwarderSettings,
    Outcome,
    RecordFate,
    RetryPolicy,
    StreamRecord,
    WatchEventForwarder,
    dead_letter_body,
)
from anime_recommender.forward_events.dead_letter import MAX_BATCH_BYTES
from anime_recommender.forward_events.record import RejectedRecord
from testing.watch_event_batches import PUT_EVENTS_EVENT
from tests.support.forward_events import FailFirstCalls, PutEventsRecorder, sqs_accepts

ARRIVAL = datetime(2026, 1, 1, tzinfo=UTC)


def record(index: int, payload: dict | bytes) -> StreamRecord:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sequence = f"{index:020d}"
    return StreamRecord(sequence, data, ARRIVAL, f"shardId-000000000000:{sequence}", {"partitionKey": "p"})


def watch(user: str, item: int, session: str = "s") -> dict:
    return {"userId": user, "itemId": str(item), "eventType": "WATCHING", "sessionId": session}


@pytest.fixture
def sqs() -> Iterator[tuple[object, str]]:
    with mock_aws():
        client = boto3.client("sqs")
        yield client, client.create_queue(QueueName="dlq")["QueueUrl"]


def make_forwarder(sqs_client, queue_url: str, hook, *, attempts: int = 3) -> tuple[WatchEventForwarder, list[float]]:
    events = boto3.client("personalize-events", config=Config(retries={"total_max_attempts": 1}))
    events.meta.events.register(PUT_EVENTS_EVENT, hook)
    sleeps: list[float] = []
    settings = ForwarderSettings(retry=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.02))
    forwarder = WatchEventForwarder(
        events_client=events,
        dead_letters=DeadLetterQueue(sqs_client, queue_url),
        settings=settings,
        sleep=sleeps.append,
    )
    return forwarder, sleeps


def fates(report: DeliveryReport) -> list[tuple[str, str]]:
    assert set(report.fates) == set(range(report.received)), "a record was left without an explicit fate"
    assert report.reconciles()
    return [(fate.outcome.value, fate.reason) for fate in report.fates_in_order()]


def test_failed_chunk_and_everything_behind_it_in_the_session_are_explicitly_retried(sqs) -> None:
    forwarder, sleeps = make_forwarder(*sqs, FailFirstCalls(count=100, then=PutEventsRecorder()))
    records = [record(i, watch("u1", i)) for i in range(15)]

    report = forwarder.forward(records, lambda: "tid")

    assert fates(report) == [("retry", "put-events-failed")] * 15
    details = [fate.detail for fate in report.fates_in_order()]
    assert all(d.startswith("PutEvents failed after 3 attempt(s): ThrottlingException") for d in details[:10])
    assert all(d.startswith("behind an undelivered event of the same session") for d in details[10:])
    assert len(sleeps) == 2  # one chunk tried 3 times; the chunk behind it is not tried at all
    assert (report.put_events_calls, report.transient_failures) == (3, 3)


def test_a_dead_letter_that_cannot_be_parked_is_explicitly_retried(sqs) -> None:
    sqs_client, queue_url = sqs
    forwarder, _ = make_forwarder(sqs_client, queue_url + "-missing", PutEventsRecorder())

    report = forwarder.forward([record(0, b"{oops"), record(1, watch("u", 1))], lambda: "tid")

    assert fates(report) == [("retry", "dead-letter-failed"), ("delivered", "")]
    assert "SendMessageBatch failed" in report.fates[0].detail


def test_tracking_id_failure_retries_valid_records_explicitly(sqs) -> None:
    forwarder, _ = make_forwarder(*sqs, PutEventsRecorder())

    def missing() -> str:
        raise LookupError("parameter /anime-recs/tracking-id not found")

    report = forwarder.forward([record(0, watch("u", 1)), record(1, {"userId": "u"})], missing)

    assert fates(report) == [("retry", "tracking-id-unavailable"), ("dead-lettered", "missing-field")]
    assert "not found" in report.fates[0].detail


def test_tracking_id_is_not_needed_when_nothing_is_valid(sqs) -> None:
    forwarder, _ = make_forwarder(*sqs, PutEventsRecorder())

    report = forwarder.forward([record(0, b"nope")], lambda: pytest.fail("tracking id must not be read"))

    assert fates(report) == [("dead-lettered", "invalid-json")]


def test_groups_are_delivered_concurrently_without_losing_or_duplicating_events(sqs) -> None:
    recorder = PutEventsRecorder()
    forwarder, _ = make_forwarder(*sqs, recorder)
    records = [record(i, watch(f"u{i % 17}", i, session=f"s{i % 3}")) for i in range(400)]

    report = forwarder.forward(records, lambda: "tid")

    assert fates(report) == [("delivered", "")] * 400
    sent = sorted(int(event["itemId"]) for call in recorder.calls for event in call["eventList"])
    assert sent == list(range(400))
    for call in recorder.calls:  # each call holds one user and session, in stream order
        items = [int(event["itemId"]) for event in call["eventList"]]
        assert items == sorted(items)
        assert {i % 17 for i in items} == {int(call["userId"][1:])}


def test_unsettled_records_are_retried_and_settling_twice_is_a_bug() -> None:
    report = DeliveryReport(record_ids=["1", "2"])
    report.settle(0, RecordFate(Outcome.DELIVERED))

    assert report.fate_at(1).outcome is Outcome.RETRY
    assert report.to_retry == ["2"]
    with pytest.raises(ValueError, match="already settled"):
        report.settle(0, RecordFate(Outcome.DEAD_LETTERED))
    with pytest.raises(ValueError, match="not part of this batch"):
        report.settle(2, RecordFate(Outcome.DELIVERED))


def test_dead_letter_body_keeps_binary_payloads_and_truncates_only_what_does_not_fit() -> None:
    binary = RejectedRecord(record(0, b"\xff\x00\x01"), "invalid-encoding", "not UTF-8")
    huge = RejectedRecord(record(1, b"x" * 100_000), "record-too-large", "too big")

    binary_body = json.loads(dead_letter_body(binary, now=ARRIVAL))
    huge_body = json.loads(dead_letter_body(huge, now=ARRIVAL, max_bytes=10_000))

    assert (binary_body["payload"], binary_body["payloadEncoding"]) == ("/wAB", "base64")
    assert binary_body["payloadTruncated"] is False
    assert binary_body["record"] == {
        "sequenceNumber": "00000000000000000000",
        "eventID": "shardId-000000000000:00000000000000000000",
        "partitionKey": "p",
        "approximateArrivalTimestamp": "2026-01-01T00:00:00+00:00",
    }
    assert huge_body["payloadTruncated"] is True
    assert "x" * 100 in huge_body["payload"] and len(huge_body["payload"]) < 10_000


def test_dead_letters_are_sent_in_batches_within_sqs_limits(sqs) -> None:
    sqs_client, queue_url = sqs
    sent_batches: list[list[int]] = []
    sqs_client.meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch",
        lambda params, **_: sent_batches.append([len(e["MessageBody"].encode()) for e in params["Entries"]]),
    )
    rejected = [RejectedRecord(record(i, b"y" * 50_000), "record-too-large", "big") for i in range(12)]
    rejected += [RejectedRecord(record(100 + i, b"{"), "invalid-json", "bad") for i in range(15)]

    result = DeadLetterQueue(sqs_client, queue_url).park(rejected)

    assert len(result.parked) == 27 and not result.failed
    assert all(len(batch) <= 10 and sum(batch) <= MAX_BATCH_BYTES for batch in sent_batches)
    assert sum(len(batch) for batch in sent_batches) == 27
    assert len(sent_batches) >= 4  # 12 x 50 KB need at least 3 batches; the 15 small ones at least one more


def test_a_dead_letter_with_characters_sqs_refuses_is_escaped_and_recoverable() -> None:
    text = '{"userId": "\ufffe\uffff\x00\x1b\ud7ff\U0001f600"}'
    hostile = StreamRecord("1", text.encode("utf-8"), ARRIVAL, "shardId-0:1", {"partitionKey": "\uffff"})

    body = dead_letter_body(RejectedRecord(hostile, "missing-field", "itemId: \ufffe"), now=ARRIVAL)

    assert sqs_accepts(body), "real SQS would refuse (or alter) this body"  # before: U+FFFE/U+FFFF went in raw
    letter = json.loads(body)
    assert (letter["payload"], letter["payloadEncoding"]) == (text, "utf-8")
    assert (letter["record"]["partitionKey"], letter["detail"]) == ("\uffff", "itemId: \ufffe")
