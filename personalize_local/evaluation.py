"""A recipe evaluated the way Amazon Personalize computes ``GetSolutionMetrics``: train on the training users of
:func:`~personalize_local.metrics.split_users`, ask the model for each test user's list, and score the lists with
:mod:`personalize_local.metrics` (the protocol is described there)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from personalize_local.memory import release_freed_memory
from personalize_local.metrics import TOP_K, EvaluationSplit, Holdout, TestUser, aggregate, split_users
from personalize_local.recipes.base import Recipe, TrainedModel, TrainingData

#: How an evaluation trains its model on the training users' data (e.g. through the training cache).
TrainOn = Callable[[TrainingData], TrainedModel]


@dataclass(frozen=True)
class Evaluation:
    """A solution version's offline metrics and the model they were computed with (trained on the evaluation's
    training users; None when the recipe type reports no metrics). The served model may start from it
    (:meth:`~personalize_local.recipes.base.Recipe.train_served`)."""

    metrics: dict[str, float]
    model: TrainedModel | None


def recommendations_for(model: TrainedModel, user: TestUser, k: int = TOP_K) -> list[str]:
    """The top-``k`` list the protocol asks ``model`` for, by recipe type (see the module doc)."""
    if model.recipe_type == "RELATED_ITEMS":
        return [item for item, _ in model.related(user.history[-1], k)] if user.history else []
    if model.recipe_type == "PERSONALIZED_RANKING":
        # The catalogue minus what the user already has: ``rank`` orders by taste and keeps seen items where taste
        # puts them, so ranking them too would fill the top with the history instead of measuring the held-out items.
        return model.rank_unseen(user.history, k)
    return [item for item, _ in model.recommend(user.history, k)]


def recommendation_lists(model: TrainedModel, users: Sequence[TestUser], k: int = TOP_K) -> list[list[str]]:
    """:func:`recommendations_for` of every user, in order, asked of the model for all users at once
    (:meth:`~personalize_local.recipes.base.TrainedModel.recommend_many`, ``rank_unseen_many``): a model may compute
    them in blocks of users; the lists are the per-user ones. RELATED_ITEMS asks one item at a time."""
    if model.recipe_type == "RELATED_ITEMS":
        return [recommendations_for(model, user, k) for user in users]
    histories = [user.history for user in users]
    if model.recipe_type == "PERSONALIZED_RANKING":
        return model.rank_unseen_many(histories, k)
    return model.recommend_many(histories, k)


def catalog_size(data: TrainingData) -> int:
    """Distinct items in Interactions ∪ Items (coverage's denominator)."""
    items = set(map(str, pd.unique(data.interactions["ITEM_ID"].dropna())))
    if data.items is not None and "ITEM_ID" in data.items.columns:
        items.update(map(str, pd.unique(data.items["ITEM_ID"].dropna())))
    return len(items)


def evaluate_model(model: TrainedModel, split: EvaluationSplit, n_catalog_items: int) -> dict[str, float]:
    """Metrics of an already trained ``model`` on ``split``'s test users."""
    lists = recommendation_lists(model, split.test_users)
    return aggregate(lists, [user.truth for user in split.test_users], n_catalog_items)


def evaluate_recipe(
    recipe: Recipe | type[Recipe],
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    seed: int = 0,
    holdout: Holdout = "newest_10_percent",
    train_on: TrainOn | None = None,
) -> Evaluation:
    """Personalize's ``GetSolutionMetrics`` map for ``recipe`` trained on 90% of the users of ``data``, and that model.

    ``hyperparameters`` are the resolved ones (:func:`~personalize_local.recipes.registry.resolve_hyperparameters`).
    The same ``seed`` gives the same split. ``train_on`` trains the model on the split's training data (default:
    ``recipe.train`` with these hyperparameters and seed).
    """
    instance = recipe() if isinstance(recipe, type) else recipe
    if instance.recipe_type == "USER_SEGMENTATION":
        # AWS evaluates USER_SEGMENTATION recipes on an 80/20 split of each user's interactions
        # (https://docs.aws.amazon.com/personalize/latest/dg/working-with-training-metrics.html) with metrics that
        # page does not list; Personalize Local reports no metrics for them rather than invent some.
        return Evaluation({}, None)
    split = split_users(data.interactions, seed=seed, holdout=holdout)
    training = TrainingData(split.train, data.items, data.users)
    # Only ``training`` holds the copied rows now: a slice of them (even an empty one) would keep all their Arrow
    # buffers alive, so the scoring split's empty frame is a slice of the caller's data instead.
    split = EvaluationSplit(data.interactions.iloc[:0], split.test_users)
    model = train_on(training) if train_on is not None else instance.train(training, hyperparameters, seed=seed)
    del training
    release_freed_memory()  # the training users' copy: the served model trains next, on the whole data
    return Evaluation(evaluate_model(model, split, catalog_size(data)), model)


def evaluate_solution(
    recipe: Recipe | type[Recipe],
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    seed: int = 0,
    holdout: Holdout = "newest_10_percent",
) -> dict[str, float]:
    """The metrics of :func:`evaluate_recipe` (its model is thrown away)."""
    return evaluate_recipe(recipe, data, hyperparameters, seed, holdout).metrics
