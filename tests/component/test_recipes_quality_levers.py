"""Quality and training-speed levers: EASE from the users' side, never-rated catalogue items, SIMS's popularity
discount (properties that can fail; no timings)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from personalize_local.evaluation import evaluate_solution
from personalize_local.recipes.algorithms import EaseCore, IalsCore, co_occurrence
from personalize_local.recipes.base import InvalidHyperParameterError, TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from testing.planted_data import planted_interactions

SIMS = get_recipe("aws-sims")
UP = get_recipe("aws-user-personalization")


def _dense_ease(x: np.ndarray, lambda_factor: float, gamma: float) -> np.ndarray:
    """EASE written out directly: B = I − P / diag(P), P = (DᵞXᵀXDᵞ + λI)⁻¹, zero diagonal."""
    g = x.T @ x
    scale = np.diag(g) ** -gamma
    g = g * scale[:, None] * scale[None, :]
    g += lambda_factor * np.mean(np.diag(g)) * np.eye(len(g))
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


@pytest.mark.parametrize(("lambda_factor", "gamma"), [(1.0, 0.0), (4.0, 0.5), (0.25, 0.25)])
def test_ease_with_fewer_users_than_items_equals_the_direct_inverse(lambda_factor: float, gamma: float) -> None:
    rng = np.random.default_rng(7)
    x = (rng.random((40, 150)) < 0.1).astype(np.float64)
    x[:, 5] = 0.0  # one never-interacted column: left out of the active items
    cooc = co_occurrence(sp.csr_matrix(x, dtype=np.float32))
    assert cooc.low_rank  # 40 users < ~149 active items: the Woodbury path
    active = cooc.active
    assert 5 not in active.tolist()
    expected = _dense_ease(x[:, active], lambda_factor, gamma)
    got = EaseCore.fit(cooc, lambda_factor, gamma).weights
    np.testing.assert_allclose(got, expected, atol=2e-5, rtol=1e-4)


def test_ials_factors_do_not_depend_on_never_interacted_catalogue_items() -> None:
    rng = np.random.default_rng(3)
    warm = sp.csr_matrix((rng.random((80, 60)) < 0.15).astype(np.float32))
    padded = sp.hstack([warm, sp.csr_matrix((80, 500), dtype=np.float32)]).tocsr()
    small = IalsCore.fit(warm, factors=8, regularization=1.0, alpha=4.0, iterations=5, seed=0)
    large = IalsCore.fit(padded, factors=8, regularization=1.0, alpha=4.0, iterations=5, seed=0)
    np.testing.assert_array_equal(large.model.item_factors[:60], small.model.item_factors)
    assert not large.model.item_factors[60:].any()


def _with_unrated_items(items: pd.DataFrame, n: int) -> pd.DataFrame:
    extra = pd.DataFrame(
        {
            "ITEM_ID": [f"unrated{i}" for i in range(n)],
            "GENRES": ["g0" if i % 2 else "g1" for i in range(n)],
            "CREATION_TIMESTAMP": items["CREATION_TIMESTAMP"].min(),
        }
    )
    return pd.concat([items, extra], ignore_index=True)


def test_never_rated_items_leave_the_recommendations_of_rated_items_unchanged() -> None:
    data = planted_interactions(n_users=60, n_items=120, per_user=20, seed=5)
    params = resolve_hyperparameters(UP, None)
    plain = UP().train(TrainingData(data.interactions, data.items), params, seed=0)
    padded = UP().train(TrainingData(data.interactions, _with_unrated_items(data.items, 2000)), params, seed=0)
    assert len(padded.item_ids) == len(plain.item_ids) + 2000
    for key in ("local_algorithm", "local_recency_half_life", "local_repeat_share"):
        assert padded.hyperparameters[key] == plain.hyperparameters[key]
    histories = data.interactions.sort_values("TIMESTAMP").groupby("USER_ID")["ITEM_ID"].agg(list)
    for history in histories.iloc[:15]:
        expected = [item for item, _ in plain.recommend(history, 10)]
        assert [item for item, _ in padded.recommend(history, 10)] == expected
        assert not any(item.startswith("unrated") for item in expected)


def test_sims_popularity_discount_factor_has_aws_default_and_range() -> None:
    # https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-sims.html: default 0.5, range [0.0, 1.0]
    spec = {h.name: h for h in SIMS.hyperparameters}["popularity_discount_factor"]
    assert (spec.default, spec.minimum, spec.maximum) == ("0.5", 0.0, 1.0)
    for bad in ("-0.1", "1.01", "high"):
        with pytest.raises(InvalidHyperParameterError, match="popularity_discount_factor"):
            resolve_hyperparameters(SIMS, {"algorithmHyperParameters": {"popularity_discount_factor": bad}})


@pytest.fixture(scope="module")
def planted():
    data = planted_interactions(n_users=500, n_items=300, per_user=30, seed=11)
    return TrainingData(data.interactions, data.items)


def _sims(data: TrainingData, factor: str):
    params = resolve_hyperparameters(SIMS, {"algorithmHyperParameters": {"popularity_discount_factor": factor}})
    return SIMS().train(data, params), params


def test_sims_popularity_discount_spreads_coverage_and_picks_less_popular_neighbours(planted) -> None:
    counts = planted.interactions.groupby("ITEM_ID")["USER_ID"].nunique()
    metrics, mean_count = {}, {}
    for factor in ("0", "1"):
        model, params = _sims(planted, factor)
        metrics[factor] = evaluate_solution(SIMS, planted, params, seed=0)
        related = [item for query in counts.index[:50] for item, _ in model.related(query, 10)]
        mean_count[factor] = float(counts.reindex(related).fillna(0).mean())
    assert metrics["1"]["coverage"] > metrics["0"]["coverage"]
    assert mean_count["1"] < mean_count["0"]


def _with_penalty(model, beta: float):
    return model.with_options(dataclasses.replace(model.options, popularity_penalty=beta))


def test_popularity_penalty_recommends_less_popular_items_and_keeps_cold_items_last(tmp_path) -> None:
    data = planted_interactions(n_users=300, n_items=200, per_user=25, seed=9)
    model = UP().train(TrainingData(data.interactions, data.items), resolve_hyperparameters(UP, None), seed=0)
    assert model.hyperparameters["local_popularity_penalty"] in {"0", "0.05", "0.1", "0.2", "0.3"}
    plain, penalised = _with_penalty(model, 0.0), _with_penalty(model, 0.5)
    histories = data.interactions.sort_values("TIMESTAMP").groupby("USER_ID")["ITEM_ID"].agg(list).iloc[:40]
    counts = dict(zip(model.item_ids.tolist(), model.train_counts.tolist(), strict=True))

    def mean_count(m) -> float:
        return float(np.mean([counts[item] for h in histories for item, _ in m.recommend(h, 10)]))

    assert mean_count(penalised) < mean_count(plain)
    seen = set(histories.iloc[0])
    ranked = [item for item, _ in penalised.recommend(histories.iloc[0], len(model.item_ids)) if item not in seen]
    is_cold = [counts[item] == 0 for item in ranked]
    assert any(is_cold)
    assert is_cold == sorted(is_cold)  # never-interacted items still come after every trained one
    penalised.save(tmp_path / "m")
    loaded = type(penalised).load(tmp_path / "m")
    assert loaded.options.popularity_penalty == 0.5
    assert loaded.recommend(histories.iloc[1], 10) == penalised.recommend(histories.iloc[1], 10)
