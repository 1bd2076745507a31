"""aws-user-personalization and aws-personalized-ranking on data with a KNOWN planted genre taste."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from personalize_local.evaluation import evaluate_recipe, evaluate_solution
from personalize_local.recipes import user_personalization as up
from personalize_local.recipes.algorithms import IalsCore
from personalize_local.recipes.base import ExplorationConfig, TrainedModel, TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from testing.planted_data import planted_interactions

UP = get_recipe("aws-user-personalization")
PR = get_recipe("aws-personalized-ranking")


@pytest.fixture(scope="module")
def planted():
    return planted_interactions(n_users=400, n_items=300, per_user=20, n_new_items=10, seed=5)


@pytest.fixture(scope="module")
def model(planted):
    return UP().train(TrainingData(planted.interactions, planted.items), resolve_hyperparameters(UP, None), seed=1)


def genre_items(planted, genre: int, k: int, skip: int = 0) -> list[str]:
    """The ``k`` most watched items of ``genre`` (after skipping ``skip``), most watched first."""
    counts = planted.interactions["ITEM_ID"].value_counts()
    return [i for i in counts.index if planted.item_genre[i] == genre][skip : skip + k]


def share(planted, items, genre: int) -> float:
    return float(np.mean([planted.item_genre[i] == genre for i, _ in items]))


@pytest.mark.parametrize("genre", range(5))
def test_planted_genre_taste_is_recovered_for_a_new_user(planted, model, genre: int) -> None:
    recs = model.recommend(genre_items(planted, genre, 6), 10)
    assert share(planted, recs, genre) >= 0.8


def test_training_users_get_their_favourite_genre(planted, model) -> None:
    popularity = get_recipe("aws-popularity-count")().train(TrainingData(planted.interactions), {})
    histories = planted.interactions.sort_values("TIMESTAMP").groupby("USER_ID")["ITEM_ID"].apply(list)
    users = sorted(histories.index)[:40]
    up_share = np.mean([share(planted, model.recommend(histories[u], 10), planted.user_genre[u]) for u in users])
    pop_share = np.mean([share(planted, popularity.recommend(histories[u], 10), planted.user_genre[u]) for u in users])
    assert up_share >= 0.75
    assert up_share > pop_share + 0.3


def test_scores_are_a_softmax_over_the_whole_catalogue(planted, model) -> None:
    everything = model.recommend(genre_items(planted, 1, 4), len(model.item_ids))
    scores = np.array([s for _, s in everything])
    assert len(everything) == len(model.item_ids)
    assert scores.sum() == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.diff(scores) <= 1e-12)  # sorted by score, best first
    top = model.recommend(genre_items(planted, 1, 4), 5)
    assert [s for _, s in top] == [s for _, s in everything[:5]]


def test_live_history_changes_recommendations_without_retraining(planted, model) -> None:
    history = genre_items(planted, 1, 4)
    before = model.recommend(history, 10)
    assert share(planted, before, 1) >= 0.8
    after = model.recommend(history + genre_items(planted, 3, 12), 10)  # new events, newest last
    assert share(planted, after, 3) >= 0.6
    assert before != after


def test_user_without_history_gets_popular_items(planted, model) -> None:
    counts = planted.interactions.groupby("ITEM_ID")["USER_ID"].nunique().sort_values(ascending=False)
    recs = model.recommend([], 5)
    assert [i for i, _ in recs] == counts.index[:5].tolist() or {i for i, _ in recs} <= set(counts.index[:8])
    assert all(s is not None and s > 0 for _, s in recs)
    assert model.recommend(["never-seen-item"], 5) == recs


def test_items_the_user_has_are_demoted_not_removed(planted, model) -> None:
    # Nobody repeats an item in this data, so the model learned to push a user's own items down.
    assert model.hyperparameters["local_repeat_share"] == "0"
    history = genre_items(planted, 2, 5)
    top = [i for i, _ in model.recommend(history, 10)]
    assert not set(history) & set(top)
    everything = [i for i, _ in model.recommend(history, len(model.item_ids))]
    assert set(history) <= set(everything)


def test_mask_applies_before_truncation(planted, model) -> None:
    allowed = np.array([planted.item_genre[i] == 4 for i in model.item_ids])
    recs = model.recommend(genre_items(planted, 0, 5), 10, allowed=allowed)
    assert len(recs) == 10 and share(planted, recs, 4) == 1.0


def test_exploration_surfaces_new_items_in_evenly_spaced_slots(planted, model) -> None:
    new = set(planted.new_items)
    history = genre_items(planted, 3, 5)
    assert not new & {i for i, _ in model.recommend(history, 25)}  # never chosen on relevance alone
    explored = [i for i, _ in model.recommend(history, 10, exploration=ExplorationConfig(0.3, 30.0))]
    assert [p for p, i in enumerate(explored) if i in new] == [3, 6, 9]
    assert {explored[3], explored[6]} == {i for i in planted.new_items if planted.item_genre[i] == 3}  # metadata match
    too_old = model.recommend(history, 10, exploration=ExplorationConfig(0.3, 0.5))  # they are one day old
    assert not new & {i for i, _ in too_old}
    none = model.recommend(history, 10, exploration=ExplorationConfig(0.0, 30.0))
    assert not new & {i for i, _ in none}
    allowed = np.array([i not in new for i in model.item_ids])
    filtered = model.recommend(history, 10, allowed=allowed, exploration=ExplorationConfig(0.3, 30.0))
    assert not new & {i for i, _ in filtered}


def test_hyperparameters_record_what_was_chosen(model) -> None:
    hp = model.hyperparameters
    assert hp["hidden_dimension"] == "149" and hp["bptt"] == "32"
    assert hp["local_algorithm"] in ("ease", "ials")
    assert len({label.split("|")[0] for label in json.loads(hp["local_validation_candidates"])}) >= 2
    assert float(hp["local_temperature"]) > 0


@pytest.mark.parametrize("kind", ["ease", "ials"])
def test_each_algorithm_saves_loads_and_serves_identically(planted, kind, monkeypatch, tmp_path: Path) -> None:
    only = [c for c in up.candidates_for(290, 32) if c.kind == kind][:1]
    monkeypatch.setattr(up, "candidates_for", lambda n, factors: only)
    data = TrainingData(planted.interactions, planted.items)
    model = PR().train(data, resolve_hyperparameters(PR, {"algorithmHyperParameters": {"hidden_dimension": "32"}}))
    assert model.hyperparameters["local_algorithm"] == kind
    assert model.recipe_type == "PERSONALIZED_RANKING"
    model.save(tmp_path / kind)
    loaded = PR.model_class().load(tmp_path / kind)
    history = genre_items(planted, 0, 6)
    assert loaded.recommend(history, 20) == model.recommend(history, 20)
    assert share(planted, loaded.recommend(history, 10), 0) >= 0.8
    ranked = loaded.rank(history, model.item_ids[:30].tolist())
    assert ranked == model.rank(history, model.item_ids[:30].tolist())
    assert loaded.hyperparameters == model.hyperparameters


def test_concurrent_requests_match_sequential_ones(planted, model) -> None:
    histories = [genre_items(planted, g % 5, 3 + g % 4, skip=g % 3) for g in range(40)]
    expected = [model.recommend(h, 15) for h in histories]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda h: model.recommend(h, 15), histories * 3))
    assert got == expected * 3


def test_ranking_puts_the_users_taste_first(planted) -> None:
    model = PR().train(TrainingData(planted.interactions, planted.items), resolve_hyperparameters(PR, None), seed=2)
    history = genre_items(planted, 2, 6)
    mine, others = genre_items(planted, 2, 5, skip=6), [i for g in (0, 1, 3, 4) for i in genre_items(planted, g, 2)]
    rng = np.random.default_rng(0)
    input_list = [str(i) for i in rng.permutation(mine + others)] + ["unknown-1", mine[0]]  # duplicate dropped
    ranked = model.rank(history, input_list)
    assert [i for i, _ in ranked[:5]] and {i for i, _ in ranked[:5]} == set(mine)
    assert ranked[-1] == ("unknown-1", 0.0)  # "If an item wasn't present during the latest training ... 0"
    assert len(ranked) == len(mine) + len(others) + 1
    assert sum(s for _, s in ranked[:-1]) == pytest.approx(1.0, abs=1e-9)


def test_user_personalization_beats_popularity_on_planted_data(planted) -> None:
    data = TrainingData(planted.interactions, planted.items)
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    model_metrics = evaluate_solution(UP, data, resolve_hyperparameters(UP, None), seed=4)
    popular = evaluate_solution(get_recipe("aws-popularity-count"), data, {}, seed=4)
    assert model_metrics[ndcg] >= 2 * popular[ndcg]
    assert model_metrics["coverage"] > popular["coverage"]


def test_single_user_fold_in_equals_implicits_recalculate_user() -> None:
    rng = np.random.default_rng(3)
    core = IalsCore(rng.normal(size=(300, 24)).astype(np.float32), 24, 0.7, 16.0)
    for n in (1, 5, 60):
        positions = np.sort(rng.choice(300, n, replace=False))
        weights = rng.uniform(0.2, 1.0, n).astype(np.float32)
        batch = core.score_batch(sp.csr_matrix((weights, positions, [0, n]), shape=(1, 300)))[0]
        np.testing.assert_allclose(core.score_one(positions, weights), batch, rtol=1e-4, atol=1e-5)


@given(
    history=st.lists(st.integers(min_value=0, max_value=330), max_size=25),
    k=st.integers(min_value=0, max_value=320),
)
def test_rank_unseen_is_rank_over_the_unseen_catalogue(planted, model, history: list[int], k: int) -> None:
    """The evaluation's shortcut gives exactly ``rank``'s first k over every unseen item: trained ones by taste,
    untrained ones (the planted new items have no interactions) last in catalogue order; ids beyond the catalogue
    (positions ≥ 300 here) are unknown to the model."""
    catalogue = model.item_ids.tolist()
    ids = [catalogue[i] if i < len(catalogue) else f"unknown-{i}" for i in history]
    assert model.rank_unseen(ids, k) == TrainedModel.rank_unseen(model, ids, k)


@pytest.mark.parametrize("kind", ["ease", "ials"])
def test_the_served_model_reuses_what_the_evaluation_chose(planted, kind, monkeypatch) -> None:
    """train_served with the evaluation's model validates nothing again: same candidate, options, temperature and
    report; an iALS core starts from the evaluation's item factors for REFIT_ITERATIONS sweeps."""
    only = [c for c in up.candidates_for(290, 32) if c.kind == kind][:1]
    monkeypatch.setattr(up, "candidates_for", lambda n, factors: only)
    monkeypatch.setattr(up, "REUSE_MIN_VALIDATION_USERS", 30)  # the planted data has 36 training users' worth
    data = TrainingData(planted.interactions, planted.items)
    params = resolve_hyperparameters(UP, {"algorithmHyperParameters": {"hidden_dimension": "32"}})
    evaluation = evaluate_recipe(UP, data, params, seed=3)
    assert int(evaluation.model.hyperparameters["local_validation_users"]) >= 30
    validations: list[int] = []
    monkeypatch.setattr(UP, "_select", lambda *a, **k: validations.append(1))  # must not run
    served = UP().train_served(data, params, 3, evaluation.model)
    assert not validations
    chosen = {
        k: v for k, v in evaluation.model.hyperparameters.items() if k.startswith("local_") and k != "local_ials_start"
    }
    assert {k: v for k, v in served.hyperparameters.items() if k in chosen} == chosen
    assert ("local_ials_refit_iterations" in served.hyperparameters) == (kind == "ials")
    assert served.hyperparameters.get("local_ials_start") == ("evaluation" if kind == "ials" else None)
    assert served.options == evaluation.model.options and served.temperature == evaluation.model.temperature
    shares = [share(planted, served.recommend(genre_items(planted, g, 6), 10), g) for g in range(5)]
    assert np.mean(shares) >= 0.8


def test_the_final_ials_fit_starts_from_the_validation_fit(planted, monkeypatch) -> None:
    """Training's final fit on all training users starts from the item factors the winning iALS candidate was
    fitted with during validation (REFIT_ITERATIONS sweeps instead of 15 from random factors) and still learns the
    planted genres."""
    only = [c for c in up.candidates_for(290, 32) if c.kind == "ials"][:1]
    monkeypatch.setattr(up, "candidates_for", lambda n, factors: only)
    fits: list[tuple[int, np.ndarray | None, np.ndarray]] = []
    original = IalsCore.fit.__func__

    def spy(cls, matrix, factors, regularization, alpha, iterations, seed, initial_item_factors=None):
        core = original(cls, matrix, factors, regularization, alpha, iterations, seed, initial_item_factors)
        fits.append((iterations, initial_item_factors, core.model.item_factors.copy()))
        return core

    monkeypatch.setattr(IalsCore, "fit", classmethod(spy))
    data = TrainingData(planted.interactions, planted.items)
    params = resolve_hyperparameters(UP, {"algorithmHyperParameters": {"hidden_dimension": "32"}})
    model = UP().train(data, params, seed=2)
    (validation_iterations, no_start, validation_factors), (final_iterations, start, _) = fits
    assert validation_iterations == only[0].iterations and no_start is None
    assert final_iterations == up.REFIT_ITERATIONS and start is not None
    np.testing.assert_array_equal(start, validation_factors)
    assert model.hyperparameters["local_ials_start"] == "validation-fit"
    shares = [share(planted, model.recommend(genre_items(planted, g, 6), 10), g) for g in range(5)]
    assert np.mean(shares) >= 0.8


def test_a_model_without_a_validation_is_trained_from_scratch(planted) -> None:
    data = TrainingData(planted.interactions, planted.items)
    popularity = get_recipe("aws-popularity-count")().train(data, {})
    params = resolve_hyperparameters(UP, None)
    served = UP().train_served(data, params, 1, popularity)
    assert served.hyperparameters == UP().train(data, params, seed=1).hyperparameters
    assert served.hyperparameters.get("local_ials_start") != "evaluation"


def test_a_selection_made_on_few_validation_users_is_made_again(planted, monkeypatch) -> None:
    """Below REUSE_MIN_VALIDATION_USERS validation users the served model validates again on all users."""
    data = TrainingData(planted.interactions, planted.items)
    params = resolve_hyperparameters(UP, None)
    evaluation = evaluate_recipe(UP, data, params, seed=3)
    assert int(evaluation.model.hyperparameters["local_validation_users"]) < up.REUSE_MIN_VALIDATION_USERS
    selections: list[int] = []
    original = UP._select
    monkeypatch.setattr(UP, "_select", lambda self, *a: selections.append(1) or original(self, *a))
    served = UP().train_served(data, params, 3, evaluation.model)
    assert selections == [1] and served.hyperparameters.get("local_ials_start") != "evaluation"


@pytest.mark.parametrize(
    "damage",
    [
        {"local_validation_users": "many"},
        {"local_validation_candidates": "{not json"},
        {"local_validation_candidates": "[1, 2]"},
        {"local_validation_ndcg_at_10": "n/a"},
        {"local_validation_coverage": ""},
        {"local_algorithm": "transformer"},
    ],
)
def test_an_unreadable_recorded_selection_is_validated_again(planted, monkeypatch, damage) -> None:
    """A start model whose recorded choices this code cannot read (another version's, or edited by hand) is no
    selection: the served model validates again instead of failing the solution version."""
    monkeypatch.setattr(up, "REUSE_MIN_VALIDATION_USERS", 30)
    data = TrainingData(planted.interactions, planted.items)
    params = resolve_hyperparameters(UP, None)
    evaluation = evaluate_recipe(UP, data, params, seed=3)
    assert up.Selection.of(evaluation.model) is not None
    evaluation.model.hyperparameters.update(damage)
    assert up.Selection.of(evaluation.model) is None
    selections: list[int] = []
    original = UP._select
    monkeypatch.setattr(UP, "_select", lambda self, *a: selections.append(1) or original(self, *a))
    UP().train_served(data, params, 3, evaluation.model)
    assert selections == [1]
