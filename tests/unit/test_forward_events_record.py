"""The watch-event record model: what is accepted, how it becomes a PutEvents event, why a record is rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from anime_recommender.forward_events import AcceptedEvent, RejectedRecord, StreamRecord, default_session_id
from anime_recommender.forward_events.record import MAX_PROPERTIES_CHARS, parse_watch_event

ARRIVAL = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def stream_record(
    payload: bytes | str | dict, *, sequence: str = "49590000000000000000000000000000000001"
) -> StreamRecord:
    data = payload if isinstance(payload, bytes) else (payload if isinstance(payload, str) else json.dumps(payload))
    return StreamRecord(
        record_id=sequence,
        data=data.encode() if isinstance(data, str) else data,
        arrived_at=ARRIVAL,
        event_id=f"shardId-000000000000:{sequence}",
    )


def accept(payload: bytes | str | dict) -> AcceptedEvent:
    parsed = parse_watch_event(stream_record(payload), max_payload_bytes=65536, max_future=timedelta(days=1))
    assert isinstance(parsed, AcceptedEvent), parsed
    return parsed


def reject(payload: bytes | str | dict, *, max_payload_bytes: int = 65536) -> RejectedRecord:
    parsed = parse_watch_event(
        stream_record(payload), max_payload_bytes=max_payload_bytes, max_future=timedelta(days=1)
    )
    assert isinstance(parsed, RejectedRecord), parsed
    return parsed


def test_minimal_record_gets_arrival_time_default_session_and_stable_event_id() -> None:
    accepted = accept({"userId": "u1", "itemId": 5114, "eventType": "watch"})

    assert accepted.user_id == "u1"
    assert accepted.session_id == default_session_id("u1")
    assert accepted.event == {
        "eventId": "shardId-000000000000:49590000000000000000000000000000000001",
        "eventType": "watch",
        "itemId": "5114",
        "sentAt": ARRIVAL,
    }


def test_full_record_maps_every_field_and_properties_become_compact_json() -> None:
    accepted = accept(
        {
            "userId": "u1",
            "itemId": "1",
            "eventType": "rating",
            "eventValue": 9,
            "sessionId": "s-42",
            "sentAt": "2026-01-01T11:59:00+01:00",
            "properties": {"device": "tv", "episode": 3},
            "eventId": "app-event-1",
            "recommendationId": "rid-7",
            "somethingElse": "ignored",
        }
    )

    assert accepted.session_id == "s-42"
    assert accepted.event == {
        "eventId": "app-event-1",
        "eventType": "rating",
        "itemId": "1",
        "sentAt": datetime(2026, 1, 1, 10, 59, tzinfo=UTC),
        "eventValue": 9.0,
        "properties": '{"device":"tv","episode":3}',
        "recommendationId": "rid-7",
    }


def test_default_session_is_deterministic_per_user_and_distinct_between_users() -> None:
    first = accept({"userId": "u1", "itemId": "1", "eventType": "watch"})
    again = accept({"userId": "u1", "itemId": "2", "eventType": "watch"})
    other = accept({"userId": "u2", "itemId": "1", "eventType": "watch"})

    assert first.session_id == again.session_id == default_session_id("u1")
    assert other.session_id != first.session_id
    assert 1 <= len(first.session_id) <= 256


@pytest.mark.parametrize(
    ("sent_at", "expected"),
    [
        (1767225600, datetime(2026, 1, 1, tzinfo=UTC)),
        (1767225600.5, datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2026-01-01T00:00:00Z", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T00:00:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T02:00:00+02:00", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_sent_at_accepts_iso_8601_and_epoch_seconds(sent_at: object, expected: datetime) -> None:
    accepted = accept({"userId": "u", "itemId": "i", "eventType": "watch", "sentAt": sent_at})

    assert accepted.event["sentAt"] == expected


@pytest.mark.parametrize(
    ("sent_at", "fragment"),
    [
        (1767225600000, "looks like milliseconds"),
        (True, "boolean"),
        (-5, "positive"),
        ("yesterday", "not ISO-8601"),
        ("2026-01-03T00:00:00Z", "after the record arrived"),
    ],
)
def test_bad_sent_at_is_rejected_with_a_reason(sent_at: object, fragment: str) -> None:
    rejected = reject({"userId": "u", "itemId": "i", "eventType": "watch", "sentAt": sent_at})

    assert rejected.reason == "invalid-sent-at"
    assert fragment in rejected.detail


def test_properties_of_exactly_1024_characters_pass_and_1025_are_rejected() -> None:
    base = {"userId": "u", "itemId": "i", "eventType": "watch"}
    filler = len('{"note":""}')
    fits = accept({**base, "properties": {"note": "x" * (MAX_PROPERTIES_CHARS - filler)}})
    too_long = reject({**base, "properties": {"note": "x" * (MAX_PROPERTIES_CHARS - filler + 1)}})

    assert len(fits.event["properties"]) == MAX_PROPERTIES_CHARS
    assert too_long.reason == "properties-too-long"
    assert "1025 characters" in too_long.detail


def test_properties_may_not_use_keys_put_events_reserves() -> None:
    rejected = reject({"userId": "u", "itemId": "i", "eventType": "watch", "properties": {"SessionId": "x"}})

    assert rejected.reason == "invalid-properties"
    assert "SessionId" in rejected.detail


def test_empty_properties_are_dropped_rather_than_sent() -> None:
    accepted = accept({"userId": "u", "itemId": "i", "eventType": "watch", "properties": {}})

    assert "properties" not in accepted.event


@pytest.mark.parametrize(
    ("payload", "reason", "fragment"),
    [
        ("{not json", "invalid-json", "Invalid JSON"),
        ("[1, 2]", "invalid-json", "object"),
        ({"userId": "u"}, "missing-field", "itemId: Field required; eventType: Field required"),
        ({"userId": "", "itemId": "i", "eventType": "w"}, "invalid-field", "userId"),
        ({"userId": "u" * 257, "itemId": "i", "eventType": "w"}, "invalid-field", "at most 256"),
        ({"userId": "u", "itemId": "i", "eventType": "w", "eventValue": True}, "invalid-field", "eventValue"),
        ({"userId": "u", "itemId": "i", "eventType": "w", "eventValue": "9"}, "invalid-field", "eventValue"),
        ({"userId": "u", "itemId": "i", "eventType": "w", "properties": [1]}, "invalid-field", "properties"),
        (b"\xff\xfe not utf-8", "invalid-encoding", "not UTF-8"),
    ],
)
def test_invalid_records_are_rejected_naming_the_problem(payload: object, reason: str, fragment: str) -> None:
    rejected = reject(payload)  # type: ignore[arg-type]

    assert rejected.reason == reason
    assert fragment in rejected.detail


def test_oversize_record_is_rejected_before_parsing() -> None:
    rejected = reject({"userId": "u", "itemId": "i", "eventType": "w", "pad": "x" * 200}, max_payload_bytes=100)

    assert rejected.reason == "record-too-large"
    assert "limit is 100" in rejected.detail
