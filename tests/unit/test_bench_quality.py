"""bench/quality.py's plumbing: the real-rows slice, the skip note, and baselines tuned on training users only."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bench import baselines
from bench.datasets import first_users
from bench.quality import datasets
from personalize_local.metrics import split_users
from testing.planted_data import planted_interactions


def test_first_users_keeps_only_the_users_up_to_the_limit(tmp_path: Path) -> None:
    ratings = pd.DataFrame({"user_id": [0, 1, 346, 347, 5, 1000], "anime_id": [1, 2, 3, 4, 5, 6], "rating": 7})
    ratings.to_csv(tmp_path / "in.csv", index=False)
    first_users(tmp_path / "in.csv", tmp_path / "out.csv", 346)
    kept = pd.read_csv(tmp_path / "out.csv")
    assert list(kept.columns) == ["user_id", "anime_id", "rating"]
    assert kept["user_id"].tolist() == [0, 1, 346, 5]


def test_missing_real_directory_is_skipped_with_a_note(tmp_path: Path, capsys) -> None:
    args = argparse.Namespace(skip_demo=False, size="tiny", real_dir=tmp_path / "absent")
    titles = [title for title, _ in datasets(args)]
    assert titles == ["generated tiny sample"]
    assert "real Kaggle rows skipped" in capsys.readouterr().out


class _Recording:
    """A fake baseline that records which users it is asked about and prefers nothing in particular."""

    family = "fake"

    def __init__(self, setting: str, asked: list[int]) -> None:
        self.setting = setting
        self.asked = asked

    def top(self, matrix: sp.csr_matrix, query_rows: np.ndarray) -> np.ndarray:
        self.asked.append(len(query_rows))
        return np.tile(np.arange(25), (len(query_rows), 1))


def test_grid_is_chosen_on_a_validation_split_of_the_training_users(monkeypatch) -> None:
    data = planted_interactions(n_users=300, n_items=80, seed=1)
    split = split_users(data.interactions, seed=0)
    item_ids = np.sort(data.items["ITEM_ID"].astype(str).to_numpy().astype(object))
    asked: list[int] = []
    seen_splits = []
    original = baselines.evaluate

    def spy(baseline, evaluated_split, *rest):
        seen_splits.append(evaluated_split)
        return original(baseline, evaluated_split, *rest)

    monkeypatch.setattr(baselines, "evaluate", spy)
    tuned = baselines.tune_and_measure(
        "fake", [_Recording("a", asked), _Recording("b", asked)], split, item_ids, len(item_ids), 0
    )
    test_ids = {u.user_id for u in split.test_users}
    *validation, final = seen_splits
    assert len(validation) == 2 and final is split
    for chosen_on in validation:
        assert not test_ids & {u.user_id for u in chosen_on.test_users}
        assert not test_ids & set(chosen_on.train["USER_ID"])
    assert tuned.setting == "a"  # equal validation NDCG: the first setting
    assert asked[-1] == len(split.test_users)
