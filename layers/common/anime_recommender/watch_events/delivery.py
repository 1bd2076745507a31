"""PutEvents for one (user, session) group: ≤ 10 events per call, in order, retried with backoff.

Per chunk of the group:
- 200: every event of the chunk is delivered.
- ``InvalidInputException``: the event tracker refuses something in the chunk. The chunk is re-sent one event at
  a time (in order) so only the refused events are rejected (→ dead-letter queue) and the others delivered.
  When the message is about the tracking id or tracker itself, nothing is rejected: the chunk is retried.
- a transient error still failing after the retries (or the deadline): this chunk and **every later event of the
  group** are left to the stream's retry, so a session's events never reach Personalize out of order.
- any other error (access denied, unknown tracker, ...): treated like a transient one — reported for retry,
  never dropped — but without in-invocation retries, since waiting will not fix it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anime_recommender.watch_events.grouping import EventGroup
from anime_recommender.watch_events.record import AcceptedEvent
from anime_recommender.watch_events.retry import RetryOutcome, RetryPolicy, call_with_retry, error_code

INVALID_INPUT = "InvalidInputException"


@dataclass
class GroupResult:
    """What became of each event of one group, plus how many PutEvents calls it took."""

    delivered: list[AcceptedEvent] = field(default_factory=list)
    rejected: list[tuple[AcceptedEvent, str]] = field(default_factory=list)
    to_retry: list[tuple[AcceptedEvent, str]] = field(default_factory=list)
    calls: int = 0
    transient_failures: int = 0
    tracker_refused: bool = False
    """PutEvents refused the tracking id itself (unknown or inactive tracker)."""


class PutEventsSender:
    """Calls PutEvents through a boto3 ``personalize-events`` client with a bounded retry policy."""

    def __init__(
        self,
        client: Any,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """``client`` should have botocore's own retries off (``total_max_attempts=1``): this class retries."""
        self._client = client
        self._policy = policy
        self._clock = clock
        self._sleep = sleep
        self._operation = client.meta.service_model.operation_model("PutEvents")

    def put_events(
        self, tracking_id: str, user_id: str, session_id: str, events: list[AcceptedEvent], deadline: float | None
    ) -> RetryOutcome:
        """One PutEvents call (with retries) for events of one user and session."""
        event_list = [accepted.event for accepted in events]
        return call_with_retry(
            lambda: self._client.put_events(
                trackingId=tracking_id, userId=user_id, sessionId=session_id, eventList=event_list
            ),
            self._policy,
            operation_model=self._operation,
            deadline=deadline,
            clock=self._clock,
            sleep=self._sleep,
        )

    def deliver_group(self, tracking_id: str, group: EventGroup, deadline: float | None = None) -> GroupResult:
        """Deliver a group chunk by chunk; stop at the first chunk that cannot be delivered now."""
        result = GroupResult()
        chunks = list(group.chunks())
        for index, chunk in enumerate(chunks):
            stopped_at = self._deliver_chunk(tracking_id, group, chunk, deadline, result)
            if stopped_at is not None:
                position, reason = stopped_at
                behind = [event for later in chunks[index + 1 :] for event in later]
                result.to_retry.extend((event, reason) for event in chunk[position:])
                result.to_retry.extend(
                    (event, f"behind an undelivered event of the same session ({reason})") for event in behind
                )
                break
        return result

    def _deliver_chunk(
        self,
        tracking_id: str,
        group: EventGroup,
        chunk: list[AcceptedEvent],
        deadline: float | None,
        result: GroupResult,
    ) -> tuple[int, str] | None:
        """Deliver one chunk; return (position of the first undelivered event, reason) if delivery must stop."""
        outcome = self._send(tracking_id, group, chunk, deadline, result)
        if outcome.succeeded:
            result.delivered.extend(chunk)
            return None
        if refuses_tracker(outcome.error):
            result.tracker_refused = True
            return 0, _failure_reason(outcome)
        if error_code(outcome.error) != INVALID_INPUT:
            return 0, _failure_reason(outcome)
        if len(chunk) == 1:
            result.rejected.append((chunk[0], _message(outcome.error)))
            return None
        for position, event in enumerate(chunk):  # isolate the refused event(s), keeping order
            single = self._send(tracking_id, group, [event], deadline, result)
            if single.succeeded:
                result.delivered.append(event)
            elif error_code(single.error) == INVALID_INPUT and not refuses_tracker(single.error):
                result.rejected.append((event, _message(single.error)))
            else:
                result.tracker_refused = result.tracker_refused or refuses_tracker(single.error)
                return position, _failure_reason(single)
        return None

    def _send(
        self,
        tracking_id: str,
        group: EventGroup,
        events: list[AcceptedEvent],
        deadline: float | None,
        result: GroupResult,
    ) -> RetryOutcome:
        outcome = self.put_events(tracking_id, group.user_id, group.session_id, events, deadline)
        result.calls += outcome.attempts
        result.transient_failures += outcome.transient_failures
        return outcome


def refuses_tracker(error: BaseException | None) -> bool:
    """True when PutEvents' InvalidInputException is about the tracking id or tracker, not about an event.

    PutEvents models no other error, so an unknown or inactive tracker also arrives as InvalidInputException; such
    a call says nothing about the events, which must be retried (the pipeline may be replacing the tracker),
    never dead-lettered.
    """
    message = str(error).lower()
    return any(marker in message for marker in ("trackingid", "tracking id", "event tracker"))


def _message(error: BaseException | None) -> str:
    return f"PutEvents refused the event: {error}"


def _failure_reason(outcome: RetryOutcome) -> str:
    return f"PutEvents failed after {outcome.attempts} attempt(s): {error_code(outcome.error)}: {outcome.error}"
