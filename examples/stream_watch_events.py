"""Stream watch events to the forwarder's Kinesis stream — a producer you can copy into your app.

Only needs boto3. What it does, and why:

- one JSON object per record in the format of docs/forward-events.md; **partition key = userId**, so one user's
  events stay on one shard and the forwarder sees them in order;
- ``sentAt`` is stamped when the event is created (not when it is finally written), and every event gets a
  unique ``eventId``: if a retry writes an event twice, Personalize ignores the repeat for training;
- ``PutRecords`` batches of at most 500 records and 5 MiB (the API limits);
- PutRecords can fail *some* records (``FailedRecordCount``; e.g. ``ProvisionedThroughputExceededException``):
  only those are re-sent, with exponential backoff and jitter, a bounded number of times. Records that still
  fail are **returned**, never silently dropped: keep them and send them later.

Usage::

    python examples/stream_watch_events.py --stream <WatchEventsStreamName output> --file events.jsonl
    python examples/stream_watch_events.py --stream <name> --demo 1000   # random demo events
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024  # data + partition key


@dataclass
class StreamResult:
    """How many events were written, and the events that could not be written (to keep and resend)."""

    written: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    retried_records: int = 0


def watch_event(user_id: str, item_id: str, event_type: str, **optional: Any) -> dict[str, Any]:
    """A watch event stamped now, with a unique eventId (optional: eventValue, sessionId, properties, ...)."""
    return {
        "userId": str(user_id),
        "itemId": str(item_id),
        "eventType": event_type,
        "sentAt": datetime.now(UTC).isoformat(),
        "eventId": str(uuid.uuid4()),
        **optional,
    }


def to_entry(event: dict[str, Any]) -> dict[str, Any]:
    """The PutRecords entry of one event (adds sentAt/eventId if missing, so a resend stays the same event)."""
    event.setdefault("sentAt", datetime.now(UTC).isoformat())
    event.setdefault("eventId", str(uuid.uuid4()))
    data = json.dumps(event, separators=(",", ":")).encode("utf-8")
    key = str(event.get("userId") or event["eventId"])
    if len(data) + len(key.encode()) > MAX_BYTES_PER_RECORD:
        raise ValueError(f"event {event['eventId']} is {len(data)} bytes; a Kinesis record holds at most 1 MiB")
    return {"Data": data, "PartitionKey": key}


def batches(entries: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive PutRecords batches of at most 500 records and 5 MiB."""
    batch: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        entry_size = len(entry["Data"]) + len(entry["PartitionKey"].encode())
        if batch and (len(batch) == MAX_RECORDS_PER_CALL or size + entry_size > MAX_BYTES_PER_CALL):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry_size
    if batch:
        yield batch


class WatchEventProducer:
    """Writes watch events to a Kinesis stream with PutRecords, resending only the records that failed."""

    def __init__(
        self,
        stream_name: str,
        *,
        kinesis_client: Any = None,
        max_attempts: int = 5,
        base_delay: float = 0.1,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """``max_attempts`` bounds the tries of each record; waits grow from ``base_delay`` up to ``max_delay``."""
        self.stream_name = stream_name
        self.kinesis = kinesis_client or boto3.client("kinesis", config=Config(retries={"mode": "standard"}))
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep

    def send(self, events: Iterable[dict[str, Any]]) -> StreamResult:
        """Write every event; return what was written and the events that still failed after the retries."""
        result = StreamResult()
        pairs = [(event, to_entry(event)) for event in events]
        by_entry = {id(entry): event for event, entry in pairs}
        for batch in batches(entry for _, entry in pairs):
            pending = batch
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    self._sleep(random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 2))))
                    result.retried_records += len(pending)
                pending = self._put(pending, result)
                if not pending:
                    break
            result.failed.extend(by_entry[id(entry)] for entry in pending)
        return result

    def _put(self, entries: list[dict[str, Any]], result: StreamResult) -> list[dict[str, Any]]:
        """One PutRecords call; return the entries that failed (all of them if the call itself failed)."""
        result.calls += 1
        try:
            response = self.kinesis.put_records(StreamName=self.stream_name, Records=entries)
        except (ClientError, BotoCoreError) as error:  # after botocore's own retries
            print(f"PutRecords failed: {error}", file=sys.stderr)
            return entries
        failed = [entry for entry, outcome in zip(entries, response["Records"], strict=True) if "ErrorCode" in outcome]
        result.written += len(entries) - len(failed)
        return failed


def demo_events(count: int, *, users: int = 50, items: int = 500, seed: int = 7) -> list[dict[str, Any]]:
    """Random but plausible watch events (for trying the pipeline out)."""
    rng = random.Random(seed)
    kinds = ["WATCHING", "COMPLETED", "PLAN_TO_WATCH", "RATING"]
    events = []
    for _ in range(count):
        kind = rng.choice(kinds)
        extra = {"eventValue": float(rng.randint(1, 10))} if kind == "RATING" else {}
        events.append(watch_event(f"{rng.randint(1, users)}", f"{rng.randint(1, items)}", kind, **extra))
    return events


def main(argv: list[str] | None = None) -> int:
    """Command line: send a JSON-lines file (one event per line) or demo events."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream", required=True, help="stream name (stack output WatchEventsStreamName)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="JSON lines, one watch event per line")
    source.add_argument("--demo", type=int, metavar="N", help="send N random demo events")
    args = parser.parse_args(argv)
    if args.file:
        with open(args.file, encoding="utf-8") as lines:
            events = [json.loads(line) for line in lines if line.strip()]
    else:
        events = demo_events(args.demo)
    result = WatchEventProducer(args.stream).send(events)
    print(f"written {result.written}, failed {len(result.failed)}, PutRecords calls {result.calls}")
    if result.failed:
        json.dump(result.failed, sys.stdout)
        print()
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
