"""Kinesis → Personalize event tracker: forwards live watch events, loses none.

Thin handler: read the Kinesis event record by record (Powertools parser model; an unreadable record is
dead-lettered alone) → the domain forwarder decides every record's fate (delivered / dead-lettered / retry) and
never raises → Powertools' BatchProcessor settles each record, in order, against that report, which yields
``batchItemFailures`` in Powertools' format. Grouping by (user, session) and PutEvents batching need the whole
batch, so delivery runs first and the per-record settle step only reads the outcome.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from anime_recommender.forward_events import (
    DeadLetterQueue,
    DeliveryReport,
    ForwarderSettings,
    Outcome,
    RecordFate,
    WatchEventForwarder,
    stream_records,
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


def settle_record(record: KinesisStreamRecord, fates: Iterator[RecordFate]) -> str:
    """Powertools record handler (the parameter must be named ``record``): raise for records to retry.

    BatchProcessor calls it once per record, in batch order, so ``fates`` (the report's fates in batch order)
    pairs each record with its own fate even when a sequence number repeats.
    """
    fate = next(fates)
    if fate.outcome is Outcome.RETRY:
        raise RecordNotDelivered(f"{fate.reason}: {fate.detail}")
    return fate.outcome.value


def batch_response(event: dict[str, Any], report: DeliveryReport, context: LambdaContext) -> dict[str, Any]:
    """``batchItemFailures`` for the records to retry (an empty list when there are none)."""
    if not report.received:  # Powertools refuses an event without records; Lambda reads [] as "all done"
        return {"batchItemFailures": []}
    fates = iter(report.fates_in_order())
    try:
        return process_partial_response(
            event=event, record_handler=partial(settle_record, fates=fates), processor=processor, context=context
        )
    except Exception:  # a record too broken for Powertools to name (Lambda never sends one): use the report's ids
        logger.exception("Powertools could not build the batch response; using the report's sequence numbers")
        return {"batchItemFailures": [{"itemIdentifier": record_id} for record_id in report.to_retry]}


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
    retry = report.retry_positions
    if retry:
        first = report.fate_at(retry[0])
        logger.warning(
            "records reported for retry",
            extra={
                "count": len(retry),
                "reasons": dict(Counter(report.fate_at(position).reason for position in retry)),
                "firstSequenceNumber": report.record_ids[retry[0]],
                "firstDetail": first.detail,
            },
        )
    for position, fate in enumerate(report.fates_in_order()):
        if fate.outcome is Outcome.DEAD_LETTERED:
            logger.warning(
                "record dead-lettered",
                extra={"sequenceNumber": report.record_ids[position], "reason": fate.reason, "detail": fate.detail},
            )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Forward a Kinesis batch; return ``batchItemFailures`` for the records Lambda must retry. Never raises for
    a record: every one is delivered, dead-lettered or reported."""
    records = stream_records(event)
    remaining = context.get_remaining_time_in_millis() / 1000
    deadline = time.monotonic() + remaining - max(1.0, remaining * DEADLINE_SAFETY)
    try:
        active = forwarder()
    except Exception as error:  # misconfigured function (e.g. DLQ_URL unset): nothing is lost, everything retried
        logger.exception("forwarder unavailable")
        report = DeliveryReport(record_ids=[record.record_id for record in records])
        report.settle_unsettled(RecordFate(Outcome.RETRY, "forwarder-unavailable", f"{type(error).__name__}: {error}"))
    else:
        report = active.forward(records, tracking_id, deadline=deadline)
    if report.tracker_refused:  # the pipeline may have replaced the tracker: read the parameter again next time
        parameters.clear_caches()
    _publish(report)
    return batch_response(event, report, context)
