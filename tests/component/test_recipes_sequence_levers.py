"""User-Personalization's sequence-aware levers (late-interaction lift, next-item transitions): chosen on validation
users, they help where the data has their signal and stay off where it has none."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personalize_local.evaluation import catalog_size, evaluate_model
from personalize_local.metrics import split_users
from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.recipes.sequence import late_interaction_lift
from testing.planted_data import planted_interactions

UP = get_recipe("aws-user-personalization")
NDCG = "normalized_discounted_cumulative_gain_at_10"


def _is_release(items: pd.Series) -> np.ndarray:
    """The planted "new releases": every third series (items 0, 1, 6, 7, 12, 13, ...)."""
    return items.astype(int).to_numpy() // 2 % 3 == 0


def _reordered(interactions: pd.DataFrame, releases_last: bool, seed: int = 0) -> pd.DataFrame:
    """Each user's timestamps reassigned: releases after everything else (``releases_last``) or in random order."""
    rng = np.random.default_rng(seed)
    frame = interactions.copy()
    release = _is_release(frame["ITEM_ID"])
    noise = rng.random(len(frame))
    key = release.astype(float) + noise if releases_last else noise
    out = []
    for _, rows in frame.assign(_key=key).groupby("USER_ID", sort=False):
        rows = rows.sort_values("_key", kind="mergesort")
        rows["TIMESTAMP"] = np.sort(rows["TIMESTAMP"].to_numpy())
        out.append(rows.drop(columns="_key"))
    return pd.concat(out, ignore_index=True)


@pytest.fixture(scope="module")
def planted():
    return planted_interactions(n_users=500, n_items=240, per_user=20, n_new_items=0, seed=11)


def _train_and_measure(interactions: pd.DataFrame, items: pd.DataFrame):
    data = TrainingData(interactions, items)
    split = split_users(interactions, seed=0)
    model = UP().train(TrainingData(split.train, items), resolve_hyperparameters(UP, None), seed=0)
    return model, split, catalog_size(data)


def test_late_lift_is_positive_for_items_users_reach_last_and_lowest_for_untrained_items(planted) -> None:
    interactions = _reordered(planted.interactions, releases_last=True)
    item_ids = np.array(sorted(set(planted.item_genre) | {"never"}), dtype=object)
    lift = late_interaction_lift(interactions, item_ids)
    trained = item_ids != "never"
    release = _is_release(pd.Series(item_ids[trained]))
    counts = interactions["ITEM_ID"].value_counts().reindex(item_ids[trained]).to_numpy()
    assert (lift[trained][release & (counts >= 10)] > 0).mean() > 0.9
    assert lift[trained][release].mean() > 0.5
    assert lift[trained][~release].mean() < 0
    assert lift[~trained][0] == lift.min()


def test_late_lift_is_chosen_where_releases_come_last_and_improves_held_out_users(planted, tmp_path: Path) -> None:
    model, split, n_catalog = _train_and_measure(_reordered(planted.interactions, True), planted.items)
    assert model.options.late_lift_weight > 0
    assert float(model.hyperparameters["local_late_lift_weight"]) > 0
    with_lift = evaluate_model(model, split, n_catalog)[NDCG]
    without_lift = dataclasses.replace(model.options, late_lift_weight=0.0)
    assert with_lift > evaluate_model(model.with_options(without_lift), split, n_catalog)[NDCG]
    model.save(tmp_path / "m")
    loaded = type(model).load(tmp_path / "m")
    assert loaded.options == model.options
    history = split.test_users[0].history
    assert loaded.recommend(history, 10) == model.recommend(history, 10)


def test_no_sequence_component_is_chosen_when_the_order_is_random(planted) -> None:
    model, _, _ = _train_and_measure(_reordered(planted.interactions, False), planted.items)
    assert model.options.late_lift_weight == 0
    assert model.options.transition_weight == 0
    assert model.late_lift is None and model.transitions is None


def test_sequence_components_are_not_tried_on_a_handful_of_validation_users() -> None:
    """Releases still come last, but 100 users leave 9 validation users: too few to tell a gain from noise."""
    few = planted_interactions(n_users=100, n_items=240, per_user=20, n_new_items=0, seed=11)
    model, _, _ = _train_and_measure(_reordered(few.interactions, True), few.items)
    assert model.options.late_lift_weight == 0 and model.options.transition_weight == 0
    tried = json.loads(model.hyperparameters["local_validation_candidates"])
    assert not [label for label in tried if label.startswith("transition=") or label.startswith("late_lift=0.25")]
