"""Lambda Kinesis events of watch events, as the event source mapping shapes them, and botocore responses for
``before-send`` hooks (a hook that returns a response short-circuits the HTTP call) - for tests and benchmarks."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

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
