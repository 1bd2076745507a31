"""Claims and locks as S3 objects written with a conditional put (``If-None-Match: *``).

- The **content claim** ``state/claims/<hash>.json`` makes one drop content run once: the first execution to
  write it wins; later executions for the same content end quietly. A run marks its claim ``SUCCEEDED`` or
  ``FAILED``; a FAILED claim is taken over when the drop is uploaded again (see :mod:`resolve`).
- The **dataset-group lock** ``state/locks/<dataset group>.json`` keeps two drops from running against the same
  dataset group at once; it is released on success and on failure.

If an execution dies without releasing (e.g. it hit the state machine's timeout), its claim or lock names an
execution that is no longer RUNNING: the next taker sees that and takes over.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

#: Returns the status of an execution (RUNNING, SUCCEEDED, FAILED, ...) or None when it is unknown.
ExecutionStatus = Callable[[str], str | None]

_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


@dataclass(frozen=True)
class TakeResult:
    """Outcome of trying to take a claim or lock."""

    taken: bool
    holder: str | None = None  # the execution holding it when not taken (or the previous stale holder)
    holder_status: str | None = None
    took_over: bool = False


class S3Markers:
    """Claims and locks in one bucket, owned by Step Functions execution ARNs."""

    def __init__(self, s3: Any, bucket: str, execution_status: ExecutionStatus) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._execution_status = execution_status

    # ---------------------------------------------------------------- primitives
    def read(self, key: str) -> dict[str, Any] | None:
        """The marker's JSON body, or None when it does not exist."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                return None
            raise
        return json.loads(body)

    def _put_if_absent(self, key: str, body: dict[str, Any]) -> bool:
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=json.dumps(body).encode("utf-8"),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in _CONFLICT_CODES:
                return False
            raise
        return True

    def _write(self, key: str, body: dict[str, Any]) -> None:
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=json.dumps(body).encode("utf-8"), ContentType="application/json"
        )

    # ---------------------------------------------------------------- take / release
    def take(
        self, key: str, owner: str, details: dict[str, Any], stale: Callable[[dict[str, Any]], bool]
    ) -> TakeResult:
        """Write the marker for ``owner`` unless someone else holds it; take over a holder ``stale`` says is dead."""
        body = {**details, "owner": owner, "status": "RUNNING", "takenAt": datetime.now(UTC).isoformat()}
        took_over = False
        for _ in range(2):
            if self._put_if_absent(key, body):
                return TakeResult(taken=True, took_over=took_over)
            current = self.read(key)
            if current is None:  # released between our put and our read: try again
                continue
            holder = current.get("owner")
            if holder == owner:
                return TakeResult(taken=True)
            if not stale(current):
                return TakeResult(taken=False, holder=holder, holder_status=current.get("status"))
            self._s3.delete_object(Bucket=self._bucket, Key=key)
            took_over = True
        current = self.read(key) or {}
        return TakeResult(taken=False, holder=current.get("owner"), holder_status=current.get("status"))

    def holder_is_dead(self, marker: dict[str, Any]) -> bool:
        """A RUNNING marker whose execution is no longer RUNNING (finished without releasing, or unknown)."""
        return marker.get("status") == "RUNNING" and self._execution_status(str(marker.get("owner"))) != "RUNNING"

    def release(self, key: str, owner: str) -> bool:
        """Delete the marker if ``owner`` holds it; True when deleted."""
        current = self.read(key)
        if current is None or current.get("owner") != owner:
            return False
        self._s3.delete_object(Bucket=self._bucket, Key=key)
        return True

    def mark(self, key: str, owner: str, status: str) -> bool:
        """Set the status of a marker ``owner`` holds (e.g. SUCCEEDED); True when written."""
        current = self.read(key)
        if current is None or current.get("owner") != owner:
            return False
        self._write(key, {**current, "status": status, "finishedAt": datetime.now(UTC).isoformat()})
        return True
