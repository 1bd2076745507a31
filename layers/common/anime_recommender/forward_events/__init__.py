"""Live watch events: validate Kinesis records, forward them to the Personalize event tracker, park the bad ones.

Knows nothing of Lambda: callers turn their records into :class:`StreamRecord` and act on the
:class:`DeliveryReport` (the Lambda handler reports ``Outcome.RETRY`` records as batch item failures). The
``from_environment`` constructors (:class:`WatchEventForwarder`, :class:`PublishedTrackingId`) wire the clients,
settings and SSM parameter the function's environment names; :meth:`DeliveryReport.publish` emits its metrics.
"""

from anime_recommender.forward_events.dead_letter import DeadLetterQueue, dead_letter_body
from anime_recommender.forward_events.delivery import PutEventsSender
from anime_recommender.forward_events.forwarder import ForwarderSettings, WatchEventForwarder
from anime_recommender.forward_events.grouping import MAX_EVENTS_PER_CALL, EventGroup, group_by_user_session
from anime_recommender.forward_events.lambda_event import stream_records
from anime_recommender.forward_events.record import (
    AcceptedEvent,
    RejectedRecord,
    StreamRecord,
    WatchEvent,
    default_session_id,
    parse_watch_event,
)
from anime_recommender.forward_events.report import DeliveryReport, Outcome, RecordFate
from anime_recommender.forward_events.retry import RetryPolicy, call_with_retry, is_transient
from anime_recommender.forward_events.tracking_id import PublishedTrackingId, TrackingIdNotDeployed

__all__ = [
    "MAX_EVENTS_PER_CALL",
    "AcceptedEvent",
    "DeadLetterQueue",
    "DeliveryReport",
    "EventGroup",
    "ForwarderSettings",
    "Outcome",
    "PublishedTrackingId",
    "PutEventsSender",
    "RecordFate",
    "RejectedRecord",
    "RetryPolicy",
    "StreamRecord",
    "TrackingIdNotDeployed",
    "WatchEvent",
    "WatchEventForwarder",
    "call_with_retry",
    "dead_letter_body",
    "default_session_id",
    "group_by_user_session",
    "is_transient",
    "parse_watch_event",
    "stream_records",
]
