"""The data of each dataset group as training and serving read it, cached: its ACTIVE datasets and schemas, the
training frames (bulk + individually recorded data), and the serving state (per-user histories that PutEvents
updates in place, Items and Users tables). Whoever changes a group's data tells this cache (:meth:`forget`,
:meth:`refresh_records`, :meth:`add_events`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from personalize_local.models.groupdata import HistoryIndex, TrainingFrames, events_frame, records_frame
from personalize_local.models.lifecycle import ACTIVE, DELETING, Lifecycle
from personalize_local.schemas import DatasetSchema, parse_schema
from personalize_local.store import Resource


@dataclass
class GroupState:
    """Serving-time data of one dataset group."""

    history: HistoryIndex
    items: pd.DataFrame | None  # Items dataset + PutItems, indexed by ITEM_ID
    users: pd.DataFrame | None  # Users dataset + PutUsers, indexed by USER_ID
    user_rows: dict[str, dict[str, Any]] = field(default_factory=dict)


class GroupDataCache:
    """Datasets, training frames and serving state of dataset groups (thread-safe)."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self._lock = threading.RLock()
        self._groups: dict[str, GroupState] = {}

    # ------------------------------------------------------------------ datasets
    def datasets_of(self, group_arn: str) -> dict[str, Resource]:
        """The ACTIVE datasets of a dataset group by type."""
        found = self.lifecycle.store.find("dataset", parent=group_arn)
        return {d.body["dataset_type"]: d for d in found if d.status == ACTIVE}

    def dataset_schema(self, dataset: Resource) -> DatasetSchema:
        """The parsed schema of a dataset."""
        return parse_schema(self.lifecycle.get("schema", dataset.body["schema_arn"]).body["schema"])

    def declared_schemas(self, group_arn: str) -> dict[str, DatasetSchema]:
        """The schemas of every dataset of the group that is not being deleted (ACTIVE or not), by dataset type."""
        found = self.lifecycle.store.find("dataset", parent=group_arn)
        return {d.body["dataset_type"]: self.dataset_schema(d) for d in found if d.status not in DELETING}

    def interactions_schema(self, group_arn: str) -> DatasetSchema | None:
        """The schema of the group's ACTIVE Interactions dataset (None without one)."""
        interactions = self.datasets_of(group_arn).get("Interactions")
        return self.dataset_schema(interactions) if interactions else None

    def _bulk(self, dataset: Resource | None) -> pd.DataFrame | None:
        return None if dataset is None else self.lifecycle.files.read_bulk(dataset.internal["id"])

    def _put_overlay(self, dataset: Resource | None, dataset_type: str) -> pd.DataFrame | None:
        if dataset is None:
            return None
        return records_frame(self._bulk(dataset), self.lifecycle.store.records(dataset.arn), dataset_type)

    # ------------------------------------------------------------------ training
    def frames(self, group_arn: str) -> TrainingFrames:
        """Interactions (bulk + streamed events, duplicates dropped), Items and Users (bulk + put records)."""
        datasets = self.datasets_of(group_arn)
        interactions_ds = datasets.get("Interactions")
        schema = self.dataset_schema(interactions_ds) if interactions_ds else None
        bulk = self._bulk(interactions_ds)
        live = events_frame(self.lifecycle.store.events(group_arn), schema)
        parts = [frame for frame in (bulk, live) if frame is not None and len(frame)]
        if parts:
            interactions = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        else:
            interactions = pd.DataFrame({"USER_ID": [], "ITEM_ID": [], "TIMESTAMP": []})
        interactions["TIMESTAMP"] = interactions["TIMESTAMP"].astype("int64")
        key = [c for c in ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE") if c in interactions.columns]
        interactions = interactions.drop_duplicates(subset=key, keep="first").reset_index(drop=True)
        items = self._put_overlay(datasets.get("Items"), "Items")
        users = self._put_overlay(datasets.get("Users"), "Users")
        return TrainingFrames(interactions, items, users)

    # ------------------------------------------------------------------ serving
    def state(self, group_arn: str) -> GroupState:
        """The group's serving state (built on first use)."""
        state = self._groups.get(group_arn)
        if state is not None:
            return state
        with self._lock:
            state = self._groups.get(group_arn)
            if state is None:
                datasets = self.datasets_of(group_arn)
                history = HistoryIndex(self._bulk(datasets.get("Interactions")), self.lifecycle.store.events(group_arn))
                state = self._groups[group_arn] = self._with_records(group_arn, history)
            return state

    def _with_records(self, group_arn: str, history: HistoryIndex) -> GroupState:
        """A group state around ``history`` with fresh Items and Users tables (bulk + put records)."""
        datasets = self.datasets_of(group_arn)
        items = self._put_overlay(datasets.get("Items"), "Items")
        users = self._put_overlay(datasets.get("Users"), "Users")
        return GroupState(
            history=history,
            items=None if items is None else items.set_index(items["ITEM_ID"].astype(str), drop=False),
            users=None if users is None else users.set_index(users["USER_ID"].astype(str), drop=False),
        )

    def add_events(self, group_arn: str, rows: list[dict[str, Any]]) -> None:
        """Store PutEvents rows and add them to the group's cached histories."""
        with self._lock:
            self.lifecycle.store.add_events(group_arn, rows)
            state = self._groups.get(group_arn)
            if state is not None:
                for row in rows:
                    state.history.add(row)

    def refresh_records(self, group_arn: str) -> None:
        """After PutItems/PutUsers: rebuild the group's Items/Users tables, keep its history index."""
        with self._lock:
            state = self._groups.get(group_arn)
            if state is not None:
                self._groups[group_arn] = self._with_records(group_arn, state.history)

    def forget(self, group_arn: str) -> None:
        """Drop a dataset group's cached data (after an import, a delete)."""
        with self._lock:
            self._groups.pop(group_arn, None)
