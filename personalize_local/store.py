"""The SQLite metadata store: resources (their Describe documents), tags, streamed events and individually put
records. One connection in WAL mode, serialised by a lock, so any thread of the server may use it."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT,
    parent TEXT,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    internal TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_kind ON resources (kind, seq);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL, tag_key TEXT NOT NULL, tag_value TEXT NOT NULL, PRIMARY KEY (arn, tag_key)
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_group TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    item_id TEXT,
    event_type TEXT NOT NULL,
    event_value REAL,
    timestamp INTEGER NOT NULL,
    event_id TEXT,
    recommendation_id TEXT,
    properties TEXT,
    impression TEXT
);
CREATE INDEX IF NOT EXISTS events_group ON events (dataset_group, seq);
CREATE TABLE IF NOT EXISTS records (
    dataset_arn TEXT NOT NULL,
    record_id TEXT NOT NULL,
    properties TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (dataset_arn, record_id)
);
"""

EVENT_COLUMNS = (
    "user_id",
    "session_id",
    "item_id",
    "event_type",
    "event_value",
    "timestamp",
    "event_id",
    "recommendation_id",
    "properties",
    "impression",
)


# Version of the stored documents: 2 = snake_case domain documents (1, unstamped, held wire-format camelCase ones).
STORE_FORMAT = 2


class StoreFormatError(RuntimeError):
    """The data directory was written in a document format this version does not read."""


@dataclass
class Resource:
    """One stored resource: ``body`` is its wire-format Describe document, ``internal`` what only the server needs."""

    kind: str
    arn: str
    name: str | None
    parent: str | None
    body: dict[str, Any]
    internal: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        """The resource's ``status`` field (None for kinds without one, such as schemas)."""
        return self.body.get("status")


class MetadataStore:
    """Thread-safe access to ``metadata.sqlite3`` under the data directory."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._check_format(path)

    def _check_format(self, path: Path) -> None:
        """Stamp a new store with :data:`STORE_FORMAT`; refuse one written in an older document format."""
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == STORE_FORMAT:
            return
        has_resources = self._conn.execute("SELECT COUNT(*) FROM resources").fetchone()[0] > 0
        if version == 0 and not has_resources:
            self._conn.execute(f"PRAGMA user_version = {STORE_FORMAT}")
            return
        self._conn.close()
        raise StoreFormatError(
            f"{path} was written by another version of Personalize Local (store format {version}, this one reads "
            f"{STORE_FORMAT}): delete the data directory (or use a new one) and create the resources again"
        )

    def close(self) -> None:
        """Close the connection (the store is unusable afterwards)."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run several statements atomically, holding the store lock."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # ------------------------------------------------------------------ resources
    def insert(self, resource: Resource) -> None:
        """Add a new resource (the ARN must be new)."""
        with self.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM resources").fetchone()[0]
            conn.execute(
                "INSERT INTO resources (arn, kind, name, parent, seq, body, internal) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    resource.arn,
                    resource.kind,
                    resource.name,
                    resource.parent,
                    seq,
                    json.dumps(resource.body),
                    json.dumps(resource.internal),
                ),
            )

    def save(self, resource: Resource) -> None:
        """Write back a changed resource's body and internal state."""
        with self._lock:
            self._conn.execute(
                "UPDATE resources SET body = ?, internal = ? WHERE arn = ?",
                (json.dumps(resource.body), json.dumps(resource.internal), resource.arn),
            )

    def get(self, arn: str) -> Resource | None:
        """The resource with this ARN, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT kind, arn, name, parent, body, internal FROM resources WHERE arn = ?", (arn,)
            ).fetchone()
        return _resource(row) if row else None

    def find(self, kind: str, *, name: str | None = None, parent: str | None = None) -> list[Resource]:
        """Resources of one kind, optionally with a given name and/or parent, oldest first."""
        query = "SELECT kind, arn, name, parent, body, internal FROM resources WHERE kind = ?"
        args: list[Any] = [kind]
        if name is not None:
            query += " AND name = ?"
            args.append(name)
        if parent is not None:
            query += " AND parent = ?"
            args.append(parent)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY seq", args).fetchall()
        return [_resource(row) for row in rows]

    def delete(self, arn: str) -> None:
        """Remove a resource and its tags."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM resources WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM tags WHERE arn = ?", (arn,))

    # ------------------------------------------------------------------ tags
    def set_tags(self, arn: str, tags: dict[str, str]) -> None:
        """Add or overwrite tags on a resource."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO tags (arn, tag_key, tag_value) VALUES (?, ?, ?)",
                [(arn, key, value) for key, value in tags.items()],
            )

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None:
        """Remove the named tags from a resource."""
        with self.transaction() as conn:
            conn.executemany("DELETE FROM tags WHERE arn = ? AND tag_key = ?", [(arn, key) for key in keys])

    def tags(self, arn: str) -> dict[str, str]:
        """A resource's tags."""
        with self._lock:
            rows = self._conn.execute("SELECT tag_key, tag_value FROM tags WHERE arn = ? ORDER BY tag_key", (arn,))
            return dict(rows.fetchall())

    # ------------------------------------------------------------------ streamed events and put records
    def add_events(self, dataset_group: str, events: list[dict[str, Any]]) -> None:
        """Persist PutEvents events (dicts keyed by :data:`EVENT_COLUMNS`; ``properties`` a dict)."""
        with self.transaction() as conn:
            conn.executemany(
                f"INSERT INTO events (dataset_group, {', '.join(EVENT_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' for _ in EVENT_COLUMNS)})",
                [(dataset_group, *(_event_value(event, column) for column in EVENT_COLUMNS)) for event in events],
            )

    def events(self, dataset_group: str) -> list[dict[str, Any]]:
        """Every streamed event of a dataset group, in arrival order (``properties`` decoded to a dict)."""
        with self._lock:
            cursor = self._conn.execute(
                f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE dataset_group = ? ORDER BY seq", (dataset_group,)
            )
            rows = [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            row["properties"] = json.loads(row["properties"]) if row["properties"] else {}
        return rows

    def event_count(self, dataset_group: str) -> int:
        """How many streamed events a dataset group has."""
        with self._lock:
            query = "SELECT COUNT(*) FROM events WHERE dataset_group = ?"
            return int(self._conn.execute(query, (dataset_group,)).fetchone()[0])

    def delete_events(self, dataset_group: str) -> None:
        """Forget the streamed events of a deleted dataset group."""
        with self._lock:
            self._conn.execute("DELETE FROM events WHERE dataset_group = ?", (dataset_group,))

    def delete_user_events(self, dataset_group: str, user_ids: Iterable[str]) -> int:
        """Forget the streamed events of these users in a dataset group; how many were deleted."""
        query = "DELETE FROM events WHERE dataset_group = ? AND user_id = ?"
        with self.transaction() as conn:
            return sum(conn.execute(query, (dataset_group, uid)).rowcount for uid in user_ids)

    def delete_records_by_id(self, dataset_arn: str, record_ids: Iterable[str]) -> int:
        """Forget the put records with these ids of one dataset; how many were deleted."""
        query = "DELETE FROM records WHERE dataset_arn = ? AND record_id = ?"
        with self.transaction() as conn:
            return sum(conn.execute(query, (dataset_arn, rid)).rowcount for rid in record_ids)

    def put_records(self, dataset_arn: str, records: list[tuple[str, dict[str, Any]]]) -> None:
        """Insert or replace PutItems/PutUsers records (id, properties) of one dataset."""
        with self.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]
            conn.executemany(
                "INSERT OR REPLACE INTO records (dataset_arn, record_id, properties, seq) VALUES (?, ?, ?, ?)",
                [(dataset_arn, rid, json.dumps(props), seq + i + 1) for i, (rid, props) in enumerate(records)],
            )

    def records(self, dataset_arn: str) -> list[tuple[str, dict[str, Any]]]:
        """The individually put records of a dataset, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT record_id, properties FROM records WHERE dataset_arn = ? ORDER BY seq", (dataset_arn,)
            ).fetchall()
        return [(rid, json.loads(props)) for rid, props in rows]

    def delete_records(self, dataset_arn: str) -> None:
        """Forget the put records of a deleted dataset."""
        with self._lock:
            self._conn.execute("DELETE FROM records WHERE dataset_arn = ?", (dataset_arn,))


def _event_value(event: dict[str, Any], column: str) -> Any:
    value = event.get(column)
    if column == "properties":
        return json.dumps(value) if value else None
    return value


def _resource(row: tuple[Any, ...]) -> Resource:
    kind, arn, name, parent, body, internal = row
    return Resource(kind=kind, arn=arn, name=name, parent=parent, body=json.loads(body), internal=json.loads(internal))
