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
_KEY = {"Items": "ITEM_ID", "Users": "USER_ID"}


def property_column(key: str) -> str:
    """A camelCase ``properties`` key as its schema column: ``numberOfRatings`` -> ``NUMBER_OF_RATINGS``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).upper()


def events_frame(events: list[dict[str, Any]], schema: DatasetSchema | None) -> pd.DataFrame:
    """Streamed events (rows of the ``events`` table) as Interactions records with the schema's columns."""
    rows = []
    for event in events:
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


class HistoryIndex:
    """Every user's interactions (bulk + streamed), oldest first, for serving. Thread-safe; PutEvents adds in place."""

    def __init__(self, bulk: pd.DataFrame | None, live: list[dict[str, Any]]) -> None:
        self._lock = threading.Lock()
        self._histories: dict[str, list[Event]] = {}
        self._bulk_positions: dict[str, np.ndarray] = {}
        self._columns: tuple[np.ndarray, ...] = ()
        self._load_bulk(bulk)
        for event in live:
            self.add(event)

    def _load_bulk(self, bulk: pd.DataFrame | None) -> None:
        if bulk is None or not len(bulk):
            return
        ordered = bulk.sort_values("TIMESTAMP", kind="stable").reset_index(drop=True)
        n = len(ordered)
        self._columns = (
            ordered["TIMESTAMP"].to_numpy(dtype=np.int64),
            ordered["ITEM_ID"].astype(str).to_numpy(dtype=object),
            (ordered["EVENT_TYPE"].astype(str) if "EVENT_TYPE" in ordered else pd.Series([""] * n)).to_numpy(
                dtype=object
            ),
            (
                pd.to_numeric(ordered["EVENT_VALUE"], errors="coerce")
                if "EVENT_VALUE" in ordered
                else pd.Series([np.nan] * n)
            ).to_numpy(dtype=float),
        )
        self._bulk_positions = ordered.groupby(ordered["USER_ID"].astype(str), sort=False).indices

    def _materialise(self, user_id: str) -> list[Event]:
        history = self._histories.get(user_id)
        if history is None:
            positions = self._bulk_positions.get(user_id)
            history = []
            if positions is not None:
                ts, items, types, values = self._columns
                history = [
                    (int(ts[p]), items[p], types[p], None if np.isnan(values[p]) else float(values[p]))
                    for p in positions
                ]
            self._histories[user_id] = history
        return history

    def add(self, event: dict[str, Any]) -> None:
        """Append one streamed event (a row of the ``events`` table) to its user's history."""
        if not event.get("item_id"):
            return
        entry: Event = (int(event["timestamp"]), event["item_id"], event["event_type"], event.get("event_value"))
        with self._lock:
            history = self._materialise(event["user_id"])
            bisect.insort_right(history, entry, key=lambda e: e[0])

    def events(self, user_id: str) -> list[Event]:
        """The user's interactions, oldest first (a copy)."""
        with self._lock:
            return list(self._materialise(user_id))

    def items(self, user_id: str, keep: Callable[[Event], bool] | None = None) -> list[str]:
        """The user's item ids, oldest first, optionally only events for which ``keep`` is true."""
        with self._lock:
            history = self._materialise(user_id)
            if keep is None:
                return [e[1] for e in history]
            return [e[1] for e in history if keep(e)]

    def user_events(self, user_id: str) -> list[UserEvent]:
        """The user's history in the filter evaluator's form."""
        return [UserEvent(item_id=e[1], event_type=e[2], timestamp=e[0]) for e in self.events(user_id)]
