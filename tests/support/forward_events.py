"""Test helpers for the live watch-events forwarder: Lambda Kinesis events and PutEvents doubles (the handler and
its Lambda context come from ``sam_app.handlers``).

The doubles are botocore ``before-send`` hooks (a real botocore mechanism): a hook that returns a response
short-circuits the HTTP call; one that returns None lets the request through to the real endpoint.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/watch-events"
SHARD_ID = "shardId-000000000000"
PUT_EVENTS_EVENT = "before-send.personalize-events.PutEvents"


class _RawBody:
    """The minimal raw body object AWSResponse needs."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._body


def aws_response(
    request: Any, status: int, body: dict[str, Any] | None = None, headers: dict | None = None
) -> AWSResponse:
    """A botocore response for a before-send hook."""
    payload = json.dumps(body).encode() if body is not None else b""
    return AWSResponse(request.url, status, {"Content-Type": "application/json", **(headers or {})}, _RawBody(payload))


def encode_payload(payload: bytes | str | dict[str, Any]) -> bytes:
    """Record data as a producer writes it: dicts become JSON, str becomes UTF-8."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload).encode("utf-8")


def kinesis_record(
    data: bytes,
    sequence_number: str,
    *,
    partition_key: str = "pk",
    arrival: float = 1_767_225_600.0,
    shard_id: str = SHARD_ID,
    stream_arn: str = STREAM_ARN,
) -> dict[str, Any]:
    """One record of a Lambda Kinesis event, exactly as Lambda shapes it."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/forward-events",
        "awsRegion": "us-east-1",
        "eventSourceARN": stream_arn,
    }


def kinesis_event(
    payloads: Iterable[bytes | str | dict[str, Any]], *, arrival: float = 1_767_225_600.0, first_sequence: int = 0
) -> dict:
    """A Lambda Kinesis event with one record per payload (partition key = userId), sequence numbers in order."""
    records = []
    for index, payload in enumerate(payloads):
        sequence = f"4959{first_sequence + index:052d}"
        key = str(payload.get("userId", "anonymous")) if isinstance(payload, dict) else "unparsable"
        records.append(
            kinesis_record(encode_payload(payload), sequence, partition_key=key, arrival=arrival + index / 1000)
        )
    return {"Records": records}


def event_from_get_records(records: list[dict[str, Any]], *, shard_id: str, stream_arn: str) -> dict[str, Any]:
    """The Lambda event for records read with boto3 ``kinesis.get_records`` (what the event source mapping does)."""
    return {
        "Records": [
            kinesis_record(
                record["Data"],
                record["SequenceNumber"],
                partition_key=record["PartitionKey"],
                arrival=_epoch(record["ApproximateArrivalTimestamp"]),
                shard_id=shard_id,
                stream_arn=stream_arn,
            )
            for record in records
        ]
    }


def _epoch(value: datetime | float) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


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
        return [
            {**event, "userId": call.get("userId"), "sessionId": call["sessionId"]}
            for call in self.calls
            for event in call["eventList"]
        ]


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
        return [
            {**event, "userId": call.get("userId"), "sessionId": call["sessionId"]}
            for call in self.calls
            for event in call["eventList"]
        ]


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


INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "DEVICE", "type": ["null", "string"], "categorical": True},
        {"name": "EPISODE", "type": ["null", "long"]},
    ],
    "version": "1.0",
}


def create_event_tracker(name: str = "watch-events") -> str:
    """A dataset group with an Interactions dataset (DEVICE and EPISODE columns) and an ACTIVE event tracker, on
    whatever ``AWS_ENDPOINT_URL_PERSONALIZE`` points at (Personalize Local); returns the tracking id. No training."""
    from tests.support.personalize_setup import wait_active

    personalize = boto3.client("personalize")
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    schema = personalize.create_schema(name=f"{name}-interactions", schema=json.dumps(INTERACTIONS_SCHEMA))["schemaArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
    dataset = personalize.create_dataset(
        name=f"{name}-interactions", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    wait_active(lambda: personalize.describe_dataset(datasetArn=dataset)["dataset"], dataset)
    tracker = personalize.create_event_tracker(name=f"{name}-tracker", datasetGroupArn=group)
    arn = tracker["eventTrackerArn"]
    wait_active(lambda: personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"], arn)
    return tracker["trackingId"]
