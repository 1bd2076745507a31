"""Personalize's metrics and split, checked against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personalize_local.evaluation import evaluate_solution
from personalize_local.metrics import (
    METRIC_KEYS,
    aggregate,
    ndcg_personalize,
    ndcg_standard,
    ranking_metrics,
    split_users,
)
from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.registry import get_recipe


def test_ndcg_docs_example_is_0_6241() -> None:
    # Hits at ranks 2 and 5, K = 5: (1/log 3 + 1/log 6) / (1/log 2 + 1/log 3).
    assert round(ndcg_personalize([False, True, False, False, True], 5), 4) == 0.6241


def test_ndcg_ideal_is_built_from_the_hits_found_not_from_the_truth_size() -> None:
    # One hit at rank 1 is perfect for Personalize however many items were held out; standard NDCG is not.
    assert ndcg_personalize([True, False, False], 5) == 1.0
    assert ndcg_standard([True, False, False], n_relevant=3, k=5) == pytest.approx(
        1.0 / (1.0 + 1 / np.log2(3) + 1 / np.log2(4))
    )


def test_ndcg_without_hits_is_zero_and_hits_beyond_k_do_not_count() -> None:
    assert ndcg_personalize([False] * 25, 25) == 0.0
    assert ndcg_personalize([False] * 5 + [True], 5) == 0.0


def test_mrr_docs_example_averages_to_0_3056() -> None:
    truths = [frozenset({"x"})] * 3
    lists = [["a", "b", "c", "x"], ["a", "x"], ["a", "b", "c", "d", "e", "x"]]
    assert aggregate(lists, truths, n_catalog_items=10)["mean_reciprocal_rank_at_25"] == 0.3056


def test_precision_denominator_is_always_k() -> None:
    metrics = ranking_metrics(["h1", "n", "h2"], frozenset({"h1", "h2", "h3"}))
    assert metrics["precision_at_5"] == pytest.approx(2 / 5)
    assert metrics["precision_at_10"] == pytest.approx(2 / 10)
    assert metrics["precision_at_25"] == pytest.approx(2 / 25)


def test_coverage_is_distinct_recommended_items_over_catalogue_and_values_have_4_decimals() -> None:
    lists = [["a", "b"], ["b", "c"], ["a"]]
    truths = [frozenset({"b"}), frozenset({"z"}), frozenset({"a"})]
    metrics = aggregate(lists, truths, n_catalog_items=7)
    assert list(metrics) == list(METRIC_KEYS)
    assert metrics["coverage"] == round(3 / 7, 4)
    assert metrics["precision_at_5"] == round((1 / 5 + 0 + 1 / 5) / 3, 4)
    assert metrics["mean_reciprocal_rank_at_25"] == round((1 / 2 + 0 + 1) / 3, 4)
    assert all(isinstance(v, float) for v in metrics.values())


def _frame(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


def test_split_holds_out_10_percent_of_users_and_newest_10_percent_of_their_interactions() -> None:
    rows = [(f"u{u}", f"i{(u + t) % 30}", 1000 - t) for u in range(40) for t in range(20)]  # newest listed last
    rows += [("lonely", "i1", 5)]  # one interaction: never a test user
    split = split_users(_frame(rows), seed=7)
    assert len(split.test_users) == 4  # round(10% of 41 users)
    assert "lonely" not in {u.user_id for u in split.test_users}
    for user in split.test_users:
        u = int(user.user_id[1:])
        # 20 interactions → newest round(2.0) = 2 are the truth: timestamps 1000 and 999 → t = 0, 1.
        assert user.truth == frozenset({f"i{u % 30}", f"i{(u + 1) % 30}"})
        assert user.history == [f"i{(u + t) % 30}" for t in range(19, 1, -1)]  # oldest first
    assert set(split.train["USER_ID"]).isdisjoint({u.user_id for u in split.test_users})
    assert len(split.train) == len(rows) - 4 * 20


def test_split_is_seeded_and_keeps_at_least_one_truth_item() -> None:
    rows = [(f"u{u}", f"i{t}", t) for u in range(50) for t in range(3)]
    first = split_users(_frame(rows), seed=1)
    again = split_users(_frame(rows), seed=1)
    other = split_users(_frame(rows), seed=2)
    assert [u.user_id for u in first.test_users] == [u.user_id for u in again.test_users]
    assert [u.user_id for u in first.test_users] != [u.user_id for u in other.test_users]
    assert all(u.truth == frozenset({"i2"}) and u.history == ["i0", "i1"] for u in first.test_users)


def test_last_item_holdout_switch() -> None:
    rows = [(f"u{u}", f"i{t}", t) for u in range(10) for t in range(30)]
    (user,) = split_users(_frame(rows), seed=0, holdout="last_item").test_users
    assert user.truth == frozenset({"i29"}) and len(user.history) == 29


def test_evaluate_solution_on_a_hand_worked_popularity_case() -> None:
    # Every user watches P, Q, R in that order; popularity ties → P, Q, R by item id. The test user's truth is R
    # (newest of 3), found at rank 3: MRR 1/3, P@5 1/5, NDCG (1/log 4) / (1/log 2) = 0.5 (ideal = that one hit at 1).
    rows = [(f"u{u}", item, t) for u in range(10) for t, item in enumerate(["P", "Q", "R"])]
    metrics = evaluate_solution(get_recipe("aws-popularity-count"), TrainingData(_frame(rows)), {}, seed=3)
    assert metrics == {
        "coverage": 1.0,
        "mean_reciprocal_rank_at_25": 0.3333,
        "normalized_discounted_cumulative_gain_at_5": 0.5,
        "normalized_discounted_cumulative_gain_at_10": 0.5,
        "normalized_discounted_cumulative_gain_at_25": 0.5,
        "precision_at_5": 0.2,
        "precision_at_10": 0.1,
        "precision_at_25": 0.04,
    }


def test_the_evaluation_drops_its_copy_of_the_training_users(monkeypatch) -> None:
    """evaluate_recipe copies 90% of the interactions for the training users; once its model is trained (the test
    users are scored next, then the served model trains on all of the data) no Arrow buffer of that copy is still
    referenced — not even through an empty slice of it."""
    import pyarrow as pa

    from personalize_local import evaluation

    rng = np.random.default_rng(0)
    n = 200_000
    interactions = pd.DataFrame(
        {
            "USER_ID": pd.Series([f"user-{u:06d}" for u in rng.integers(0, 4_000, n)], dtype="str"),
            "ITEM_ID": pd.Series([f"item-{i:05d}" for i in rng.integers(0, 500, n)], dtype="str"),
            "TIMESTAMP": rng.integers(1_600_000_000, 1_700_000_000, n),
        }
    )
    id_bytes = int(interactions[["USER_ID", "ITEM_ID"]].memory_usage(deep=True, index=False).sum())
    before = pa.total_allocated_bytes()
    while_scoring: list[int] = []
    score = evaluation.evaluate_model

    def spy(*args, **kwargs):
        while_scoring.append(pa.total_allocated_bytes())
        return score(*args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate_model", spy)
    result = evaluation.evaluate_recipe(get_recipe("aws-popularity-count"), TrainingData(interactions), {}, seed=0)
    assert result.metrics["precision_at_5"] >= 0.0 and len(while_scoring) == 1
    assert while_scoring[0] - before < 0.1 * id_bytes
