"""Kinesis → Personalize event tracker: forwards live watch events, loses none.

Thin handler: parse the Kinesis event (Powertools parser) → the domain forwarder decides every record's fate
(delivered / dead-lettered / retry) → Powertools' BatchProcessor settles each record against that report, which
yields ``batchItemFailures`` in Powertools' format. Grouping by (user, session) and PutEvents batching need the
whole batch, so delivery runs first and the per-record settle step only reads the outcome.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamModel, KinesisDataStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from anime_recommender.watch_events import (
    DeadLetterQueue,
    DeliveryReport,
    ForwarderSettings,
    Outcome,
    StreamRecord,
    WatchEventForwarder,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# All records failing is still a partial response (Lambda retries from the first one); raising would make Lambda
# bisect the batch, which does not help against throttling.
processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)

TRACKING_ID_CACHE_SECONDS = int(os.environ.get("TRACKING_ID_CACHE_SECONDS", "300"))
#: The value template.yaml gives the tracking-id parameter until the pipeline writes the real one.
TRACKING_ID_PLACEHOLDER = "not-deployed-yet"
#: Stop starting retry waits when less than this share of the remaining time (at least 1 s) is left.
DEADLINE_SAFETY = 0.1


class RecordNotDelivered(Exception):
    """Raised for a record whose event could not be delivered now: Powertools reports it as a batch item failure."""


@cache
def forwarder() -> WatchEventForwarder:
    """One forwarder per execution environment (clients and settings are built once, on first use)."""
    settings = ForwarderSettings.from_environment()
    dlq_url = os.environ.get("DLQ_URL")
    if not dlq_url:
        raise RuntimeError("DLQ_URL is not set: the forwarder needs the dead-letter queue URL")
    events_client = boto3.client(
        "personalize-events",
        config=Config(
            retries={"total_max_attempts": 1},  # the forwarder retries with its own bounded backoff
            parameter_validation=False,  # the record model enforces PutEvents' constraints
            max_pool_connections=max(10, settings.concurrency),
            connect_timeout=2,
            read_timeout=5,
        ),
    )
    sqs_client = boto3.client("sqs", config=Config(retries={"mode": "standard", "max_attempts": 5}))
    return WatchEventForwarder(
        events_client=events_client, dead_letters=DeadLetterQueue(sqs_client, dlq_url), settings=settings
    )


class TrackingIdNotDeployed(LookupError):
    """The pipeline has not created the event tracker yet (the parameter still holds the template's placeholder)."""


def tracking_id() -> str:
    """The event tracker's tracking id, published in SSM by the pipeline (cached by Powertools Parameters)."""
    name = os.environ.get("TRACKING_ID_PARAMETER") or f"/{os.environ.get('PROJECT_NAME', 'anime-recs')}/tracking-id"
    value = parameters.get_parameter(name, max_age=TRACKING_ID_CACHE_SECONDS)
    if not value or value == TRACKING_ID_PLACEHOLDER:
        raise TrackingIdNotDeployed(f"SSM parameter {name} holds {value!r}: no event tracker yet (run the pipeline)")
    return value


def to_stream_record(record: KinesisDataStreamRecord) -> StreamRecord:
    """The domain view of one Lambda Kinesis record."""
    kinesis = record.kinesis
    return StreamRecord(
        record_id=kinesis.sequenceNumber,
        data=kinesis.data,
        arrived_at=datetime.fromtimestamp(kinesis.approximateArrivalTimestamp, UTC),
        event_id=record.eventID,
        source={"partitionKey": kinesis.partitionKey, "eventSourceARN": record.eventSourceARN},
    )


def settle_record(record: KinesisStreamRecord, report: DeliveryReport) -> str:
    """Powertools record handler (the parameter must be named ``record``): raise for records to retry."""
    fate = report.fate_of(record.kinesis.sequence_number)
    if fate.outcome is Outcome.RETRY:
        raise RecordNotDelivered(f"{fate.reason}: {fate.detail}")
    return fate.outcome.value


def _publish(report: DeliveryReport) -> None:
    """Metrics and logs an operator needs: counts, plus one warning per dead-lettered record."""
    summary = report.summary()
    metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=summary["received"])
    metrics.add_metric(name="EventsDelivered", unit=MetricUnit.Count, value=summary["delivered"])
    metrics.add_metric(name="RecordsDeadLettered", unit=MetricUnit.Count, value=summary["deadLettered"])
    metrics.add_metric(name="RecordsReportedForRetry", unit=MetricUnit.Count, value=summary["toRetry"])
    metrics.add_metric(name="PutEventsCalls", unit=MetricUnit.Count, value=summary["putEventsCalls"])
    metrics.add_metric(name="PutEventsTransientFailures", unit=MetricUnit.Count, value=summary["transientFailures"])
    logger.info("batch forwarded", extra=summary)
    if report.to_retry:
        first = report.fate_of(report.to_retry[0])
        logger.warning(
            "records reported for retry",
            extra={
                "count": len(report.to_retry),
                "reasons": dict(Counter(report.fate_of(record_id).reason for record_id in report.to_retry)),
                "firstSequenceNumber": report.to_retry[0],
                "firstDetail": first.detail,
            },
        )
    for record_id in report.record_ids:
        fate = report.fate_of(record_id)
        if fate.outcome is Outcome.DEAD_LETTERED:
            logger.warning(
                "record dead-lettered",
                extra={"sequenceNumber": record_id, "reason": fate.reason, "detail": fate.detail},
            )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Forward a Kinesis batch; return ``batchItemFailures`` for the records Lambda must retry."""
    batch = parse(event=event, model=KinesisDataStreamModel)
    records = [to_stream_record(record) for record in batch.Records]
    remaining = context.get_remaining_time_in_millis() / 1000
    deadline = time.monotonic() + remaining - max(1.0, remaining * DEADLINE_SAFETY)
    report = forwarder().forward(records, tracking_id, deadline=deadline)
    if report.tracker_refused:  # the pipeline may have replaced the tracker: read the parameter again next time
        parameters.clear_caches()
    _publish(report)
    return process_partial_response(
        event=event, record_handler=partial(settle_record, report=report), processor=processor, context=context
    )
