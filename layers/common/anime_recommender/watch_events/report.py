"""The fate of every record of a batch: delivered, dead-lettered, or to be retried by the stream."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


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


#: The fate of a record nobody settled: retrying is the only choice that can never lose it.
UNSETTLED = RecordFate(Outcome.RETRY, "unsettled", "the forwarder did not decide this record's fate")


@dataclass
class DeliveryReport:
    """Per-record fates in stream order, plus call statistics. Every record ends in exactly one outcome."""

    record_ids: list[str]
    fates: dict[str, RecordFate] = field(default_factory=dict)
    put_events_calls: int = 0
    transient_failures: int = 0
    tracker_refused: bool = False
    """PutEvents refused the tracking id (unknown or inactive tracker): re-read it before the next batch."""
    _settled: Counter[Outcome] = field(default_factory=Counter, repr=False)
    _known: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._known = set(self.record_ids)

    def settle(self, record_id: str, fate: RecordFate) -> None:
        """Record the fate of one record; settling a record twice or an unknown record is a bug."""
        if record_id in self.fates:
            raise ValueError(f"record {record_id} already settled as {self.fates[record_id].outcome}")
        if record_id not in self._known:
            raise ValueError(f"record {record_id} is not part of this batch")
        self.fates[record_id] = fate
        self._settled[fate.outcome] += 1

    def settle_all(self, record_ids: Iterable[str], fate: RecordFate) -> None:
        """Record the same fate for several records."""
        for record_id in record_ids:
            self.settle(record_id, fate)

    def fate_of(self, record_id: str) -> RecordFate:
        """The fate of a record; one that was never settled is retried (never silently dropped)."""
        return self.fates.get(record_id, UNSETTLED)

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
    def to_retry(self) -> list[str]:
        """Record ids (sequence numbers) to report as batch item failures, in stream order."""
        return [record_id for record_id in self.record_ids if self.fate_of(record_id).outcome is Outcome.RETRY]

    def reconciles(self) -> bool:
        """records in == delivered + dead-lettered + to retry (true by construction; asserted by every test)."""
        return self.received == self.delivered + self.dead_lettered + len(self.to_retry) == len(self._known)

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
