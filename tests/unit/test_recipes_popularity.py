"""aws-popularity-count: unique users per item, no score, the same list for everyone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.registry import get_recipe


def _data() -> TrainingData:
    rows = [("u1", "A", 1)] * 10  # one user, ten events: counts once
    rows += [("u2", "B", 1), ("u3", "B", 2), ("u1", "C", 3), ("u2", "C", 4), ("u3", "C", 5)]
    interactions = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])
    items = pd.DataFrame({"ITEM_ID": ["A", "B", "C", "NEW"], "GENRES": ["x", "y", "z", "w"]})
    return TrainingData(interactions, items)


def test_counts_unique_users_and_returns_no_score() -> None:
    model = get_recipe("aws-popularity-count")().train(_data(), {})
    assert model.recommend([], 10) == [("C", None), ("B", None), ("A", None), ("NEW", None)]
    assert model.recommend(["C", "B"], 2) == [("C", None), ("B", None)]  # history does not matter
    assert model.item_ids.tolist() == ["A", "B", "C", "NEW"]


def test_mask_applies_before_truncation() -> None:
    model = get_recipe("aws-popularity-count")().train(_data(), {})
    allowed = np.array([True, True, False, True])
    assert model.recommend([], 2, allowed=allowed) == [("B", None), ("A", None)]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    recipe = get_recipe("aws-popularity-count")
    model = recipe().train(_data(), {})
    model.save(tmp_path / "m")
    loaded = recipe.model_class().load(tmp_path / "m")
    assert loaded.recommend([], 4) == model.recommend([], 4)
    assert loaded.item_ids.tolist() == model.item_ids.tolist()
