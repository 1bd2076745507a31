"""The fate of every record of a batch: delivered, dead-lettered, or to be retried by the stream.

Records are identified by their **position** in the batch, not by sequence number: a hostile or broken event can
repeat a sequence number, and each record must still end in exactly one outcome.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit


class Outcome(StrEnum):
    """What happened to one stream record."""

    DELIVERED = "delivered"
    """Its event reached the event tracker (PutEvents returned 200)."""
    DEAD_LETTERED = "dead-lettered"
    """It can never be delivered; it is in the dead-letter queue with the reason and its payload."""
    RETRY = "retry"
    """Not delivered yet (transient failure, or behind one in its session): reported to Lambda for a retry."""


@dataclass(frozen=True, slots=True)
class RecordFate:
    """The outcome of one record and, unless delivered, why."""

    outcome: Outcome
    reason: str = ""
    detail: str = ""


#: Metric name -> key of :meth:`DeliveryReport.summary` (counts, one data point per batch).
METRICS = {
    "RecordsReceived": "received",
    "EventsDelivered": "delivered",
    "RecordsDeadLettered": "deadLettered",
    "RecordsReportedForRetry": "toRetry",
    "PutEventsCalls": "putEventsCalls",
    "PutEventsTransientFailures": "transientFailures",
}

#: The fate of a record nobody settled: retrying is the only choice that can never lose it.
UNSETTLED = RecordFate(Outcome.RETRY, "unsettled", "the forwarder did not decide this record's fate")


@dataclass
class DeliveryReport:
    """Per-record fates in stream order, plus call statistics. Every record ends in exactly one outcome."""

    record_ids: list[str]
    """The records' sequence numbers, in batch order (position i is the i-th record)."""
    fates: dict[int, RecordFate] = field(default_factory=dict)
    """Settled fates by position."""
    put_events_calls: int = 0
    transient_failures: int = 0
    tracker_refused: bool = False
    """PutEvents refused the tracking id (unknown or inactive tracker): re-read it before the next batch."""
    _settled: Counter[Outcome] = field(default_factory=Counter, repr=False)

    @classmethod
    def all_retried(cls, record_ids: list[str], fate: RecordFate) -> DeliveryReport:
        """A report where every record is left to the stream's retry with ``fate`` (e.g. no forwarder at all)."""
        report = cls(record_ids=list(record_ids))
        report.settle_unsettled(fate)
        return report

    def settle(self, position: int, fate: RecordFate) -> None:
        """Record the fate of the record at ``position``; settling a record twice or an unknown one is a bug."""
        if not 0 <= position < len(self.record_ids):
            raise ValueError(f"position {position} is not part of this batch of {len(self.record_ids)} records")
        if position in self.fates:
            raise ValueError(f"record at position {position} already settled as {self.fates[position].outcome}")
        self.fates[position] = fate
        self._settled[fate.outcome] += 1

    def settle_all(self, positions: Iterable[int], fate: RecordFate) -> None:
        """Record the same fate for several records."""
        for position in positions:
            self.settle(position, fate)

    def settle_unsettled(self, fate: RecordFate) -> int:
        """Give ``fate`` to every record without one (after an unexpected error); returns how many."""
        open_positions = [position for position in range(len(self.record_ids)) if position not in self.fates]
        self.settle_all(open_positions, fate)
        return len(open_positions)

    def fate_at(self, position: int) -> RecordFate:
        """The fate of the record at ``position``; one that was never settled is retried (never silently dropped)."""
        return self.fates.get(position, UNSETTLED)

    def fates_in_order(self) -> list[RecordFate]:
        """Every record's fate, in batch order."""
        return [self.fate_at(position) for position in range(len(self.record_ids))]

    def count(self, outcome: Outcome) -> int:
        """How many records of the batch ended with ``outcome`` (unsettled records count as RETRY)."""
        if outcome is Outcome.RETRY:
            return self.received - self._settled[Outcome.DELIVERED] - self._settled[Outcome.DEAD_LETTERED]
        return self._settled[outcome]

    @property
    def received(self) -> int:
        """Records in the batch."""
        return len(self.record_ids)

    @property
    def delivered(self) -> int:
        """Events delivered to the event tracker."""
        return self.count(Outcome.DELIVERED)

    @property
    def dead_lettered(self) -> int:
        """Records parked in the dead-letter queue."""
        return self.count(Outcome.DEAD_LETTERED)

    @property
    def retry_positions(self) -> list[int]:
        """Positions of the records to retry, in stream order."""
        return [p for p in range(len(self.record_ids)) if self.fate_at(p).outcome is Outcome.RETRY]

    @property
    def to_retry(self) -> list[str]:
        """Sequence numbers to report as batch item failures, in stream order, each once."""
        return list(dict.fromkeys(self.record_ids[position] for position in self.retry_positions))

    def reconciles(self) -> bool:
        """records in == delivered + dead-lettered + to retry (true by construction; asserted by every test)."""
        return self.received == self.delivered + self.dead_lettered + len(self.retry_positions)

    def summary(self) -> dict[str, int]:
        """Counts for logs and metrics."""
        return {
            "received": self.received,
            "delivered": self.delivered,
            "deadLettered": self.dead_lettered,
            "toRetry": self.count(Outcome.RETRY),
            "putEventsCalls": self.put_events_calls,
            "transientFailures": self.transient_failures,
        }

    def publish(self, metrics: Any, logger: Any) -> None:
        """What an operator needs, on Powertools ``metrics`` and ``logger``: the counts, one warning for the records
        to retry (how many, why, the first one) and one warning per dead-lettered record."""
        summary = self.summary()
        for name, key in METRICS.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=summary[key])
        logger.info("batch forwarded", extra=summary)
        retry = self.retry_positions
        if retry:
            logger.warning(
                "records reported for retry",
                extra={
                    "count": len(retry),
                    "reasons": dict(Counter(self.fate_at(position).reason for position in retry)),
                    "firstSequenceNumber": self.record_ids[retry[0]],
                    "firstDetail": self.fate_at(retry[0]).detail,
                },
            )
        for position, fate in enumerate(self.fates_in_order()):
            if fate.outcome is Outcome.DEAD_LETTERED:
                logger.warning(
                    "record dead-lettered",
                    extra={"sequenceNumber": self.record_ids[position], "reason": fate.reason, "detail": fate.detail},
                )
