"""On the demo sample, the offline metrics computed in blocks of users are those of one list per test user.

The unit tier checks the batch methods on small random models (tests/unit/test_recipes_batched_evaluation.py); this
trains User-Personalization on the demo sample's evaluation split (seconds: EASE with every inference option on) and
compares every test user's list and the metrics with the per-user loop ``evaluate_model`` ran before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.datasets import demo_data
from personalize_local.evaluation import catalog_size
from personalize_local.metrics import EvaluationSplit, split_users
from personalize_local.recipes.base import TrainedModel, TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.recipes.user_personalization import PersonalizedRankingModel
from testing.evaluation_checks import assert_batched_evaluation_is_per_user

pytestmark = pytest.mark.slow  # the demo sample's generation and training: over 3 s on 2 cores


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, TrainedModel], EvaluationSplit, int]:
    """The demo sample's User-Personalization model (and the same model served as ranking), its test users and the
    catalogue size, as ``evaluate_recipe`` makes them."""
    data = demo_data("demo")
    split = split_users(data.interactions, seed=0)
    recipe = get_recipe("aws-user-personalization")
    model = recipe().train(TrainingData(split.train, data.items), resolve_hyperparameters(recipe, None), seed=0)
    directory: Path = tmp_path_factory.mktemp("demo-up")
    model.save(directory)
    models = {"aws-user-personalization": model, "aws-personalized-ranking": PersonalizedRankingModel.load(directory)}
    return models, split, catalog_size(data)


@pytest.mark.parametrize("name", ["aws-user-personalization", "aws-personalized-ranking"])
def test_demo_metrics_equal_the_per_user_loop(demo, name: str) -> None:
    models, split, n_catalog = demo
    assert_batched_evaluation_is_per_user(models[name], split, n_catalog)


def test_demo_model_uses_every_inference_option(demo) -> None:
    """The comparison covers each step of the logits: the demo model turns every option on."""
    chosen = demo[0]["aws-user-personalization"].hyperparameters
    assert chosen["local_repeat_share"] != "off"
    assert float(chosen["local_recency_half_life"]) > 0
    for lever in ("local_transition_weight", "local_late_lift_weight", "local_popularity_penalty"):
        assert float(chosen[lever]) > 0, lever
