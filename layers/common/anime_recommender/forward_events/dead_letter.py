"""Dead letters: records that can never be delivered, parked in SQS with the reason and the original payload.

Message body (JSON, ``schemaVersion`` 1)::

    {"schemaVersion": 1, "reason": "missing-field", "detail": "userId: Field required",
     "errors": [{"field": "userId", "type": "missing", "message": "Field required"}],
     "record": {"sequenceNumber": "...", "eventID": "shardId-...:...", "partitionKey": "...",
                "approximateArrivalTimestamp": "2026-...Z", "eventSourceARN": "arn:...:stream/..."},
     "payload": "<the record's data>", "payloadEncoding": "utf-8" | "base64", "payloadTruncated": false,
     "deadLetteredAt": "2026-...Z"}

The message attribute ``reason`` carries the same code, so a consumer can filter without parsing bodies.

The body is JSON with every non-ASCII character escaped (``\\uXXXX``): SQS accepts only #x9 | #xA | #xD |
#x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a message and refuses (or replaces with U+FFFD) anything else
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html), while a payload
may contain U+FFFE, U+FFFF or control characters. Escaped JSON is plain ASCII, and ``json.loads`` gives back the
exact original text.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from anime_recommender.forward_events.record import RejectedRecord
from anime_recommender.forward_events.retry import error_code

SCHEMA_VERSION = 1
#: SQS takes at most 10 entries and 256 KiB per SendMessageBatch; keep headroom for attributes.
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 240 * 1024
MAX_MESSAGE_BYTES = MAX_BATCH_BYTES


def dead_letter_body(rejected: RejectedRecord, *, now: datetime, max_bytes: int = MAX_MESSAGE_BYTES) -> str:
    """The JSON body of one dead letter; the payload is truncated (and flagged) only if the body would not fit."""
    try:
        payload, encoding = rejected.record.data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        payload, encoding = base64.b64encode(rejected.record.data).decode("ascii"), "base64"
    record = {"sequenceNumber": rejected.record.record_id, "eventID": rejected.record.event_id}
    record.update(rejected.record.source)
    record["approximateArrivalTimestamp"] = rejected.record.arrived_at.isoformat()
    message: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "reason": rejected.reason,
        "detail": rejected.detail,
        "errors": rejected.errors,
        "record": record,
        "payload": payload,
        "payloadEncoding": encoding,
        "payloadTruncated": False,
        "deadLetteredAt": now.isoformat(),
    }
    body = json.dumps(message, ensure_ascii=True)
    while len(body) > max_bytes and message["payload"]:  # ASCII: characters are bytes
        message["payload"] = message["payload"][: len(message["payload"]) // 2]
        message["payloadTruncated"] = True
        body = json.dumps(message, ensure_ascii=True)
    return body


@dataclass
class DeadLetterResult:
    """Which rejected records are safely in the queue, and which could not be parked (with the error)."""

    parked: list[RejectedRecord] = field(default_factory=list)
    failed: list[tuple[RejectedRecord, str]] = field(default_factory=list)


class DeadLetterQueue:
    """Sends dead letters to one SQS queue with SendMessageBatch (botocore's retries cover transient errors)."""

    def __init__(self, sqs_client: Any, queue_url: str, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        """``sqs_client`` is a boto3 SQS client; ``queue_url`` the dead-letter queue."""
        self.sqs_client = sqs_client
        """The boto3 SQS client (exposed so callers can instrument it, e.g. with botocore hooks)."""
        self._queue_url = queue_url
        self._now = now

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> DeadLetterQueue:
        """The queue named by ``DLQ_URL``, with a boto3 SQS client (standard retries, 5 attempts)."""
        queue_url = environ.get("DLQ_URL")
        if not queue_url:
            raise RuntimeError("DLQ_URL is not set: the forwarder needs the dead-letter queue URL")
        return cls(boto3.client("sqs", config=Config(retries={"mode": "standard", "max_attempts": 5})), queue_url)

    def park(self, rejected: Sequence[RejectedRecord]) -> DeadLetterResult:
        """Send every rejected record; report per record whether it is parked or must be retried."""
        result = DeadLetterResult()
        now = self._now()
        bodies = []
        for item in rejected:
            try:
                bodies.append((item, dead_letter_body(item, now=now)))
            except Exception as error:  # a bug must not lose the record: it is retried instead
                result.failed.append((item, f"dead letter body failed: {type(error).__name__}: {error}"))
        for batch in _batches(bodies):
            entries = [
                {
                    "Id": str(index),
                    "MessageBody": body,
                    "MessageAttributes": {"reason": {"DataType": "String", "StringValue": item.reason}},
                }
                for index, (item, body) in enumerate(batch)
            ]
            try:
                response = self.sqs_client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except Exception as error:  # any failure (AWS or not) leaves these records to the stream's retry
                result.failed.extend(
                    (item, f"SendMessageBatch failed: {error_code(error)}: {error}") for item, _ in batch
                )
                continue
            failed = {entry.get("Id"): entry for entry in response.get("Failed") or []}
            successful = {entry.get("Id") for entry in response.get("Successful") or []}
            for index, (item, _) in enumerate(batch):
                failure = failed.get(str(index))
                if failure is None and str(index) in successful:
                    result.parked.append(item)
                elif failure is None:  # neither listed: SQS did not confirm it, so it is not known to be parked
                    result.failed.append((item, "SendMessageBatch did not report this entry as successful"))
                else:
                    result.failed.append(
                        (item, f"SendMessageBatch entry failed: {failure.get('Code')}: {failure.get('Message')}")
                    )
        return result


def _batches(bodies: list[tuple[RejectedRecord, str]]) -> Iterator[list[tuple[RejectedRecord, str]]]:
    """Consecutive batches within SQS's entry-count and total-size limits."""
    batch: list[tuple[RejectedRecord, str]] = []
    size = 0
    for item, body in bodies:
        body_size = len(body.encode("utf-8"))
        if batch and (len(batch) == MAX_BATCH_ENTRIES or size + body_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((item, body))
        size += body_size
    if batch:
        yield batch
