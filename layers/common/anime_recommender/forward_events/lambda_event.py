"""Lambda's Kinesis event → :class:`StreamRecord` list, one record at a time, never failing the whole batch.

Each record is validated on its own with Powertools' ``KinesisDataStreamRecord`` model. A record that does not
fit it (``data`` that is not base64, an arrival time out of range, a missing field) becomes a record with an
``envelope_error``: it is dead-lettered as ``invalid-record`` with the record exactly as Lambda delivered it (JSON)
as its payload, and the rest of the batch goes on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamRecord
from pydantic import ValidationError

from anime_recommender.forward_events.record import StreamRecord, describe_errors, field_errors

#: Stand-in arrival time of a record whose own one cannot be read (the dead letter keeps the original value).
UNKNOWN_ARRIVAL = datetime(1970, 1, 1, tzinfo=UTC)


def records_of(event: Any) -> list[Any]:
    """The raw ``Records`` of a Lambda stream event (an event without a list of records is an empty batch)."""
    records = event.get("Records") if isinstance(event, dict) else None
    return records if isinstance(records, list) else []


def stream_records(event: Any) -> list[StreamRecord]:
    """Every record of a Lambda Kinesis event as a :class:`StreamRecord`, in order; never raises for one record."""
    return [stream_record(raw, position) for position, raw in enumerate(records_of(event))]


def stream_record(raw: Any, position: int = 0) -> StreamRecord:
    """One Lambda Kinesis record as a :class:`StreamRecord`; an unreadable one carries its ``envelope_error``."""
    try:
        parsed = KinesisDataStreamRecord.model_validate(raw)
        arrived_at = datetime.fromtimestamp(parsed.kinesis.approximateArrivalTimestamp, UTC)
    except ValidationError as error:
        return _unreadable(raw, position, describe_errors(field_errors(error)))
    except (ValueError, OverflowError, OSError) as error:  # an arrival time datetime cannot represent
        return _unreadable(raw, position, f"kinesis.approximateArrivalTimestamp: {type(error).__name__}: {error}")
    return StreamRecord(
        record_id=parsed.kinesis.sequenceNumber,
        data=bytes(parsed.kinesis.data),  # the base64 validator always yields bytes for Lambda's string
        arrived_at=arrived_at,
        event_id=parsed.eventID,
        source={"partitionKey": parsed.kinesis.partitionKey, "eventSourceARN": parsed.eventSourceARN},
        position=position,
    )


def _unreadable(raw: Any, position: int, problem: str) -> StreamRecord:
    """A record to dead-letter whole: its payload is the Lambda record itself, as JSON."""
    return StreamRecord(
        record_id=_text(raw, "kinesis", "sequenceNumber"),
        data=json.dumps(raw, ensure_ascii=False, default=repr).encode("utf-8", "surrogatepass"),
        arrived_at=UNKNOWN_ARRIVAL,
        event_id=_text(raw, "eventID"),
        source={"partitionKey": _text(raw, "kinesis", "partitionKey"), "eventSourceARN": _text(raw, "eventSourceARN")},
        envelope_error=f"the Lambda record cannot be read: {problem}",
        position=position,
    )


def _text(raw: Any, *path: str) -> str:
    """A string field of the raw record, or "" when it is missing or not a string."""
    value = raw
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""
