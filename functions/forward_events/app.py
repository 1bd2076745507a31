"""Kinesis → Personalize event tracker: forwards live watch events, loses none.

Thin handler: read the Kinesis event record by record (Powertools parser model; an unreadable record is
dead-lettered alone) → the domain forwarder decides every record's fate (delivered / dead-lettered / retry) and
never raises → Powertools' BatchProcessor settles each record, in order, against that report, which yields
``batchItemFailures`` in Powertools' format. Grouping by (user, session) and PutEvents batching need the whole
batch, so delivery runs first and the per-record settle step only reads the outcome. Clients, settings and the
tracking-id parameter come from the layer's ``from_environment`` constructors; the report publishes its metrics.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cache, partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.forward_events import (
    DeliveryReport,
    Outcome,
    PublishedTrackingId,
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

#: Stop starting retry waits when less than this share of the remaining time (at least 1 s) is left.
DEADLINE_SAFETY = 0.1


class RecordNotDelivered(Exception):
    """Raised for a record whose event could not be delivered now: Powertools reports it as a batch item failure."""


@cache
def forwarder() -> WatchEventForwarder:
    """One forwarder per execution environment (clients and settings are built once, on first use)."""
    return WatchEventForwarder.from_environment()


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
        active, published_id = forwarder(), PublishedTrackingId.from_environment()  # value cached by Powertools
    except Exception as error:  # misconfigured function (e.g. DLQ_URL unset): nothing is lost, everything retried
        logger.exception("forwarder unavailable")
        fate = RecordFate(Outcome.RETRY, "forwarder-unavailable", f"{type(error).__name__}: {error}")
        report = DeliveryReport.all_retried([record.record_id for record in records], fate)
    else:
        report = active.forward(records, published_id, deadline=deadline)
        if report.tracker_refused:  # the pipeline may have replaced the tracker: read the parameter again next time
            published_id.forget()
    report.publish(metrics, logger)
    return batch_response(event, report, context)
