"""The forwarder Lambda handler with moto SQS/SSM, and PutEvents answered by either a double (botocore before-send
hooks) or a real Personalize Local server (tests using ``any_forwarder`` run against both).

Every test reconciles: records in = events delivered + records in the DLQ + records reported for retry,
with each sequence number in exactly one of the three.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from personalize_local import local_personalize
from sam_app.handlers import LambdaContext, load_function
from testing.personalize_setup import create_event_tracker
from testing.watch_event_batches import PUT_EVENTS_EVENT, aws_response, kinesis_event
from tests.support.forward_events import (
    DeliveredEvents,
    FailFirstCalls,
    PutEventsRecorder,
    RefuseEvents,
    drain_queue,
    reconcile,
)

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
TRACKING_PARAMETER = "/anime-recs/tracking-id"
DOUBLE_TRACKING_ID = "tracking-0001"


@dataclass
class Forwarder:
    """The handler module plus the AWS around it. ``endpoint`` is the PutEvents double, or None when a real
    Personalize Local answers (hooks then pass through to it)."""

    app: Any
    sqs: Any
    ssm: Any
    dlq_url: str
    tracking_id: str
    endpoint: PutEventsRecorder | None
    delivered: DeliveredEvents

    def hook(self, handler: Any) -> None:
        """Put a before-send hook in front of PutEvents (botocore calls every hook: chain doubles with ``then``)."""
        if handler is not None:
            self.app.forwarder().events_client.meta.events.register(PUT_EVENTS_EVENT, handler)

    def rebuild(self) -> None:
        """New clients (after changing the environment); the delivered-events log follows."""
        self.app.forwarder.cache_clear()
        self.delivered.attach(self.app.forwarder().events_client)

    def invoke(self, event: dict[str, Any], **context: Any) -> dict[str, Any]:
        return self.app.lambda_handler(
            event, LambdaContext(function_name="forward-events", memory_limit_in_mb=512, **context)
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        return drain_queue(self.sqs, self.dlq_url)

    def reconcile(self, event: dict[str, Any], response: dict[str, Any]):
        return reconcile(event, response, self.delivered.events, self.dead_letters())


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ExitStack]:
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        monkeypatch.setenv("TRACKING_ID_PARAMETER", TRACKING_PARAMETER)
        monkeypatch.setenv("PUT_EVENTS_BASE_DELAY_SECONDS", "0.001")
        monkeypatch.setenv("PUT_EVENTS_MAX_DELAY_SECONDS", "0.004")
        parameters.clear_caches()
        yield stack
        parameters.clear_caches()


def start(stack: ExitStack, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Forwarder:
    if backend == "personalize-local":
        stack.enter_context(local_personalize(data_dir=tmp_path / "personalize"))
        tracking_id, endpoint = create_event_tracker(), None
    else:
        tracking_id, endpoint = DOUBLE_TRACKING_ID, PutEventsRecorder()
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="forward-events-dlq")["QueueUrl"]
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=TRACKING_PARAMETER, Value=tracking_id, Type="String")
    monkeypatch.setenv("DLQ_URL", dlq_url)
    app = load_function("forward_events")
    stack.callback(app.metrics.clear_metrics)
    delivered = DeliveredEvents().attach(app.forwarder().events_client)
    return Forwarder(app, sqs, ssm, dlq_url, tracking_id, endpoint, delivered)


@pytest.fixture
def forwarder(environment, tmp_path, monkeypatch) -> Forwarder:
    """The handler with the PutEvents double."""
    return start(environment, "double", tmp_path, monkeypatch)


@pytest.fixture(params=["double", "personalize-local"])
def any_forwarder(request, environment, tmp_path, monkeypatch) -> Forwarder:
    """The handler against the double, then against a real Personalize Local server."""
    return start(environment, request.param, tmp_path, monkeypatch)


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text())


def watch(user: str, item: int | str, *, session: str | None = None, **extra: Any) -> dict[str, Any]:
    record = {"userId": user, "itemId": str(item), "eventType": "WATCHING", "sentAt": 1767225600, **extra}
    if session:
        record["sessionId"] = session
    return record


def only_session(calls: list[tuple[str, str, list[str]]], user: str) -> str:
    sessions = {session for call_user, session, _ in calls if call_user == user}
    assert len(sessions) == 1, f"user {user} was split over sessions {sessions}"
    return sessions.pop()


def test_sample_batch_is_delivered_grouped_by_user_and_session_in_stream_order(any_forwarder, capsys) -> None:
    any_forwarder.hook(any_forwarder.endpoint)
    event = sample("kinesis-watch-events.json")

    response = any_forwarder.invoke(event)

    assert response == {"batchItemFailures": []}
    delivered = any_forwarder.delivered.calls
    calls = [(c["userId"], c["sessionId"], [e["itemId"] for e in c["eventList"]]) for c in delivered]
    assert sorted(calls) == sorted(
        [
            ("1001", "app-session-7f3a", ["5114", "5114", "28977"]),
            ("1002", only_session(calls, "1002"), ["9253", "11061"]),
            ("1003", only_session(calls, "1003"), ["1535", "1535"]),
        ]
    )
    assert all(call["trackingId"] == any_forwarder.tracking_id for call in any_forwarder.delivered.calls)
    first = next(c for c in any_forwarder.delivered.calls if c["userId"] == "1001")["eventList"][0]
    assert first["properties"] == '{"device":"tv"}'
    assert first["sentAt"] == 1767257940  # 2026-01-01T08:59:00Z as epoch seconds on the wire
    split = any_forwarder.reconcile(event, response)
    assert len(split.delivered) == 7
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert metrics[-1]["EventsDelivered"] == [7.0]
    assert metrics[-1]["PutEventsCalls"] == [3.0]


def test_poison_records_are_dead_lettered_with_reason_and_original_payload(any_forwarder) -> None:
    any_forwarder.hook(any_forwarder.endpoint)
    event = sample("kinesis-poison-records.json")

    response = any_forwarder.invoke(event)

    assert response == {"batchItemFailures": []}
    letters = any_forwarder.dead_letters()
    by_sequence = {letter["record"]["sequenceNumber"]: letter for letter in letters}
    poison = event["Records"][1:9]
    assert [by_sequence[r["kinesis"]["sequenceNumber"]]["reason"] for r in poison] == [
        "invalid-json",
        "missing-field",
        "properties-too-long",
        "invalid-sent-at",
        "invalid-sent-at",
        "invalid-encoding",
        "invalid-json",
        "invalid-properties",
    ]
    for record in poison:
        letter = by_sequence[record["kinesis"]["sequenceNumber"]]
        encoded = letter["payload"]
        payload = encoded.encode() if letter["payloadEncoding"] == "utf-8" else base64.b64decode(encoded)
        assert payload == base64.b64decode(record["kinesis"]["data"])
        assert letter["_reasonAttribute"] == letter["reason"]
        assert letter["record"]["eventSourceARN"] == record["eventSourceARN"]
    assert by_sequence[poison[5]["kinesis"]["sequenceNumber"]]["payloadEncoding"] == "base64"
    assert by_sequence[poison[1]["kinesis"]["sequenceNumber"]]["detail"] == "itemId: Field required"
    split = reconcile(event, response, any_forwarder.delivered.events, letters)
    assert (len(split.delivered), len(split.dead_lettered), len(split.reported)) == (2, 8, 0)


def test_many_events_of_one_session_go_out_in_order_in_calls_of_at_most_ten(any_forwarder) -> None:
    any_forwarder.hook(any_forwarder.endpoint)
    payloads = [watch("binge", item, session="s1") for item in range(95)]
    payloads += [watch(f"user-{n}", 1000 + n) for n in range(30)]
    event = kinesis_event(payloads)

    response = any_forwarder.invoke(event)

    binge = [c for c in any_forwarder.delivered.calls if c["userId"] == "binge"]
    assert [len(c["eventList"]) for c in binge] == [10] * 9 + [5]
    assert [e["itemId"] for c in binge for e in c["eventList"]] == [str(i) for i in range(95)]
    assert len(any_forwarder.delivered.calls) == 10 + 30
    assert len(any_forwarder.reconcile(event, response).delivered) == 125


def test_throttling_is_retried_with_backoff_and_nothing_is_lost(any_forwarder) -> None:
    throttle = FailFirstCalls(count=4, then=any_forwarder.endpoint)
    any_forwarder.hook(throttle)
    event = kinesis_event([watch(f"u{n % 3}", n) for n in range(40)])

    response = any_forwarder.invoke(event)

    assert throttle.failed == 4
    assert response == {"batchItemFailures": []}
    assert len(any_forwarder.reconcile(event, response).delivered) == 40


class ThrottleUserAfter:
    """Throttle every PutEvents call of one user after that user's first ``allowed`` calls; pass the rest on."""

    def __init__(self, user: str, allowed: int, then: Any):
        self.user, self.allowed, self.then, self.seen, self.lock = user, allowed, then, 0, threading.Lock()

    def __call__(self, request: Any, **_: Any) -> Any:
        if json.loads(request.body)["userId"] == self.user:
            with self.lock:
                self.seen += 1
                throttled = self.seen > self.allowed
            if throttled:
                return aws_response(request, 400, {"message": "slow down"}, {"x-amzn-ErrorType": "ThrottlingException"})
        return self.then(request) if self.then is not None else None


def test_persistent_throttling_reports_the_failed_chunk_and_the_rest_of_that_session_only(any_forwarder) -> None:
    any_forwarder.hook(ThrottleUserAfter("u1", allowed=1, then=any_forwarder.endpoint))
    payloads = []
    for n in range(25):
        payloads += [watch("u1", n, session="s"), watch("u2", 100 + n, session="s")]
    event = kinesis_event(payloads)

    response = any_forwarder.invoke(event)

    u1_sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]][0::2]
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == u1_sequences[10:]
    delivered_u1 = [e["itemId"] for e in any_forwarder.delivered.events if e["userId"] == "u1"]
    assert delivered_u1 == [str(n) for n in range(10)]
    split = any_forwarder.reconcile(event, response)
    assert (len(split.delivered), len(split.reported)) == (35, 15)


def test_a_refused_event_is_isolated_dead_lettered_and_its_session_continues(any_forwarder) -> None:
    # Personalize Local refuses a property that is not a column of the Interactions schema; the double mimics it.
    any_forwarder.hook(RefuseEvents(lambda e: "mood" in e.get("properties", ""), then=any_forwarder.endpoint))
    items = [1, 2, 999, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    payloads = [watch("u1", i, session="s", **({"properties": {"mood": "happy"}} if i == 999 else {})) for i in items]
    event = kinesis_event(payloads)

    response = any_forwarder.invoke(event)

    assert response == {"batchItemFailures": []}
    assert [e["itemId"] for e in any_forwarder.delivered.events] == [str(i) for i in items if i != 999]
    letters = any_forwarder.dead_letters()
    assert [(letter["reason"], json.loads(letter["payload"])["itemId"]) for letter in letters] == [
        ("rejected-by-personalize", "999")
    ]
    assert "not fields of the Interactions schema" in letters[0]["detail"]
    reconcile(event, response, any_forwarder.delivered.events, letters)


class RefuseTrackingId:
    """Answer PutEvents calls with an unknown tracking id as Personalize Local does; pass the rest on."""

    def __init__(self, tracking_id: str, then: Any):
        self.tracking_id, self.then = tracking_id, then

    def __call__(self, request: Any, **_: Any) -> Any:
        if json.loads(request.body)["trackingId"] == self.tracking_id:
            message = f"No event tracker has the trackingId {self.tracking_id}"
            return aws_response(request, 400, {"message": message}, {"x-amzn-ErrorType": "InvalidInputException"})
        return self.then(request) if self.then is not None else None


def test_an_unknown_tracking_id_is_retried_not_dead_lettered_and_reread_next_time(any_forwarder) -> None:
    if any_forwarder.endpoint is not None:
        any_forwarder.hook(RefuseTrackingId("wrong-id", then=any_forwarder.endpoint))
    real_id = any_forwarder.tracking_id
    any_forwarder.ssm.put_parameter(Name=TRACKING_PARAMETER, Value="wrong-id", Type="String", Overwrite=True)
    first = kinesis_event([watch("u1", 1), watch("u1", 2), watch("u2", 3)])

    response = any_forwarder.invoke(first)

    split = any_forwarder.reconcile(first, response)
    assert split.reported == set(split.received)
    any_forwarder.ssm.put_parameter(Name=TRACKING_PARAMETER, Value=real_id, Type="String", Overwrite=True)
    second = kinesis_event([watch("u1", 4)], arrival=1_767_225_700.0, first_sequence=3)
    response = any_forwarder.invoke(second)  # the refused id was dropped from the cache: SSM is read again
    assert response == {"batchItemFailures": []}
    assert [call["trackingId"] for call in any_forwarder.delivered.calls] == [real_id]
    any_forwarder.reconcile(second, response)


def test_every_record_failing_is_a_partial_response_not_an_exception(forwarder) -> None:
    forwarder.hook(FailFirstCalls(count=10_000, status=503, code="ServiceUnavailable"))
    event = kinesis_event([watch("u1", n) for n in range(3)])

    response = forwarder.invoke(event)

    split = forwarder.reconcile(event, response)
    assert split.reported == set(split.received)


def test_without_a_tracking_id_valid_records_are_retried_and_invalid_ones_still_parked(forwarder) -> None:
    forwarder.hook(forwarder.endpoint)
    forwarder.ssm.delete_parameter(Name=TRACKING_PARAMETER)
    event = sample("kinesis-poison-records.json")

    response = forwarder.invoke(event)

    split = forwarder.reconcile(event, response)
    assert (len(split.delivered), len(split.dead_lettered), len(split.reported)) == (0, 8, 2)


def test_the_template_placeholder_tracking_id_is_never_sent(forwarder) -> None:
    forwarder.hook(forwarder.endpoint)
    forwarder.ssm.put_parameter(Name=TRACKING_PARAMETER, Value="not-deployed-yet", Type="String", Overwrite=True)
    event = kinesis_event([watch("u1", 1), "{bad"])

    response = forwarder.invoke(event)

    assert forwarder.delivered.calls == []
    split = forwarder.reconcile(event, response)
    assert (len(split.dead_lettered), len(split.reported)) == (1, 1)


def test_when_the_dead_letter_queue_fails_invalid_records_are_retried_not_dropped(forwarder, monkeypatch) -> None:
    monkeypatch.setenv("DLQ_URL", forwarder.dlq_url.replace("forward-events-dlq", "no-such-queue"))
    forwarder.rebuild()
    forwarder.hook(forwarder.endpoint)
    event = sample("kinesis-poison-records.json")

    response = forwarder.invoke(event)

    split = forwarder.reconcile(event, response)
    assert (len(split.delivered), len(split.dead_lettered), len(split.reported)) == (2, 0, 8)


def test_tracking_id_is_read_from_ssm_once_and_cached(forwarder) -> None:
    forwarder.hook(forwarder.endpoint)
    first = kinesis_event([watch("u1", 1)])
    second = kinesis_event([watch("u1", 2)], arrival=1_767_225_700.0, first_sequence=1)

    forwarder.invoke(first)
    forwarder.ssm.put_parameter(Name=TRACKING_PARAMETER, Value="tracking-0002", Type="String", Overwrite=True)
    response = forwarder.invoke(second)

    assert [call["trackingId"] for call in forwarder.delivered.calls] == [DOUBLE_TRACKING_ID, DOUBLE_TRACKING_ID]
    assert response == {"batchItemFailures": []}
    reconcile(second, response, forwarder.delivered.events[1:], forwarder.dead_letters())


def test_no_retry_wait_starts_past_the_invocation_deadline(forwarder, monkeypatch) -> None:
    monkeypatch.setenv("PUT_EVENTS_BASE_DELAY_SECONDS", "5")
    monkeypatch.setenv("PUT_EVENTS_MAX_DELAY_SECONDS", "5")
    forwarder.rebuild()
    throttle = FailFirstCalls(count=1, then=forwarder.endpoint)
    forwarder.hook(throttle)
    event = kinesis_event([watch("u1", 1), watch("u1", 2)])

    response = forwarder.invoke(event, remaining_millis=1000)  # deadline = now + 1 s - 1 s safety margin

    split = forwarder.reconcile(event, response)
    assert split.reported == set(split.received)
    assert throttle.seen == 1


# ---------------------------------------------------------------- hostile input (regressions)


class RaiseFor:
    """A before-send hook raising ``error`` for PutEvents calls of ``user`` (any exception, not only botocore's)."""

    def __init__(self, user: str, error: Exception, then: Any):
        self.user, self.error, self.then = user, error, then

    def __call__(self, request: Any, **_: Any) -> Any:
        if json.loads(request.body)["userId"] == self.user:
            raise self.error
        return self.then(request)


def test_a_non_botocore_error_dead_letters_only_the_event_it_comes_from(forwarder) -> None:
    forwarder.hook(RaiseFor("u2", OverflowError("date value out of range"), then=forwarder.endpoint))
    event = kinesis_event([watch("u1", 1), watch("u2", 2), watch("u3", 3), watch("u1", 4)])

    response = forwarder.invoke(event)  # before: the OverflowError escaped and the whole batch was retried

    letters = forwarder.dead_letters()
    assert [(letter["reason"], json.loads(letter["payload"])["itemId"]) for letter in letters] == [
        ("unsendable-event", "2")
    ]
    assert "OverflowError: date value out of range" in letters[0]["detail"]
    split = reconcile(event, response, forwarder.delivered.events, letters)
    assert (len(split.delivered), len(split.dead_lettered), len(split.reported)) == (3, 1, 0)


def test_a_non_botocore_error_in_a_chunk_is_isolated_and_the_rest_of_the_session_delivered(forwarder) -> None:
    calls = {"n": 0}

    def fail_second_call(request: Any, **_: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("unexpected")
        return forwarder.endpoint(request)

    forwarder.hook(fail_second_call)
    event = kinesis_event([watch("u1", n, session="s") for n in range(12)])

    response = forwarder.invoke(event)

    assert response == {"batchItemFailures": []}
    assert [e["itemId"] for e in forwarder.delivered.events] == [str(n) for n in range(12)]
    forwarder.reconcile(event, response)


def test_a_sent_at_of_year_one_is_refused_as_invalid_not_sent(forwarder) -> None:
    forwarder.hook(forwarder.endpoint)
    event = kinesis_event([watch("u1", 1, sentAt="0001-01-01T00:00:00+05:00"), watch("u1", 2)])

    response = forwarder.invoke(event)

    letters = forwarder.dead_letters()
    assert [letter["reason"] for letter in letters] == ["invalid-sent-at"]
    split = reconcile(event, response, forwarder.delivered.events, letters)
    assert (len(split.delivered), len(split.dead_lettered)) == (1, 1)


def test_data_that_is_not_base64_dead_letters_that_record_only(forwarder) -> None:
    forwarder.hook(forwarder.endpoint)
    event = kinesis_event([watch("u1", 1), watch("u2", 2)])
    broken = event["Records"][1]
    broken["kinesis"]["data"] = "not base64!"

    response = forwarder.invoke(event)  # before: the whole event failed Powertools' model

    letters = forwarder.dead_letters()
    assert [letter["reason"] for letter in letters] == ["invalid-record"]
    assert "base64" in letters[0]["detail"]
    assert json.loads(letters[0]["payload"]) == broken  # the record exactly as Lambda delivered it
    assert letters[0]["record"]["sequenceNumber"] == broken["kinesis"]["sequenceNumber"]
    assert response == {"batchItemFailures": []}
    assert [e["itemId"] for e in forwarder.delivered.events] == ["1"]


def test_a_repeated_sequence_number_is_dead_lettered_not_a_crash(forwarder) -> None:
    forwarder.hook(forwarder.endpoint)
    event = kinesis_event([watch("u1", 1), watch("u2", 2)])
    event["Records"][1]["kinesis"]["sequenceNumber"] = event["Records"][0]["kinesis"]["sequenceNumber"]

    response = forwarder.invoke(event)  # before: ValueError "already settled"

    letters = forwarder.dead_letters()
    assert [(letter["reason"], json.loads(letter["payload"])["itemId"]) for letter in letters] == [
        ("duplicate-sequence-number", "2")
    ]
    assert "already appears at position 0" in letters[0]["detail"]
    assert response == {"batchItemFailures": []}
    assert [e["itemId"] for e in forwarder.delivered.events] == ["1"]


@pytest.mark.parametrize("event", [{"Records": []}, {}, {"Records": "nope"}], ids=["empty", "no-records", "not-list"])
def test_an_empty_batch_is_answered_not_raised(forwarder, event) -> None:
    forwarder.hook(forwarder.endpoint)

    assert forwarder.invoke(event) == {"batchItemFailures": []}  # before: Powertools raised on an empty batch
    assert forwarder.delivered.calls == [] and forwarder.dead_letters() == []


def test_an_exception_from_the_dead_letter_client_retries_those_records(forwarder) -> None:
    def explode(**_: Any) -> None:
        raise ValueError("not an AWS error")

    forwarder.hook(forwarder.endpoint)
    sqs_client = forwarder.app.forwarder().dead_letters.sqs_client
    sqs_client.meta.events.register("before-call.sqs.SendMessageBatch", explode)  # before moto sees the request
    event = kinesis_event([watch("u1", 1), "{bad"])

    response = forwarder.invoke(event)

    split = forwarder.reconcile(event, response)
    assert (len(split.delivered), len(split.dead_lettered), len(split.reported)) == (1, 0, 1)


def test_a_missing_dead_letter_queue_setting_retries_everything_instead_of_raising(forwarder, monkeypatch) -> None:
    monkeypatch.delenv("DLQ_URL")
    forwarder.app.forwarder.cache_clear()
    event = kinesis_event([watch("u1", 1), "{bad"])

    response = forwarder.invoke(event)

    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in event["Records"]
    ]
