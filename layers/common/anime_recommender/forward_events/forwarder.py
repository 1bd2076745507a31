"""The forwarder: one batch of stream records in, every record's fate out (delivered, dead-lettered, retry)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import boto3
from botocore.config import Config

from anime_recommender.forward_events.dead_letter import DeadLetterQueue
from anime_recommender.forward_events.delivery import REASON_FORWARDER_ERROR, GroupResult, PutEventsSender
from anime_recommender.forward_events.grouping import EventGroup, group_by_user_session
from anime_recommender.forward_events.record import (
    REASON_DUPLICATE_SEQUENCE_NUMBER,
    REASON_UNPROCESSABLE,
    AcceptedEvent,
    RejectedRecord,
    StreamRecord,
    parse_watch_event,
)
from anime_recommender.forward_events.report import DeliveryReport, Outcome, RecordFate
from anime_recommender.forward_events.retry import RetryPolicy


def _env_number(environ: Mapping[str, str], name: str, default: float, cast: Callable[[str], Any]) -> Any:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return cast(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a valid {cast.__name__}") from None


@dataclass(frozen=True)
class ForwarderSettings:
    """Tuning knobs (environment variables in parentheses; see docs/forward-events.md)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """PutEvents retries (PUT_EVENTS_MAX_ATTEMPTS, PUT_EVENTS_BASE_DELAY_SECONDS, PUT_EVENTS_MAX_DELAY_SECONDS)."""
    concurrency: int = 4
    """Groups delivered in parallel (PUT_EVENTS_CONCURRENCY); events of one group are always sequential."""
    max_payload_bytes: int = 64 * 1024
    """Records larger than this are rejected unparsed (WATCH_EVENT_MAX_PAYLOAD_BYTES); PutEvents events ≤ 10 KB."""
    max_future: timedelta = timedelta(days=1)
    """``sentAt`` may be at most this far after the record's arrival (clock skew allowance)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ForwarderSettings:
        """Settings from environment variables, defaults for the ones not set."""
        defaults = cls()
        retry = RetryPolicy(
            max_attempts=_env_number(environ, "PUT_EVENTS_MAX_ATTEMPTS", defaults.retry.max_attempts, int),
            base_delay=_env_number(environ, "PUT_EVENTS_BASE_DELAY_SECONDS", defaults.retry.base_delay, float),
            max_delay=_env_number(environ, "PUT_EVENTS_MAX_DELAY_SECONDS", defaults.retry.max_delay, float),
        )
        concurrency = _env_number(environ, "PUT_EVENTS_CONCURRENCY", defaults.concurrency, int)
        if concurrency < 1:
            raise ValueError(f"PUT_EVENTS_CONCURRENCY must be >= 1, got {concurrency}")
        max_payload = _env_number(environ, "WATCH_EVENT_MAX_PAYLOAD_BYTES", defaults.max_payload_bytes, int)
        return cls(retry=retry, concurrency=concurrency, max_payload_bytes=max_payload)


class WatchEventForwarder:
    """Validates a batch, parks invalid records, delivers the rest to the event tracker, and reports each fate."""

    def __init__(
        self,
        *,
        events_client: Any,
        dead_letters: DeadLetterQueue,
        settings: ForwarderSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """``events_client``: boto3 ``personalize-events`` client (botocore retries off); ``dead_letters``: the DLQ."""
        self.settings = settings or ForwarderSettings()
        self.events_client = events_client
        """The ``personalize-events`` client (exposed so callers can instrument it, e.g. with botocore hooks)."""
        self._sender = PutEventsSender(events_client, self.settings.retry, clock=clock, sleep=sleep)
        self.dead_letters = dead_letters
        """The dead-letter queue (exposed, like ``events_client``, so callers can instrument its client)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> WatchEventForwarder:
        """The forwarder as the function runs it: settings from the environment (:class:`ForwarderSettings`), a
        ``personalize-events`` client without botocore retries, and the dead-letter queue named by ``DLQ_URL``."""
        settings = ForwarderSettings.from_environment(environ)
        return cls(
            events_client=events_client(settings),
            dead_letters=DeadLetterQueue.from_environment(environ),
            settings=settings,
        )

    def forward(
        self,
        records: Sequence[StreamRecord],
        tracking_id: Callable[[], str],
        *,
        deadline: float | None = None,
    ) -> DeliveryReport:
        """Process one batch; never raises. ``tracking_id`` is called only if there is something to deliver;
        ``deadline`` is a ``time.monotonic()`` value after which no new retry wait starts.

        This is the one place where an unexpected error becomes an outcome: the steps below settle each record
        as soon as its fate is known, and anything that escapes them leaves the records not yet settled to the
        stream's retry (``forwarder-error``). A delivered record is never reported for retry.
        """
        records = [replace(record, position=position) for position, record in enumerate(records)]
        report = DeliveryReport(record_ids=[record.record_id for record in records])
        try:
            self._forward(records, tracking_id, deadline, report)
        except Exception as error:
            fate = RecordFate(Outcome.RETRY, REASON_FORWARDER_ERROR, f"{type(error).__name__}: {error}")
            report.settle_unsettled(fate)
        return report

    def _forward(
        self,
        records: list[StreamRecord],
        tracking_id: Callable[[], str],
        deadline: float | None,
        report: DeliveryReport,
    ) -> None:
        accepted: list[AcceptedEvent] = []
        rejected: list[RejectedRecord] = []
        first_position: dict[str, int] = {}
        for record in records:
            parsed = self._parse(record, first_position)
            (accepted if isinstance(parsed, AcceptedEvent) else rejected).append(parsed)
        if accepted:
            rejected.extend(self._deliver(accepted, tracking_id, deadline, report))
        if rejected:
            self._park(rejected, report)

    def _parse(self, record: StreamRecord, first_position: dict[str, int]) -> AcceptedEvent | RejectedRecord:
        """Validate one record; a repeated sequence number or an unexpected error rejects only this record."""
        earlier = first_position.setdefault(record.record_id, record.position)
        # Lambda reports retries by sequence number only, so a repeat cannot be told apart from the first one.
        if earlier != record.position and not record.envelope_error:
            detail = f"sequence number {record.record_id!r} already appears at position {earlier} of this batch"
            return RejectedRecord(record, REASON_DUPLICATE_SEQUENCE_NUMBER, detail)
        try:
            return parse_watch_event(
                record, max_payload_bytes=self.settings.max_payload_bytes, max_future=self.settings.max_future
            )
        except Exception as error:
            return RejectedRecord(record, REASON_UNPROCESSABLE, f"validation failed: {type(error).__name__}: {error}")

    def _deliver(
        self,
        accepted: list[AcceptedEvent],
        tracking_id: Callable[[], str],
        deadline: float | None,
        report: DeliveryReport,
    ) -> list[RejectedRecord]:
        """Deliver every group; settle delivered and to-retry records; return the events that can never go."""
        try:
            tracker = tracking_id()
        except Exception as error:  # configuration not there yet: nothing is lost, the stream retries the batch
            fate = RecordFate(Outcome.RETRY, "tracking-id-unavailable", f"{type(error).__name__}: {error}")
            report.settle_all((event.record.position for event in accepted), fate)
            return []

        refused: list[RejectedRecord] = []
        for result in self._deliver_groups(tracker, group_by_user_session(accepted), deadline):
            report.put_events_calls += result.calls
            report.transient_failures += result.transient_failures
            report.tracker_refused = report.tracker_refused or result.tracker_refused
            report.settle_all((event.record.position for event in result.delivered), RecordFate(Outcome.DELIVERED))
            for event, reason, detail in result.to_retry:
                report.settle(event.record.position, RecordFate(Outcome.RETRY, reason, detail))
            refused.extend(RejectedRecord(event.record, reason, detail) for event, reason, detail in result.rejected)
        return refused

    def _deliver_groups(self, tracker: str, groups: list[EventGroup], deadline: float | None) -> Iterator[GroupResult]:
        """Each group's result as soon as it is known (``deliver_group`` never raises)."""
        workers = min(self.settings.concurrency, len(groups))
        if workers <= 1:
            yield from (self._sender.deliver_group(tracker, group, deadline) for group in groups)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="put-events") as pool:
            futures = [pool.submit(self._sender.deliver_group, tracker, group, deadline) for group in groups]
            yield from (future.result() for future in as_completed(futures))

    def _park(self, rejected: list[RejectedRecord], report: DeliveryReport) -> None:
        """Dead-letter the rejected records; a record that cannot be parked is retried instead of dropped."""
        result = self.dead_letters.park(rejected)
        for item in result.parked:
            report.settle(item.record.position, RecordFate(Outcome.DEAD_LETTERED, item.reason, item.detail))
        for item, error in result.failed:
            report.settle(item.record.position, RecordFate(Outcome.RETRY, "dead-letter-failed", error))


def events_client(settings: ForwarderSettings) -> Any:
    """A boto3 ``personalize-events`` client for the forwarder: it retries with its own bounded backoff, and the
    record model already enforces PutEvents' constraints (botocore's parameter validation is off)."""
    return boto3.client(
        "personalize-events",
        config=Config(
            retries={"total_max_attempts": 1},
            parameter_validation=False,
            max_pool_connections=max(10, settings.concurrency),
            connect_timeout=2,
            read_timeout=5,
        ),
    )
