"""aws-user-personalization-v2 / aws-personalized-ranking-v2, ranking by taste and request context."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personalize_local.evaluation import evaluate_solution
from personalize_local.recipes.base import InvalidHyperParameterError, TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.recipes.sequence import next_item_scores, transition_matrix
from personalize_local.recipes.user_personalization_v2 import TooManyItemsError, check_item_limit
from testing.planted_data import TV_GENRES, planted_interactions

UP = get_recipe("aws-user-personalization")
UP2 = get_recipe("aws-user-personalization-v2")
PR2 = get_recipe("aws-personalized-ranking-v2")
NDCG = "normalized_discounted_cumulative_gain_at_10"


@pytest.fixture(scope="module")
def planted():
    return planted_interactions(n_users=400, n_items=300, per_user=20, n_new_items=10, seed=5)


@pytest.fixture(scope="module")
def data(planted) -> TrainingData:
    return TrainingData(planted.interactions, planted.items)


def test_v2_has_only_apply_recency_bias() -> None:
    assert resolve_hyperparameters(UP2, None) == {"apply_recency_bias": "true"}
    assert UP2().typed_parameters({"apply_recency_bias": "false"})["recency_mask"] is False
    with pytest.raises(InvalidHyperParameterError, match="Unknown hyperparameter 'hidden_dimension'"):
        resolve_hyperparameters(UP2, {"algorithmHyperParameters": {"hidden_dimension": "64"}})


def test_v2_is_at_least_as_good_as_v1_on_sequential_data(data) -> None:
    """Series items are watched one right after the other: the transition component can only help."""
    v1 = evaluate_solution(UP, data, resolve_hyperparameters(UP, None), seed=4)
    v2 = evaluate_solution(UP2, data, resolve_hyperparameters(UP2, None), seed=4)
    assert v2[NDCG] >= v1[NDCG] > 0.1


def test_v2_learns_a_transition_weight_from_series(data) -> None:
    model = UP2().train(data, resolve_hyperparameters(UP2, None), seed=0)
    assert float(model.hyperparameters["local_transition_weight"]) > 0
    assert model.transitions is not None and model.transitions.nnz > 0


def test_transitions_point_to_the_next_series_item(planted) -> None:
    item_ids = np.array(sorted(planted.item_genre, key=str), dtype=object)
    matrix = transition_matrix(planted.interactions, item_ids)
    position = {item: p for p, item in enumerate(item_ids.tolist())}
    scores = next_item_scores(matrix, np.array([position["10"]]))
    assert item_ids[int(np.argmax(scores))] == "11"  # 10 and 11 are one series, always watched in that order
    assert np.allclose(np.asarray(matrix.sum(axis=1)).ravel()[np.asarray(matrix.sum(axis=1)).ravel() > 0], 1.0)


def test_item_limit_is_enforced() -> None:
    frame = pd.DataFrame({"USER_ID": ["u"] * 3, "ITEM_ID": ["a", "b", "c"], "TIMESTAMP": [1, 2, 3]})
    check_item_limit(TrainingData(frame), 3)
    with pytest.raises(TooManyItemsError, match="at most 2"):
        check_item_limit(TrainingData(frame), 2)


@pytest.mark.parametrize(("recipe", "untrained_score"), [("aws-personalized-ranking", 0.0), (PR2.name, None)])
def test_ranking_follows_taste_even_for_items_the_user_has(planted, data, recipe: str, untrained_score) -> None:
    """The user's genre first, as recommend does, whether or not the user already has those items."""
    cls = get_recipe(recipe)
    model = cls().train(data, resolve_hyperparameters(cls, None), seed=2)
    histories = planted.interactions.sort_values("TIMESTAMP").groupby("USER_ID")["ITEM_ID"].apply(list)
    rng = np.random.default_rng(0)
    in_top10, recommended = [], []
    for user in histories.index[:40]:
        genre = planted.user_genre[user]
        old = [i for i, g in planted.item_genre.items() if i not in planted.new_items]
        mine = [i for i in old if planted.item_genre[i] == genre]
        other = [i for i in old if planted.item_genre[i] != genre]
        input_list = [
            str(i)
            for i in rng.permutation(
                rng.choice(mine, 10, replace=False).tolist() + rng.choice(other, 10, replace=False).tolist()
            )
        ]
        ranked = model.rank(histories[user], [*input_list, planted.new_items[0], "never-seen"])
        in_top10.append(sum(planted.item_genre[i] == genre for i, _ in ranked[:10]))
        recommended.append(sum(planted.item_genre[i] == genre for i, _ in model.recommend(histories[user], 10)))
        assert ranked[-2:] == [(planted.new_items[0], untrained_score), ("never-seen", untrained_score)]
    assert np.mean(in_top10) >= 8 and np.mean(recommended) >= 8


@pytest.mark.parametrize(
    "recipe", ["aws-user-personalization", "aws-user-personalization-v2", "aws-personalized-ranking"]
)
def test_context_changes_results_where_the_data_supports_it(recipe: str) -> None:
    planted = planted_interactions(n_users=300, n_items=200, per_user=20, seed=8, device_context=True)
    cls = get_recipe(recipe)
    model = cls().train(TrainingData(planted.interactions, planted.items), resolve_hyperparameters(cls, None), seed=0)
    # a user with both a "tv" genre (0) and a "mobile" genre (3)
    history = [i for i, g in planted.item_genre.items() if g == 3][:3] + [
        i for i, g in planted.item_genre.items() if g == 0
    ][:3]

    def tv_share(context) -> float:
        if cls.recipe_type == "PERSONALIZED_RANKING":
            items = [i for i, _ in model.rank(history, model.item_ids.tolist(), context)[:20]]
        else:
            items = [i for i, _ in model.recommend(history, 20, context=context)]
        return float(np.mean([planted.item_genre[i] in TV_GENRES for i in items]))

    assert tv_share({"DEVICE": "tv"}) > tv_share(None) > tv_share({"DEVICE": "mobile"})
    assert tv_share({"DEVICE": "fridge"}) == tv_share(None) == tv_share({"OTHER": "tv"})
    if cls.recipe_type == "USER_PERSONALIZATION":
        assert model.recommend([], 5, context={"DEVICE": "tv"}) != model.recommend([], 5)
