"""The live watch-event record: what apps put on the Kinesis stream, and how one record is validated.

A record is one JSON object per Kinesis record (see docs/forward-events.md for the table):
``userId``, ``itemId``, ``eventType`` (required), ``eventValue``, ``sessionId``, ``sentAt``, ``properties``,
``eventId``, ``recommendationId`` (optional). Unknown fields are ignored so producers can add context freely.
The model mirrors the PutEvents constraints in botocore's service model, so an accepted record is a valid
PutEvents event and the client can skip botocore's own parameter validation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser import BaseModel, parse
from pydantic import ConfigDict, Field, StringConstraints, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from anime_recommender.contracts.sessions import default_session_id

#: PutEvents ``properties`` is a JSON string of 1..1024 characters.
MAX_PROPERTIES_CHARS = 1024
#: Keys PutEvents refuses inside ``properties`` (compared case-insensitively).
FORBIDDEN_PROPERTY_KEYS = frozenset({"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"})
#: Epoch values above this are milliseconds or nonsense (2e10 s is the year 2603).
_MAX_EPOCH_SECONDS = 2e10
#: ``sentAt`` must be after this instant (epoch seconds > 0, the same rule for ISO strings): earlier times are
#: nonsense for a watch event, and times near year 1 cannot even be converted to UTC (OverflowError).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Id256 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class WatchEvent(BaseModel):
    """One watch event as an app sends it (Powertools parser model; pydantic v2)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)

    userId: Id256
    itemId: Id256
    eventType: Id256
    eventValue: Annotated[float, Field(strict=True, allow_inf_nan=False)] | None = None
    sessionId: Id256 | None = None
    sentAt: datetime | None = None
    properties: dict[str, Any] | None = None
    eventId: Id256 | None = None
    recommendationId: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = (
        None
    )

    @field_validator("sentAt", mode="before")
    @classmethod
    def _sent_at_is_iso_or_epoch_seconds(cls, value: Any) -> Any:
        """Accept an ISO-8601 string or epoch seconds; naive ISO times are UTC; reject booleans and milliseconds."""
        if value is None:
            return None
        if isinstance(value, bool):
            raise PydanticCustomError("sent_at_invalid", "sentAt must be ISO-8601 or epoch seconds, got a boolean")
        if isinstance(value, int | float):
            if not math.isfinite(value) or value <= 0:
                raise PydanticCustomError("sent_at_invalid", "sentAt epoch seconds must be a positive number")
            if value > _MAX_EPOCH_SECONDS:
                raise PydanticCustomError(
                    "sent_at_invalid", "sentAt {value} looks like milliseconds; send epoch seconds", {"value": value}
                )
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
                parsed = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            except (ValueError, OverflowError):
                raise PydanticCustomError(
                    "sent_at_invalid", "sentAt {value!r} is not ISO-8601 or epoch seconds", {"value": value}
                ) from None
            if parsed <= _EPOCH or parsed.timestamp() > _MAX_EPOCH_SECONDS:
                raise PydanticCustomError(
                    "sent_at_invalid", "sentAt {value!r} is not between 1970 and 2603", {"value": value}
                )
            return parsed
        raise PydanticCustomError("sent_at_invalid", "sentAt must be ISO-8601 or epoch seconds")

    @field_validator("properties")
    @classmethod
    def _properties_fit_put_events(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Refuse keys PutEvents reserves and objects whose JSON is longer than 1024 characters."""
        if not value:
            return None
        forbidden = sorted(key for key in value if key.lower() in FORBIDDEN_PROPERTY_KEYS)
        if forbidden:
            raise PydanticCustomError(
                "properties_forbidden_key", "properties may not contain {keys}", {"keys": ", ".join(forbidden)}
            )
        length = len(properties_json(value))
        if length > MAX_PROPERTIES_CHARS:
            raise PydanticCustomError(
                "properties_too_long",
                "properties is {length} characters as JSON; PutEvents allows at most {limit}",
                {"length": length, "limit": MAX_PROPERTIES_CHARS},
            )
        return value


def properties_json(properties: dict[str, Any]) -> str:
    """The compact JSON string PutEvents receives for ``properties``."""
    return json.dumps(properties, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One record as read from the stream, independent of how it was read (Lambda event or GetRecords)."""

    record_id: str
    """The Kinesis sequence number: the identifier reported back for a retry."""
    data: bytes
    arrived_at: datetime
    """The record's approximate arrival time (timezone-aware): the default ``sentAt``."""
    event_id: str
    """A stable id for this record (``<shardId>:<sequenceNumber>``): the default PutEvents ``eventId``."""
    source: dict[str, str] = field(default_factory=dict)
    """Where an operator finds the record again (stream ARN, shard, partition key): copied into dead letters."""
    envelope_error: str = ""
    """Why the record around the data could not be read (e.g. ``data`` is not base64); such a record is
    dead-lettered as ``invalid-record`` with ``data`` holding the record as it was received."""
    position: int = 0
    """The record's index in its batch (set by the forwarder): its identity even if a sequence number repeats."""


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    """A valid record, ready for PutEvents."""

    record: StreamRecord
    user_id: str
    session_id: str
    event: dict[str, Any]
    """The PutEvents ``eventList`` entry (``sentAt`` as an aware datetime)."""


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that can never be delivered, with the reason (a stable code) and the details."""

    record: StreamRecord
    reason: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)


# Reason codes of rejected records (stable: operators filter dead letters on them).
REASON_INVALID_ENCODING = "invalid-encoding"
REASON_TOO_LARGE = "record-too-large"
REASON_INVALID_JSON = "invalid-json"
REASON_MISSING_FIELD = "missing-field"
REASON_INVALID_FIELD = "invalid-field"
REASON_PROPERTIES_TOO_LONG = "properties-too-long"
REASON_INVALID_PROPERTIES = "invalid-properties"
REASON_INVALID_SENT_AT = "invalid-sent-at"
REASON_REJECTED_BY_PERSONALIZE = "rejected-by-personalize"
REASON_INVALID_RECORD = "invalid-record"
REASON_DUPLICATE_SEQUENCE_NUMBER = "duplicate-sequence-number"
REASON_UNSENDABLE = "unsendable-event"
REASON_UNPROCESSABLE = "unprocessable-record"

_REASON_BY_ERROR_TYPE = {
    "json_invalid": REASON_INVALID_JSON,
    "model_type": REASON_INVALID_JSON,
    "missing": REASON_MISSING_FIELD,
    "properties_too_long": REASON_PROPERTIES_TOO_LONG,
    "properties_forbidden_key": REASON_INVALID_PROPERTIES,
    "sent_at_invalid": REASON_INVALID_SENT_AT,
}


def parse_watch_event(
    record: StreamRecord, *, max_payload_bytes: int, max_future: timedelta
) -> AcceptedEvent | RejectedRecord:
    """Validate one stream record; return the PutEvents-ready event or the reason it can never be delivered."""
    if record.envelope_error:
        return RejectedRecord(record, REASON_INVALID_RECORD, record.envelope_error)
    if len(record.data) > max_payload_bytes:
        return RejectedRecord(
            record, REASON_TOO_LARGE, f"payload is {len(record.data)} bytes; the limit is {max_payload_bytes}"
        )
    try:
        text = record.data.decode("utf-8")
    except UnicodeDecodeError as error:
        return RejectedRecord(record, REASON_INVALID_ENCODING, f"payload is not UTF-8 text: {error}")
    try:
        watch_event: WatchEvent = parse(event=text, model=WatchEvent)
    except ValidationError as error:
        return _rejection_from(record, error)

    sent_at = watch_event.sentAt or record.arrived_at
    if sent_at > record.arrived_at + max_future:
        return RejectedRecord(
            record,
            REASON_INVALID_SENT_AT,
            f"sentAt {sent_at.isoformat()} is more than {max_future} after the record arrived "
            f"({record.arrived_at.isoformat()})",
            [{"field": "sentAt", "type": "sent_at_in_future", "message": "sentAt is in the future"}],
        )
    event: dict[str, Any] = {
        "eventId": watch_event.eventId or record.event_id,
        "eventType": watch_event.eventType,
        "itemId": watch_event.itemId,
        "sentAt": sent_at,
    }
    if watch_event.eventValue is not None:
        event["eventValue"] = watch_event.eventValue
    if watch_event.properties:
        event["properties"] = properties_json(watch_event.properties)
    if watch_event.recommendationId:
        event["recommendationId"] = watch_event.recommendationId
    return AcceptedEvent(
        record=record,
        user_id=watch_event.userId,
        session_id=watch_event.sessionId or default_session_id(watch_event.userId),
        event=event,
    )


def field_errors(error: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors as ``{"field", "type", "message"}`` items (never the input: it may be huge or hostile)."""
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]) or "(record)",
            "type": item["type"],
            "message": item["msg"],
        }
        for item in error.errors(include_url=False, include_input=False)
    ]


def describe_errors(errors: list[dict[str, str]]) -> str:
    """One line naming each field and what is wrong with it."""
    return "; ".join(f"{item['field']}: {item['message']}" for item in errors)


def _rejection_from(record: StreamRecord, error: ValidationError) -> RejectedRecord:
    """Turn pydantic's errors into a reason code plus one line per problem, naming the field."""
    errors = field_errors(error)
    reason = _REASON_BY_ERROR_TYPE.get(errors[0]["type"], REASON_INVALID_FIELD)
    return RejectedRecord(record, reason, describe_errors(errors), errors)
