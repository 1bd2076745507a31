"""aws-sims on data with planted co-watched pairs, plus hand-made co-occurrence cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from testing.planted_data import planted_interactions

SIMS = get_recipe("aws-sims")


def _train(data: TrainingData, **params: str):
    return SIMS().train(data, resolve_hyperparameters(SIMS, {"algorithmHyperParameters": params}))


@pytest.fixture(scope="module")
def planted():
    data = planted_interactions(n_users=400, n_items=120, seed=3)
    return data, _train(TrainingData(data.interactions, data.items))


def test_related_items_of_a_series_start_with_its_co_watched_partner(planted) -> None:
    data, model = planted
    counts = data.interactions["ITEM_ID"].value_counts()
    checked = 0
    for item in counts.index[:30]:  # the 30 most watched items
        partner = str(int(item) ^ 1)  # series pairs are (2k, 2k + 1)
        assert model.related(item, 5)[0] == (partner, None)
        checked += 1
    assert checked == 30


def test_related_items_share_the_query_genre(planted) -> None:
    data, model = planted
    same = [data.item_genre[r] == data.item_genre["10"] for r, _ in model.related("10", 10)]
    assert np.mean(same) >= 0.7


def test_no_score_no_self_and_filled_to_num_results(planted) -> None:
    _, model = planted
    related = model.related("10", 50)
    assert len(related) == 50
    assert all(score is None for _, score in related)
    assert "10" not in [item for item, _ in related]
    assert len({item for item, _ in related}) == 50


def test_unknown_item_falls_back_to_popular(planted) -> None:
    data, model = planted
    popular = data.interactions.groupby("ITEM_ID")["USER_ID"].nunique().sort_values(ascending=False)
    got = [item for item, _ in model.related("no-such-item", 5)]
    assert set(got) <= set(popular.index[:8])  # ties in the count may reorder the very top
    assert got[0] == popular.index[0] or popular.iloc[0] == popular[got[0]]


def test_mask_applies_before_truncation(planted) -> None:
    data, model = planted
    allowed = np.array([data.item_genre[i] == 2 for i in model.item_ids])
    related = model.related("10", 10, allowed=allowed)  # item 10 is genre 0: only genre-2 items may come back
    assert len(related) == 10
    assert all(data.item_genre[i] == 2 for i, _ in related)


def _frame(baskets: dict[str, list[str]]) -> TrainingData:
    rows = [(user, item, t) for user, items in baskets.items() for t, item in enumerate(items)]
    return TrainingData(pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"]))


def test_min_cointeraction_count_drops_rare_pairs() -> None:
    # A co-occurs with B for 3 users, with C for 1 user.
    baskets = {f"u{i}": ["A", "B"] for i in range(3)} | {"u9": ["A", "C"], "u8": ["C", "D"], "u7": ["D", "B"]}
    params = {
        "min_user_history_length_percentile": "0",
        "max_user_history_length_percentile": "1",
        "min_item_interaction_count_percentile": "0",
    }
    strict = _train(_frame(baskets), min_cointeraction_count="2", **params)
    assert strict.neighbours_of("A").tolist() == [strict.item_ids.tolist().index("B")]
    loose = _train(_frame(baskets), min_cointeraction_count="1", **params)
    assert loose.item_ids[loose.neighbours_of("A")].tolist() == ["B", "C"]


def test_popularity_discount_factor_trades_popular_for_specific_neighbours() -> None:
    # Q co-occurs with P (very popular) for 4 users and with N (niche, 4 users in total) for 3 users.
    baskets = {f"p{i}": ["P"] for i in range(40)}
    baskets |= {f"q{i}": ["Q", "P"] for i in range(4)} | {f"n{i}": ["Q", "N"] for i in range(3)} | {"z": ["N", "X"]}
    params = {
        "min_cointeraction_count": "1",
        "min_user_history_length_percentile": "0",
        "max_user_history_length_percentile": "1",
        "min_item_interaction_count_percentile": "0",
    }
    popular = _train(_frame(baskets), popularity_discount_factor="0", **params)
    assert [i for i, _ in popular.related("Q", 2)] == ["P", "N"]
    specific = _train(_frame(baskets), popularity_discount_factor="1", **params)
    assert [i for i, _ in specific.related("Q", 2)] == ["N", "P"]


def test_too_cold_items_fall_back_to_popular() -> None:
    baskets = {f"u{i}": ["A", "B", "C"] for i in range(10)} | {"x": ["A", "COLD"]}
    params = {"min_cointeraction_count": "1", "min_item_interaction_count_percentile": "0.5"}
    model = _train(_frame(baskets), **params)
    assert len(model.neighbours_of("COLD")) == 0
    assert [i for i, _ in model.related("COLD", 3)] == ["A", "B", "C"]  # the popularity order
    assert "COLD" not in model.item_ids[model.neighbours_of("A")].tolist()


def test_save_and_load_round_trip(planted, tmp_path: Path) -> None:
    _, model = planted
    model.save(tmp_path / "sims")
    loaded = SIMS.model_class().load(tmp_path / "sims")
    for item in ("0", "10", "77", "unknown"):
        assert loaded.related(item, 25) == model.related(item, 25)
    assert loaded.hyperparameters == model.hyperparameters
