"""Test helpers for the live watch-events forwarder: PutEvents doubles and reconciliation (the handler and its Lambda
context come from ``sam_app.handlers``, the Kinesis events from ``testing.watch_event_batches``).

The doubles are botocore ``before-send`` hooks (a real botocore mechanism): a hook that returns a response
short-circuits the HTTP call; one that returns None lets the request through to the real endpoint.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

from testing.watch_event_batches import aws_response


def events_of(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of PutEvents request bodies, in call order, each with its call's userId and sessionId."""
    return [
        {**event, "userId": call.get("userId"), "sessionId": call["sessionId"]}
        for call in calls
        for event in call["eventList"]
    ]


@dataclass
class PutEventsRecorder:
    """A before-send hook that records every PutEvents request and answers 200 without any HTTP (instant)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    answer: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        body = json.loads(request.body)
        with self._lock:
            self.calls.append(body)
        return aws_response(request, 200) if self.answer else None

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event sent, in call order, with the call's userId and sessionId added."""
        return events_of(self.calls)


@dataclass
class FailFirstCalls:
    """A before-send hook that answers the first ``count`` PutEvents calls with an error, then lets calls through.

    Default: Personalize's throttling answer (HTTP 400 ``ThrottlingException``). Later calls go to ``then`` (e.g.
    a :class:`PutEventsRecorder`) or, without it, to the real endpoint behind the client. Botocore calls *every*
    before-send hook and uses the first response, so chain doubles through ``then`` instead of registering both.
    """

    count: int
    then: Any = None
    status: int = 400
    code: str = "ThrottlingException"
    message: str = "Rate exceeded"
    seen: int = 0
    failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        with self._lock:
            self.seen += 1
            passes = self.failed >= self.count
            if not passes:
                self.failed += 1
        if passes:
            return self.then(request) if self.then is not None else None
        return aws_response(request, self.status, {"message": self.message}, {"x-amzn-ErrorType": self.code})


@dataclass
class RefuseEvents:
    """A before-send hook answering ``InvalidInputException`` to any PutEvents call with an event ``refuse(event)``
    is true for (as the event tracker does for, e.g., a property that is not a column of the schema)."""

    refuse: Any
    message: str = "eventList[0]: properties are not fields of the Interactions schema"
    then: Any = None
    refused_calls: int = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        body = json.loads(request.body)
        if any(self.refuse(event) for event in body["eventList"]):
            self.refused_calls += 1
            return aws_response(request, 400, {"message": self.message}, {"x-amzn-ErrorType": "InvalidInputException"})
        return self.then(request) if self.then is not None else None


@dataclass
class DeliveredEvents:
    """Records the events of every PutEvents call that returned HTTP 200, whatever answered it (double or server).

    Uses ``before-call`` (the serialized request) and ``after-call`` (the HTTP status) hooks on one client.
    """

    calls: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, client: Any) -> DeliveredEvents:
        client.meta.events.register("before-call.personalize-events.PutEvents", self._before)
        client.meta.events.register("after-call.personalize-events.PutEvents", self._after)
        return self

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["watch_events_request"] = json.loads(params["body"])

    def _after(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response is not None and http_response.status_code == 200:
            with self._lock:
                self.calls.append(context["watch_events_request"])

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every delivered event with its call's userId and sessionId."""
        return events_of(self.calls)


#: The characters SQS accepts in a message body: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD |
#: #x10000 to #x10FFFF (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
#: moto does not check them; real SQS refuses a message with others (or replaces them with U+FFFD).
SQS_ALLOWED_BODY = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]+")


def sqs_accepts(body: str) -> bool:
    """True when real SQS would store ``body`` unchanged."""
    return SQS_ALLOWED_BODY.fullmatch(body) is not None


def drain_queue(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message body in a queue (parsed JSON), receiving until the queue is empty."""
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            body = json.loads(message["Body"])
            body["_reasonAttribute"] = message.get("MessageAttributes", {}).get("reason", {}).get("StringValue")
            bodies.append(body)


@dataclass(frozen=True)
class Reconciliation:
    """Sequence numbers of a batch split by fate; ``records in = delivered + dead-lettered + reported``."""

    received: list[str]
    delivered: set[str]
    dead_lettered: set[str]
    reported: set[str]


def reconcile(
    event: dict[str, Any], response: dict[str, Any], delivered: list[dict[str, Any]], dead_letters: list[dict[str, Any]]
) -> Reconciliation:
    """Split a batch's records by what the outside world saw, and assert every record has exactly one fate.

    Delivered events are matched to records by eventId: the producer's, else the default ``<shardId>:<sequence>``.
    """
    received = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    sequence_of = {record["eventID"]: record["kinesis"]["sequenceNumber"] for record in event["Records"]}
    for record in event["Records"]:
        try:
            own_id = json.loads(base64.b64decode(record["kinesis"]["data"])).get("eventId")
        except (ValueError, AttributeError):
            own_id = None
        if own_id:
            sequence_of[own_id] = record["kinesis"]["sequenceNumber"]
    delivered_ids = [sequence_of.get(item["eventId"], f"unknown eventId {item['eventId']}") for item in delivered]
    dead_ids = [letter["record"]["sequenceNumber"] for letter in dead_letters]
    reported_ids = [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
    for name, ids in (("delivered", delivered_ids), ("dead-lettered", dead_ids), ("reported", reported_ids)):
        assert len(ids) == len(set(ids)), f"a record was {name} twice: {sorted(ids)}"
    split = Reconciliation(received, set(delivered_ids), set(dead_ids), set(reported_ids))
    assert not (split.delivered & split.dead_lettered), "a record was both delivered and dead-lettered"
    assert not (split.delivered & split.reported), "a record was delivered and reported for retry"
    assert not (split.dead_lettered & split.reported), "a record was dead-lettered and reported for retry"
    assert split.delivered | split.dead_lettered | split.reported == set(received), "records were lost or invented"
    assert len(received) == len(split.delivered) + len(split.dead_lettered) + len(split.reported)
    return split
