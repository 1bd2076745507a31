"""Group accepted events by (userId, sessionId), keeping stream order, and cut each group into PutEvents calls."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from anime_recommender.forward_events.record import AcceptedEvent

#: PutEvents takes 1..10 events per call, all of one user and session.
MAX_EVENTS_PER_CALL = 10


@dataclass(frozen=True, slots=True)
class EventGroup:
    """All events of one (user, session) in one batch, in the order they were on the stream."""

    user_id: str
    session_id: str
    events: list[AcceptedEvent]

    def chunks(self, size: int = MAX_EVENTS_PER_CALL) -> Iterator[list[AcceptedEvent]]:
        """Consecutive slices of at most ``size`` events: one PutEvents call each."""
        if not 1 <= size <= MAX_EVENTS_PER_CALL:
            raise ValueError(f"chunk size must be 1..{MAX_EVENTS_PER_CALL}, got {size}")
        for start in range(0, len(self.events), size):
            yield self.events[start : start + size]


def group_by_user_session(events: Iterable[AcceptedEvent]) -> list[EventGroup]:
    """Group events by (userId, sessionId); groups appear in order of their first event, events keep stream order."""
    groups: dict[tuple[str, str], EventGroup] = {}
    for accepted in events:
        key = (accepted.user_id, accepted.session_id)
        group = groups.get(key)
        if group is None:
            group = groups[key] = EventGroup(accepted.user_id, accepted.session_id, [])
        group.events.append(accepted)
    return list(groups.values())
