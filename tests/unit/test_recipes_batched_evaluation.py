"""The batch methods the offline metrics use (``recommend_many``, ``rank_unseen_many``) give the per-user lists.

User-Personalization and Personalized-Ranking (v1 and v2) score a block of users at a time; every list must be the
one ``recommend`` / ``rank_unseen`` gives that user alone, ties included, whatever the inference options, cold items,
unknown or repeated history items and empty histories. Small random models with few distinct weights are full of
ties; blocks of one to three users put block edges everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from personalize_local.evaluation import catalog_size
from personalize_local.metrics import EvaluationSplit, split_users
from personalize_local.recipes import user_personalization as up
from personalize_local.recipes.algorithms import EaseCore, IalsCore, ScoringCore
from personalize_local.recipes.base import TrainedModel, TrainingData
from personalize_local.recipes.building_blocks import ItemLookup
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.recipes.user_personalization import (
    InferenceOptions,
    PersonalizedRankingModel,
    UserPersonalizationModel,
    collapse,
    fix_cold,
    history_weights,
    log_probabilities,
)
from personalize_local.recipes.user_personalization_v2 import PersonalizedRankingV2Model, UserPersonalizationV2Model
from testing.evaluation_checks import assert_batched_evaluation_is_per_user
from testing.planted_data import planted_interactions
from tests.support.fuzzing import fuzz_settings

MODEL_CLASSES = (
    UserPersonalizationModel,
    PersonalizedRankingModel,
    UserPersonalizationV2Model,
    PersonalizedRankingV2Model,
)
#: Few distinct values, so scores tie often.
TIED_WEIGHTS = st.sampled_from([-1.0, 0.0, 0.0, 0.5, 1.0, 2.0])
UNKNOWN_IDS = ("unknown-a", "unknown-b")


@st.composite
def models(draw: st.DrawFn) -> UserPersonalizationModel:
    """A small User-Personalization model (EASE or iALS core) with every inference option drawn."""
    n_items = draw(st.integers(1, 24))
    item_ids = np.array([f"i{k:02d}" for k in range(n_items)], dtype=object)
    counts = np.array(draw(st.lists(st.integers(0, 3), min_size=n_items, max_size=n_items)), dtype=np.int64)
    ease = draw(st.booleans())
    if ease and not counts.any():
        counts[0] = 1  # an EASE core has trained items
    active = np.flatnonzero(counts > 0)
    core: ScoringCore
    if ease:
        weights = draw(st.lists(TIED_WEIGHTS, min_size=len(active) ** 2, max_size=len(active) ** 2))
        core = EaseCore(active, np.array(weights, dtype=np.float32).reshape(len(active), len(active)), n_items)
    else:
        factors = draw(st.integers(1, 3))
        values = draw(st.lists(TIED_WEIGHTS, min_size=n_items * factors, max_size=n_items * factors))
        item_factors = np.array(values, dtype=np.float32).reshape(n_items, factors)
        item_factors[counts == 0] = 0.0  # untrained items keep zero factors, as IalsCore.fit leaves them
        core = IalsCore(item_factors, factors, 0.5, 2.0)
    transitions = None
    if draw(st.booleans()):
        cells = st.lists(st.sampled_from([0.0, 0.0, 1.0, 2.0]), min_size=n_items**2, max_size=n_items**2)
        counts_matrix = sp.csr_matrix(np.array(draw(cells), dtype=np.float32).reshape(n_items, n_items))
        totals = np.asarray(counts_matrix.sum(axis=1)).ravel()
        totals[totals == 0] = 1.0
        transitions = sp.diags((1.0 / totals).astype(np.float32)).dot(counts_matrix).tocsr().astype(np.float32)
    late_lift = None
    if draw(st.booleans()):
        late_lift = np.array(draw(st.lists(TIED_WEIGHTS, min_size=n_items, max_size=n_items)))
    options = InferenceOptions(
        recency_half_life=draw(st.sampled_from([0.0, 1.5, 4.0])),
        repeat_share=draw(st.sampled_from([None, 0.0, 0.3, 1.0])),
        transition_weight=draw(st.sampled_from([0.0, 0.7])),
        popularity_penalty=draw(st.sampled_from([0.0, 0.2])),
        late_lift_weight=draw(st.sampled_from([0.0, 0.4])),
    )
    cls = draw(st.sampled_from(MODEL_CLASSES))
    temperature = draw(st.sampled_from([1.0, 0.5]))
    created = np.zeros(n_items, dtype=np.float64)
    return cls(item_ids, core, temperature, options, counts, created, 0.0, None, {}, transitions, None, late_lift)


@st.composite
def histories(draw: st.DrawFn, item_ids: Sequence[str]) -> list[list[str]]:
    """Histories of catalogue ids (repeats allowed) and unknown ids; some empty, some of unknown ids only."""
    ids = st.sampled_from([*item_ids, *UNKNOWN_IDS])
    return draw(st.lists(st.lists(ids, max_size=9), max_size=7))


@contextmanager
def _blocks_of(model: UserPersonalizationModel, users: int) -> Iterator[None]:
    """The batch methods of ``model`` score ``users`` users per block meanwhile."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(up, "USER_BLOCK_BYTES", users * 8 * len(model.item_ids))
        yield


@fuzz_settings(max_examples=120)
@given(model=models(), data=st.data(), block=st.sampled_from([1, 2, 3, 1000]))
def test_batched_lists_equal_the_per_user_lists(
    model: UserPersonalizationModel, data: st.DataObject, block: int
) -> None:
    """recommend_many / rank_unseen_many are recommend's ids / rank_unseen per history, ties and cold items included,
    and rank_unseen is rank's first k over the unseen catalogue."""
    users = data.draw(histories(model.item_ids.tolist()))
    k = data.draw(st.integers(0, len(model.item_ids) + 2))
    with _blocks_of(model, block):
        recommended = model.recommend_many(users, k)
        ranked = model.rank_unseen_many(users, k)
    assert recommended == [[item for item, _ in model.recommend(history, k)] for history in users]
    assert ranked == [model.rank_unseen(history, k) for history in users]
    assert ranked == [TrainedModel.rank_unseen(model, history, k) for history in users]


def _reference_logits(model: UserPersonalizationModel, history: Sequence[str], repeat_mixture: bool) -> np.ndarray:
    """One user's log-probabilities as the per-user path computed them before the batch methods (no context)."""
    codes = ItemLookup(model.item_ids).codes(history)
    options = model.options
    prior = np.log(model.train_counts.astype(np.float64) + 1.0)
    if len(codes) == 0:
        return log_probabilities(prior, codes, None)
    positions, weights = collapse(codes, history_weights(len(codes), options.recency_half_life))
    raw = model.sequence.apply(
        fix_cold(model.core.score_one(positions, weights), model.cold).astype(np.float64),
        codes,
        options.transition_weight,
        options.late_lift_weight,
    )
    z = raw / model.temperature
    if options.popularity_penalty > 0:
        discount = options.popularity_penalty * np.log1p(model.train_counts.astype(np.float64))
        discount[model.train_counts == 0] = discount.max()
        z = z - discount
    return log_probabilities(z, positions, options.repeat_share if repeat_mixture else None)


@fuzz_settings(max_examples=80)
@given(model=models(), data=st.data(), repeat_mixture=st.booleans())
def test_logits_many_rows_are_the_per_user_logits(
    model: UserPersonalizationModel, data: st.DataObject, repeat_mixture: bool
) -> None:
    """Each row of logits_many is logits of that history alone, float for float, and both are the per-user formula."""
    users = data.draw(histories(model.item_ids.tolist()))
    lookup = ItemLookup(model.item_ids)
    rows = model.logits_many([lookup.codes(history) for history in users], repeat_mixture)
    assert rows.shape == (len(users), len(model.item_ids))
    for history, row in zip(users, rows, strict=True):
        alone, positions = model.logits(history, repeat_mixture=repeat_mixture)
        np.testing.assert_array_equal(row, alone)
        np.testing.assert_array_equal(alone, _reference_logits(model, history, repeat_mixture))
        np.testing.assert_array_equal(positions, np.unique(lookup.codes(history)))


def test_ties_break_by_catalogue_position_in_a_block() -> None:
    """A model scoring every trained item alike: each list is the catalogue order, untrained items last for ranking,
    seen items left out of the ranking and the empty history's list is the popularity prior's (ties by position)."""
    n_items = 6
    item_ids = np.array([f"i{k}" for k in range(n_items)], dtype=object)
    counts = np.array([1, 1, 0, 1, 1, 0])
    core = EaseCore(np.flatnonzero(counts), np.zeros((4, 4), dtype=np.float32), n_items)
    model = PersonalizedRankingModel(item_ids, core, 1.0, InferenceOptions(), counts, np.zeros(n_items), 0.0, None, {})
    users = [["i3"], [], ["unknown-a"], ["i1", "i1", "i5"]]
    # with a history every item scores 0 (untrained ones get the trained items' minimum: a tie, by position)
    trained_first, by_position = ["i0", "i1", "i3", "i4"], ["i0", "i1", "i2", "i3"]
    assert model.recommend_many(users, 4) == [by_position, trained_first, trained_first, by_position]
    assert model.recommend_many(users, 4) == [[item for item, _ in model.recommend(h, 4)] for h in users]
    assert model.rank_unseen_many(users, 5) == [
        ["i0", "i1", "i4", "i2", "i5"],
        ["i0", "i1", "i3", "i4", "i2"],
        ["i0", "i1", "i3", "i4", "i2"],
        ["i0", "i3", "i4", "i2"],
    ]
    assert model.rank_unseen_many(users, 5) == [model.rank_unseen(history, 5) for history in users]


def test_the_default_batch_methods_ask_one_history_at_a_time() -> None:
    """TrainedModel's defaults are the per-history methods' lists (popularity-count also overrides recommend_many)."""
    data = planted_interactions(n_users=40, n_items=30, per_user=6, n_new_items=2, seed=1)
    recipe = get_recipe("aws-popularity-count")
    model = recipe().train(TrainingData(data.interactions, data.items), {})
    users = [["0", "1"], [], ["unknown-a"]]
    expected = [[item for item, _ in model.recommend(history, 7)] for history in users]
    assert model.recommend_many(users, 7) == expected
    assert TrainedModel.recommend_many(model, users, 7) == expected
    assert model.recommend_many(users, 0) == [[], [], []]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, TrainedModel], EvaluationSplit, int]:
    """User-Personalization (and the same model served as ranking), popularity-count and SIMS trained on the training
    users of a small planted data set, with the test users and the catalogue size."""
    data = planted_interactions(n_users=300, n_items=120, per_user=15, seed=3)
    split = split_users(data.interactions, seed=0)
    training = TrainingData(split.train, data.items)
    by_recipe: dict[str, TrainedModel] = {}
    for name in ("aws-user-personalization", "aws-popularity-count", "aws-sims"):
        recipe = get_recipe(name)
        by_recipe[name] = recipe().train(training, resolve_hyperparameters(recipe, None), seed=0)
    directory = tmp_path_factory.mktemp("up-model")
    by_recipe["aws-user-personalization"].save(directory)
    by_recipe["aws-personalized-ranking"] = PersonalizedRankingModel.load(directory)
    return by_recipe, split, catalog_size(TrainingData(data.interactions, data.items))


@pytest.mark.parametrize(
    "name", ["aws-user-personalization", "aws-personalized-ranking", "aws-popularity-count", "aws-sims"]
)
def test_evaluate_model_equals_the_per_user_loop(trained, name: str) -> None:
    """The offline metrics from the batch methods are those of one recommendations_for call per test user."""
    models, split, n_catalog = trained
    assert_batched_evaluation_is_per_user(models[name], split, n_catalog)


def test_blocks_do_not_change_a_trained_models_lists(trained) -> None:
    """Blocks of 7 users give the lists of one block of every user (and of the per-user methods)."""
    models, split, _ = trained
    model = models["aws-user-personalization"]
    assert isinstance(model, UserPersonalizationModel)
    users = [user.history for user in split.test_users] + [[], ["unknown-a"]]
    whole = model.recommend_many(users, 25), model.rank_unseen_many(users, 25)
    with _blocks_of(model, 7):
        assert (model.recommend_many(users, 25), model.rank_unseen_many(users, 25)) == whole
    assert whole[0] == [[item for item, _ in model.recommend(history, 25)] for history in users]


def test_save_load_keeps_the_batched_lists(trained, tmp_path: Path) -> None:
    models, split, _ = trained
    model = models["aws-user-personalization"]
    model.save(tmp_path / "m")
    loaded = UserPersonalizationV2Model.load(tmp_path / "m")
    users = [user.history for user in split.test_users]
    assert loaded.recommend_many(users, 25) == model.recommend_many(users, 25)
