"""PutEvents for one (user, session) group: ≤ 10 events per call, in order, retried with backoff.

Per chunk of the group:
- 200: every event of the chunk is delivered.
- ``InvalidInputException``: the event tracker refuses something in the chunk. The chunk is re-sent one event at
  a time (in order) so only the refused events are rejected (→ dead-letter queue) and the others delivered.
  When the message is about the tracking id or tracker itself, nothing is rejected: the chunk is retried.
- a transient error still failing after the retries (or the deadline): this chunk and **every later event of the
  group** are left to the stream's retry, so a session's events never reach Personalize out of order.
- an error that is not an AWS answer (botocore's ``ParamValidationError``, or any other exception the client
  raises, e.g. ``OverflowError`` while serialising): it comes from the events, so the chunk is isolated like an
  ``InvalidInputException``; an event that fails on its own is rejected as ``unsendable-event`` (dead-lettered,
  never retried: retrying it would fail the same way forever).
- any other AWS error (access denied, unknown tracker, ...): treated like a transient one — reported for retry,
  never dropped — but without in-invocation retries, since waiting will not fix it.

:meth:`PutEventsSender.deliver_group` never raises: if something unexpected happens between calls, the events
not yet accounted for are left to the stream's retry (``forwarder-error``) and the delivered ones stay delivered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from anime_recommender.forward_events.grouping import EventGroup
from anime_recommender.forward_events.record import (
    REASON_REJECTED_BY_PERSONALIZE,
    REASON_UNSENDABLE,
    AcceptedEvent,
)
from anime_recommender.forward_events.retry import RetryOutcome, RetryPolicy, call_with_retry, error_code

INVALID_INPUT = "InvalidInputException"
#: Reason of events left to the stream's retry after an unexpected error inside the forwarder itself.
REASON_FORWARDER_ERROR = "forwarder-error"


@dataclass
class GroupResult:
    """What became of each event of one group, plus how many PutEvents calls it took."""

    delivered: list[AcceptedEvent] = field(default_factory=list)
    rejected: list[tuple[AcceptedEvent, str, str]] = field(default_factory=list)
    """(event, reason code, detail) of events that can never be delivered."""
    to_retry: list[tuple[AcceptedEvent, str, str]] = field(default_factory=list)
    """(event, reason code, detail) of events left to the stream's retry."""
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
        try:
            chunks = list(group.chunks())
            for index, chunk in enumerate(chunks):
                stopped_at = self._deliver_chunk(tracking_id, group, chunk, deadline, result)
                if stopped_at is not None:
                    position, reason = stopped_at
                    behind = [event for later in chunks[index + 1 :] for event in later]
                    result.to_retry.extend((event, "put-events-failed", reason) for event in chunk[position:])
                    detail = f"behind an undelivered event of the same session ({reason})"
                    result.to_retry.extend((event, "put-events-failed", detail) for event in behind)
                    break
        except Exception as error:  # a bug here must not lose events nor re-send delivered ones
            accounted = {id(event) for event in result.delivered}
            accounted.update(id(item[0]) for item in result.rejected + result.to_retry)
            detail = f"{type(error).__name__}: {error}"
            result.to_retry.extend(
                (event, REASON_FORWARDER_ERROR, detail) for event in group.events if id(event) not in accounted
            )
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
        if not blames_the_events(outcome.error):
            return 0, _failure_reason(outcome)
        if len(chunk) == 1:
            result.rejected.append((chunk[0], *_rejection(outcome.error)))
            return None
        for position, event in enumerate(chunk):  # isolate the refused event(s), keeping order
            single = self._send(tracking_id, group, [event], deadline, result)
            if single.succeeded:
                result.delivered.append(event)
            elif blames_the_events(single.error) and not refuses_tracker(single.error):
                result.rejected.append((event, *_rejection(single.error)))
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


def blames_the_events(error: BaseException | None) -> bool:
    """True when the error is about the events sent, so isolating and rejecting them is right (retrying is not).

    ``InvalidInputException`` is Personalize's answer to a bad event; ``ParamValidationError`` and any exception
    that is not a botocore error are raised by the client itself while building the request from the events.
    """
    if isinstance(error, ClientError):
        return error_code(error) == INVALID_INPUT
    return isinstance(error, ParamValidationError) or not isinstance(error, BotoCoreError)


def _rejection(error: BaseException | None) -> tuple[str, str]:
    """(reason code, detail) of an event rejected because of ``error``."""
    if isinstance(error, ClientError):
        return REASON_REJECTED_BY_PERSONALIZE, f"PutEvents refused the event: {error}"
    return REASON_UNSENDABLE, f"the client could not send the event: {type(error).__name__}: {error}"


def _failure_reason(outcome: RetryOutcome) -> str:
    return f"PutEvents failed after {outcome.attempts} attempt(s): {error_code(outcome.error)}: {outcome.error}"
