"""One contract every recipe in the registry passes (as ``implicit`` tests all its models with one mixin).

Train → the model answers its recipe type's question → Personalize's metrics → save/load gives identical
answers → a filter's allowed mask is respected → out-of-range hyperparameters are rejected. Tiny generated data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from personalize_local.evaluation import catalog_size, evaluate_model
from personalize_local.metrics import METRIC_KEYS, split_users
from personalize_local.recipes.base import (
    HyperParameter,
    InvalidHyperParameterError,
    Recipe,
    TrainedModel,
    TrainingData,
)
from personalize_local.recipes.catalog import metadata_of
from personalize_local.recipes.registry import all_recipes, resolve_hyperparameters
from testing.planted_data import planted_interactions

RECIPES = all_recipes()
#: GetPersonalizedRanking takes no mask: the service layer drops filtered items after ranking.
FILTERED = [r for r in RECIPES if r.recipe_type != "PERSONALIZED_RANKING"]
#: USER_SEGMENTATION recipes report no metrics (see ``evaluate_solution``); their segments are checked instead.
EVALUATED = [r for r in RECIPES if r.recipe_type != "USER_SEGMENTATION"]


@pytest.fixture(scope="module")
def data() -> TrainingData:
    planted = planted_interactions(n_users=150, n_items=60, n_genres=3, per_user=12, n_new_items=4, seed=11)
    return TrainingData(planted.interactions, planted.items)


@pytest.fixture(scope="module")
def split(data):
    return split_users(data.interactions, seed=1)


@pytest.fixture(scope="module")
def trained(data, split) -> dict[str, TrainedModel]:
    """Each recipe trained once on the training users (with its default hyperparameters)."""
    out = {}
    for recipe in RECIPES:
        train = TrainingData(split.train, data.items, data.users)
        out[recipe.name] = recipe().train(train, resolve_hyperparameters(recipe, None), seed=0)
    return out


def answers(model: TrainedModel, data: TrainingData, allowed: np.ndarray | None = None) -> list[list]:
    """What the recipe type is asked: lists for a few users / items, or rankings of a few input lists."""
    histories = [h.tolist() for _, h in data.interactions.groupby("USER_ID")["ITEM_ID"]][:5]
    items = model.item_ids[:5].tolist()
    if model.recipe_type == "USER_SEGMENTATION":
        users = np.ones(len(model.user_ids), dtype=bool) if allowed is None else np.resize(allowed, len(model.user_ids))
        return [model.segment([item], 10, users) for item in items] + [model.segment(items[:2], 10, users)]
    if model.recipe_type == "RELATED_ITEMS":
        return [model.related(item, 10, allowed) for item in items]
    if model.recipe_type == "PERSONALIZED_RANKING":
        return [model.rank(h, [*model.item_ids[::3].tolist(), "never-seen"]) for h in histories]
    return [model.recommend(h, 10, allowed) for h in histories] + [model.recommend([], 10, allowed)]


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_model_answers_its_recipe_types_question(recipe: type[Recipe], trained, data) -> None:
    model = trained[recipe.name]
    assert model.recipe_type == recipe.recipe_type
    known = set(model.item_ids.tolist())
    if recipe.recipe_type == "USER_SEGMENTATION":
        known = set(model.user_ids.tolist())
    for answer in answers(model, data):
        ids = [item for item, _ in answer]
        assert len(ids) == len(set(ids)) > 0
        if recipe.recipe_type == "PERSONALIZED_RANKING":
            assert ids[-1] == "never-seen" and set(ids[:-1]) <= known
        else:
            assert len(ids) == 10 and set(ids) <= known
    if recipe.recipe_type == "RELATED_ITEMS":
        assert all(item not in [i for i, _ in model.related(item, 10)] for item in model.item_ids[:5].tolist())


@pytest.mark.parametrize("recipe", EVALUATED, ids=lambda r: r.name)
def test_metrics_are_computed_for_every_recipe(recipe: type[Recipe], trained, data, split) -> None:
    metrics = evaluate_model(trained[recipe.name], split, catalog_size(data))
    assert list(metrics) == list(METRIC_KEYS)
    assert all(0.0 <= value <= 1.0 for value in metrics.values())
    assert metrics["coverage"] > 0


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_save_load_round_trip_gives_identical_answers(recipe: type[Recipe], trained, data, tmp_path: Path) -> None:
    model = trained[recipe.name]
    model.save(tmp_path)
    loaded = recipe.model_class().load(tmp_path)
    assert type(loaded) is type(model)
    assert answers(loaded, data) == answers(model, data)
    assert dict(loaded.hyperparameters) == dict(model.hyperparameters)


@pytest.mark.parametrize("recipe", FILTERED, ids=lambda r: r.name)
def test_filters_are_respected(recipe: type[Recipe], trained, data) -> None:
    model = trained[recipe.name]
    allowed = np.zeros(len(model.item_ids), dtype=bool)
    allowed[1::2] = True
    permitted = set(model.item_ids[allowed].tolist())
    if recipe.recipe_type == "USER_SEGMENTATION":
        permitted = set(model.user_ids[np.resize(allowed, len(model.user_ids))].tolist())
    for answer in answers(model, data, allowed):
        assert answer and {item for item, _ in answer} <= permitted


def invalid_values(spec: HyperParameter) -> list[str]:
    """Values Personalize rejects for ``spec``: out of range, wrong type, not one of the choices."""
    if spec.kind == "bool":
        return ["maybe", "1"]
    if spec.kind == "str":
        return ["not-a-documented-value"] if spec.choices else []
    out = ["abc"]
    if spec.maximum is not None:
        out.append(str(int(spec.maximum) + 1) if spec.kind == "int" else repr(spec.maximum + 0.5))
    if spec.minimum is not None:
        out.append(str(int(spec.minimum) - 1) if spec.kind == "int" else repr(spec.minimum - 0.5))
    return out


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_hyperparameter_validation_rejects_out_of_range_values(recipe: type[Recipe]) -> None:
    defaults = resolve_hyperparameters(recipe, None)
    assert defaults == {spec.name: spec.default for spec in recipe.hyperparameters}
    for spec in recipe.hyperparameters:
        for value in invalid_values(spec):
            with pytest.raises(InvalidHyperParameterError, match=spec.name):
                resolve_hyperparameters(recipe, {"algorithmHyperParameters": {spec.name: value}})
    with pytest.raises(InvalidHyperParameterError, match="Unknown hyperparameter"):
        resolve_hyperparameters(recipe, {"algorithmHyperParameters": {"no_such_parameter": "1"}})


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_every_recipe_has_a_metadata_row(recipe: type[Recipe]) -> None:
    row = metadata_of(recipe)
    assert row.recipe_arn == f"arn:aws:personalize:::recipe/{recipe.name}"
    assert (
        row.recipe_type
        == recipe.recipe_type
        in (
            "USER_PERSONALIZATION",
            "RELATED_ITEMS",
            "PERSONALIZED_RANKING",
            "PERSONALIZED_ACTIONS",
            "USER_SEGMENTATION",
        )
    )
    assert row.documentation.startswith("https://docs.aws.amazon.com/personalize/latest/dg/")


def test_segmentation_recipes_report_no_invented_metrics(data) -> None:
    from personalize_local.evaluation import evaluate_solution

    for recipe in RECIPES:
        if recipe.recipe_type == "USER_SEGMENTATION":
            assert evaluate_solution(recipe, data, resolve_hyperparameters(recipe, None)) == {}
