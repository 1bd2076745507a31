"""The data of one dataset group as training and serving see it: bulk Parquet data + individually recorded data
(PutEvents, PutItems, PutUsers), and a per-user history index for serving that PutEvents updates in place."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from personalize_local.filters import UserEvent
from personalize_local.schemas import DatasetSchema

# One interaction in a user's history: (timestamp, item id, event type, event value or None).
Event = tuple[int, str, str, float | None]
_KEY = {"Items": "ITEM_ID", "Users": "USER_ID", "Actions": "ACTION_ID"}


def property_column(key: str) -> str:
    """A camelCase ``properties`` key as its schema column: ``numberOfRatings`` -> ``NUMBER_OF_RATINGS``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).upper()


def events_frame(events: list[dict[str, Any]], schema: DatasetSchema | None) -> pd.DataFrame:
    """Streamed events (rows of the ``events`` table) as Interactions records with the schema's columns.

    An event whose ``event_id`` an earlier event already had is left out: "any subsequent events after the first
    with the same event ID are not used in model training"
    (https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_Event.html).
    """
    rows = []
    seen_ids: set[str] = set()
    for event in events:
        event_id = event.get("event_id")
        if event_id:
            if event_id in seen_ids:
                continue
            seen_ids.add(event_id)
        if not event.get("item_id"):
            continue  # an event without an item is kept but is no item interaction
        row = {
            "USER_ID": event["user_id"],
            "ITEM_ID": event["item_id"],
            "TIMESTAMP": int(event["timestamp"]),
            "EVENT_TYPE": event["event_type"],
            "EVENT_VALUE": event["event_value"],
            "RECOMMENDATION_ID": event.get("recommendation_id"),
            "IMPRESSION": event.get("impression"),
        }
        for key, value in (event.get("properties") or {}).items():
            row[property_column(key)] = value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"])
    if schema is not None:
        frame = frame[[c for c in frame.columns if c in schema.names]]
    return frame


def records_frame(
    bulk: pd.DataFrame | None, records: list[tuple[str, dict[str, Any]]], dataset_type: str
) -> pd.DataFrame | None:
    """Bulk Items/Users records overlaid with PutItems/PutUsers records (a put record replaces its id's row)."""
    key = _KEY[dataset_type]
    if not records:
        return bulk
    put = pd.DataFrame([{key: rid, **{property_column(k): v for k, v in props.items()}} for rid, props in records])
    if bulk is None:
        return put.reset_index(drop=True)
    merged = pd.concat([bulk[~bulk[key].isin(put[key])], put], ignore_index=True)
    return merged


@dataclass
class TrainingFrames:
    """What a solution version trains on, before the solution's event filter."""

    interactions: pd.DataFrame
    items: pd.DataFrame | None
    users: pd.DataFrame | None


def filter_events(frame: pd.DataFrame, event_type: str | None, threshold: float | None) -> pd.DataFrame:
    """Keep the solution's ``eventType`` (case-insensitive) and events with EVENT_VALUE >= ``eventValueThreshold``."""
    if event_type and "EVENT_TYPE" in frame.columns:
        frame = frame[frame["EVENT_TYPE"].astype(str).str.lower() == event_type.lower()]
    if threshold is not None and "EVENT_VALUE" in frame.columns:
        frame = frame[pd.to_numeric(frame["EVENT_VALUE"], errors="coerce") >= threshold]
    return frame


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``column`` as per-row int codes and the distinct values as Python ``str`` (an object array).

    ``pd.factorize`` on the (pyarrow-backed) column once, then only the few distinct values become ``str``; values
    whose ``str`` coincide (``1`` and ``"1"`` in one object column) share a code, as ``astype(str)`` would.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    labels = pd.Index(uniques).astype(str)
    merged, labels = pd.factorize(labels)
    if len(labels) != len(uniques):
        codes = merged[codes]
    dtype = np.int16 if len(labels) <= np.iinfo(np.int16).max else np.int32
    return codes.astype(dtype), np.asarray(labels, dtype=object)


def _user_order(user_codes: np.ndarray, n_users: int) -> np.ndarray | None:
    """The stable permutation that groups rows by user code (None when they already are), in O(rows).

    Counting sort as two stable passes over 16-bit digits (numpy radix-sorts 16-bit keys), instead of a
    comparison sort of tens of millions of rows.
    """
    if len(user_codes) < 2 or bool(np.all(user_codes[1:] >= user_codes[:-1])):
        return None
    codes = user_codes.astype(np.int64, copy=False)
    order = np.argsort((codes & 0xFFFF).astype(np.uint16), kind="stable")
    if n_users > 0x10000:
        order = order[np.argsort((codes[order] >> 16).astype(np.uint16), kind="stable")]
    return order


class BulkHistories:
    """Bulk-imported interactions as columns grouped by user: int codes + small tables of distinct values.

    Built once per dataset group (seconds and ~20 bytes per interaction for tens of millions of rows, where Python
    objects per row would take a minute and many GB). A user's rows are ``indptr[code]:indptr[code + 1]`` in file
    order; :meth:`events` sorts them by timestamp (stable, so equal timestamps keep file order).
    """

    def __init__(self, bulk: pd.DataFrame) -> None:
        n = len(bulk)
        user_codes, self.user_ids = _codes(bulk["USER_ID"])
        self._user_code = {user: code for code, user in enumerate(self.user_ids.tolist())}
        order = _user_order(user_codes, len(self.user_ids))
        self.indptr = np.zeros(len(self.user_ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(user_codes, minlength=len(self.user_ids)), out=self.indptr[1:])
        del user_codes

        def grouped(values: np.ndarray) -> np.ndarray:
            return values if order is None else values[order]

        self.timestamps = grouped(bulk["TIMESTAMP"].to_numpy(dtype=np.int64))
        item_codes, self.item_ids = _codes(bulk["ITEM_ID"])
        self.item_codes = grouped(item_codes)
        if "EVENT_TYPE" in bulk:
            type_codes, self.event_types = _codes(bulk["EVENT_TYPE"])
            self.type_codes = grouped(type_codes)
        else:
            self.type_codes, self.event_types = np.zeros(n, dtype=np.int16), np.array([""], dtype=object)
        values = None
        if "EVENT_VALUE" in bulk:
            values = pd.to_numeric(bulk["EVENT_VALUE"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            values = None if np.isnan(values).all() else grouped(values)
        self.values = values

    def __len__(self) -> int:
        return len(self.timestamps)

    def _rows(self, user_id: str) -> np.ndarray | slice | None:
        code = self._user_code.get(user_id)
        if code is None:
            return None
        lo, hi = int(self.indptr[code]), int(self.indptr[code + 1])
        stamps = self.timestamps[lo:hi]
        if np.all(stamps[1:] >= stamps[:-1]):
            return slice(lo, hi)
        return lo + np.argsort(stamps, kind="stable")

    def items(self, user_id: str) -> list[str]:
        """The user's bulk item ids, oldest first."""
        rows = self._rows(user_id)
        return [] if rows is None else self.item_ids[self.item_codes[rows]].tolist()

    def events(self, user_id: str) -> list[Event]:
        """The user's bulk interactions as new Python tuples, oldest first."""
        rows = self._rows(user_id)
        if rows is None:
            return []
        stamps = self.timestamps[rows].tolist()
        values = (
            [None] * len(stamps)
            if self.values is None
            else [None if v != v else v for v in self.values[rows].tolist()]  # NaN -> None
        )
        items = self.item_ids[self.item_codes[rows]].tolist()
        types = self.event_types[self.type_codes[rows]].tolist()
        return list(zip(stamps, items, types, values, strict=True))


class HistoryIndex:
    """Every user's interactions (bulk + streamed), oldest first, for serving. Thread-safe; PutEvents adds in place.

    Bulk interactions stay columnar (:class:`BulkHistories`) and become Python objects per request only; a user
    gets a Python list kept in memory only once a streamed event arrives for them.
    """

    def __init__(self, bulk: pd.DataFrame | None, live: list[dict[str, Any]]) -> None:
        self._lock = threading.Lock()
        self._bulk = BulkHistories(bulk) if bulk is not None and len(bulk) else None
        self._live: dict[str, list[Event]] = {}  # users with streamed events: bulk + streamed, oldest first
        for event in live:
            self.add(event)

    def _bulk_events(self, user_id: str) -> list[Event]:
        return [] if self._bulk is None else self._bulk.events(user_id)

    def add(self, event: dict[str, Any]) -> None:
        """Insert one streamed event (a row of the ``events`` table) into its user's history by timestamp."""
        if not event.get("item_id"):
            return
        entry: Event = (int(event["timestamp"]), event["item_id"], event["event_type"], event.get("event_value"))
        user_id = event["user_id"]
        with self._lock:
            history = self._live.get(user_id)
            if history is None:
                history = self._live[user_id] = self._bulk_events(user_id)
            bisect.insort_right(history, entry, key=lambda e: e[0])

    def events(self, user_id: str) -> list[Event]:
        """The user's interactions, oldest first (a copy)."""
        with self._lock:
            history = self._live.get(user_id)
            if history is not None:
                return list(history)
        return self._bulk_events(user_id)

    def items(self, user_id: str, keep: Callable[[Event], bool] | None = None) -> list[str]:
        """The user's item ids, oldest first, optionally only events for which ``keep`` is true."""
        if keep is None:
            with self._lock:
                history = self._live.get(user_id)
                if history is not None:
                    return [e[1] for e in history]
            return [] if self._bulk is None else self._bulk.items(user_id)
        return [e[1] for e in self.events(user_id) if keep(e)]

    def user_events(self, user_id: str) -> list[UserEvent]:
        """The user's history in the filter evaluator's form."""
        return [UserEvent(item_id=e[1], event_type=e[2], timestamp=e[0]) for e in self.events(user_id)]
