"""Checks shared by the tests of the offline evaluation (the unit tier's small models and the demo sample's)."""

from __future__ import annotations

from personalize_local.evaluation import evaluate_model, recommendation_lists, recommendations_for
from personalize_local.metrics import EvaluationSplit, aggregate
from personalize_local.recipes.base import TrainedModel


def assert_batched_evaluation_is_per_user(model: TrainedModel, split: EvaluationSplit, n_catalog: int) -> None:
    """The lists ``evaluate_model`` asks ``model`` for in blocks of users are the per-user ``recommendations_for``
    lists, and so are its metrics."""
    per_user = [recommendations_for(model, user) for user in split.test_users]
    assert recommendation_lists(model, split.test_users) == per_user
    truths = [user.truth for user in split.test_users]
    assert evaluate_model(model, split, n_catalog) == aggregate(per_user, truths, n_catalog)
