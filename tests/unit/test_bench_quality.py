"""bench/quality.py's plumbing: the real-rows slice, the skip note, baselines tuned on training users only, and the
related-items baselines compared with ``aws-sims``."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bench import baselines
from bench.datasets import first_users
from bench.quality import datasets, popularity_goal, related_reach, sims_goal
from personalize_local.evaluation import evaluate_solution
from personalize_local.metrics import split_users
from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
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

    def top(self, matrix: sp.csr_matrix, query_rows: np.ndarray, last_items: np.ndarray) -> np.ndarray:
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


N_PAIRS, N_FILLERS = 20, 20


def _paired_interactions(n_users: int = 400, seed: int = 0) -> pd.DataFrame:
    """Each user watches 8 popular filler items (a Zipf-like draw), then one planted pair: item 2k, then 2k + 1.

    The newest 10% of a test user's 10 interactions is item 2k + 1 and the most recent history item is 2k, so a
    related-items method that finds the pair hits, and popularity (the fillers) does not."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, N_FILLERS + 1)
    rows = []
    for u in range(n_users):
        fillers = 2 * N_PAIRS + rng.choice(N_FILLERS, size=8, replace=False, p=weights / weights.sum())
        k = int(rng.integers(N_PAIRS))
        for t, item in enumerate([*fillers, 2 * k, 2 * k + 1]):
            rows.append((f"u{u}", f"i{item:02d}", 1_600_000_000 + t))
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


def test_related_baseline_leaves_out_the_query_item_and_fills_to_25_with_popular_items() -> None:
    rng = np.random.default_rng(3)
    matrix = sp.csr_matrix((rng.random((60, 40)) < 0.2).astype(np.float32))
    query_rows = np.arange(50, 60)
    last_items = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, -1])
    counts = matrix[:50].getnnz(axis=0)
    popular = np.lexsort((np.arange(40), -counts))
    top = baselines.Related(baselines.Implicit("item-kNN cosine", {"K": 4})).top(matrix, query_rows, last_items)
    assert top.shape == (10, 25)
    for row, query in zip(top, last_items, strict=True):
        assert len(set(row.tolist())) == 25 and (row >= 0).all()
        assert query not in row
        # K=4 keeps at most 4 neighbours: from the 5th on, popular items not yet listed, most popular first
        fill = [i for i in popular if i != query and i not in row[:4]]
        assert row[4:].tolist() == fill[:21]
    unknown = top[-1]
    assert unknown.tolist() == popular[:25].tolist()  # no query item: popular items only


def test_related_baselines_find_a_planted_pair_that_popularity_misses() -> None:
    interactions = _paired_interactions()
    split = split_users(interactions, seed=0)
    item_ids = np.sort(interactions["ITEM_ID"].unique().astype(object))
    cls = get_recipe("aws-popularity-count")
    popularity = evaluate_solution(cls, TrainingData(interactions), resolve_hyperparameters(cls, None), seed=0)
    for family, grid in baselines.related_grids().items():
        metrics = baselines.evaluate(grid[0], split, item_ids, len(item_ids))
        assert metrics[baselines.P5] > popularity[baselines.P5] + 0.1, family
    tuned = baselines.tune_and_measure(
        "cosine",
        baselines.related_grids()["item-kNN cosine similar_items"],
        split,
        item_ids,
        len(item_ids),
        0,
        baselines.P5,
    )
    assert tuned.chosen_by == baselines.P5 and tuned.metrics[baselines.P5] >= 0.19


def test_sims_verdict_names_the_related_baselines_that_reach_the_goal() -> None:
    popularity = {"coverage": 0.01, baselines.P5: 0.05}
    reaching = baselines.Tuned("a", "s", 0.0, {"coverage": 0.5, baselines.P5: 0.05, baselines.NDCG10: 0.1}, 1.0)
    narrow = baselines.Tuned("b", "s", 0.0, {"coverage": 0.3, baselines.P5: 0.2, baselines.NDCG10: 0.3}, 1.0)
    assert sims_goal(reaching.metrics, popularity) and not sims_goal(narrow.metrics, popularity)
    assert "reaching it: a " in related_reach([reaching, narrow], popularity)
    assert related_reach([narrow], popularity).startswith("no related-items baseline reaches it (best P@5: b")


def test_the_popularity_goal_asks_2x_only_where_a_baseline_reaches_it() -> None:
    """User-Personalization must reach 2x popularity's NDCG@10 where some baseline does; otherwise 1.05x the best
    baseline (the issue's rule, judged by one function for bench/quality.py and bench/full_size.py)."""
    pop = {baselines.NDCG10: 0.10}

    def tuned(*ndcgs: float) -> list[baselines.Tuned]:
        return [baselines.Tuned(f"b{i}", "s", 0.0, {baselines.NDCG10: n}, 1.0) for i, n in enumerate(ndcgs)]

    assert popularity_goal({baselines.NDCG10: 0.19}, pop, tuned(0.15, 0.18)) == (True, False)  # 1.056x the best
    assert popularity_goal({baselines.NDCG10: 0.18}, pop, tuned(0.15, 0.18)) == (False, False)  # 1.0x the best
    assert popularity_goal({baselines.NDCG10: 0.22}, pop, tuned(0.21)) == (True, True)  # 2.2x pop
    assert popularity_goal({baselines.NDCG10: 0.19}, pop, tuned(0.21, 0.12)) == (False, True)  # below 2x pop
