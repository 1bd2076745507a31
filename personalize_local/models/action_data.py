"""A dataset group's action data: the Actions dataset (bulk import + PutActions) and the Action interactions dataset
(bulk import + PutActionInteractions), as frames, and as the :class:`TrainingData` the Next-Best-Action recipe
trains on (``ACTION_ID`` as ``ITEM_ID``: recipes see actions as the items they rank)."""

from __future__ import annotations

import pandas as pd

from personalize_local.models.groupdata import records_frame
from personalize_local.models.lifecycle import ACTIVE, Lifecycle
from personalize_local.recipes.base import TrainingData
from personalize_local.store import Resource

ACTIONS = "Actions"
ACTION_INTERACTIONS = "Action_Interactions"


def action_datasets(lifecycle: Lifecycle, group_arn: str) -> dict[str, Resource]:
    """The group's ACTIVE Actions and Action_Interactions datasets, by type."""
    found = lifecycle.store.find("dataset", parent=group_arn)
    wanted = (ACTIONS, ACTION_INTERACTIONS)
    return {d.body["dataset_type"]: d for d in found if d.status == ACTIVE and d.body["dataset_type"] in wanted}


def actions_frame(lifecycle: Lifecycle, dataset: Resource | None) -> pd.DataFrame | None:
    """Bulk actions overlaid with PutActions records (a put action replaces its id's row)."""
    if dataset is None:
        return None
    bulk = lifecycle.files.read_bulk(dataset.internal["id"])
    return records_frame(bulk, lifecycle.store.records(dataset.arn), ACTIONS)


def action_interactions_frame(lifecycle: Lifecycle, dataset: Resource | None) -> pd.DataFrame | None:
    """Bulk action interactions followed by the PutActionInteractions events (stored as records by event id)."""
    if dataset is None:
        return None
    bulk = lifecycle.files.read_bulk(dataset.internal["id"])
    streamed = [row for _, row in lifecycle.store.records(dataset.arn)]
    frames = [f for f in (bulk, pd.DataFrame(streamed) if streamed else None) if f is not None]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


def action_training_data(lifecycle: Lifecycle, group_arn: str) -> TrainingData:
    """Action interactions (and actions) with ``ACTION_ID`` renamed ``ITEM_ID``; empty without interactions."""
    datasets = action_datasets(lifecycle, group_arn)
    interactions = action_interactions_frame(lifecycle, datasets.get(ACTION_INTERACTIONS))
    if interactions is None:
        interactions = pd.DataFrame(columns=["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"])
    actions = actions_frame(lifecycle, datasets.get(ACTIONS))
    renamed = {"ACTION_ID": "ITEM_ID"}
    return TrainingData(
        interactions.rename(columns=renamed).reset_index(drop=True),
        None if actions is None else actions.rename(columns=renamed).reset_index(drop=True),
    )
