"""Grouping by (userId, sessionId) keeps stream order; each PutEvents call carries at most 10 events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from anime_recommender.forward_events import AcceptedEvent, EventGroup, StreamRecord, group_by_user_session


def accepted(index: int, user: str, session: str) -> AcceptedEvent:
    record = StreamRecord(str(index), b"{}", datetime(2026, 1, 1, tzinfo=UTC), f"shard:{index}")
    return AcceptedEvent(record, user, session, {"itemId": str(index)})


def test_interleaved_users_and_sessions_are_grouped_in_stream_order() -> None:
    stream = [("u1", "a"), ("u2", "a"), ("u1", "a"), ("u1", "b"), ("u2", "a"), ("u1", "a")]
    events = [accepted(index, user, session) for index, (user, session) in enumerate(stream)]

    groups = group_by_user_session(events)

    assert [(g.user_id, g.session_id, [e.record.record_id for e in g.events]) for g in groups] == [
        ("u1", "a", ["0", "2", "5"]),
        ("u2", "a", ["1", "4"]),
        ("u1", "b", ["3"]),
    ]


def test_chunks_hold_at_most_ten_consecutive_events() -> None:
    group = EventGroup("u1", "s", [accepted(index, "u1", "s") for index in range(23)])

    chunks = list(group.chunks())

    assert [len(chunk) for chunk in chunks] == [10, 10, 3]
    assert [event.record.record_id for chunk in chunks for event in chunk] == [str(i) for i in range(23)]


@pytest.mark.parametrize("size", [0, 11])
def test_chunk_size_outside_put_events_limits_is_refused(size: int) -> None:
    group = EventGroup("u1", "s", [accepted(0, "u1", "s")])

    with pytest.raises(ValueError, match=r"1\.\.10"):
        list(group.chunks(size))
