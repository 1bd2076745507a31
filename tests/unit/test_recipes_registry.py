"""Recipe lookup and hyperparameter validation."""

from __future__ import annotations

import pytest

from personalize_local.recipes.base import InvalidHyperParameterError
from personalize_local.recipes.registry import all_recipes, get_recipe, recipe_arn, resolve_hyperparameters


def test_recipes_by_name_and_arn() -> None:
    names = [cls.name for cls in all_recipes()]
    assert names == [
        "aws-item-affinity",
        "aws-item-attribute-affinity",
        "aws-next-best-action",
        "aws-personalized-ranking",
        "aws-personalized-ranking-v2",
        "aws-popularity-count",
        "aws-semantic-similarity",
        "aws-similar-items",
        "aws-sims",
        "aws-trending-now",
        "aws-user-personalization",
        "aws-user-personalization-v2",
    ]
    for cls in all_recipes():
        assert get_recipe(cls.name) is cls
        assert get_recipe(recipe_arn(cls)) is cls
    assert get_recipe("arn:aws:personalize:::recipe/aws-sims").recipe_type == "RELATED_ITEMS"


@pytest.mark.parametrize("name", ["aws-hrnn", "arn:aws:personalize:::recipe/nope", "", "AWS-SIMS"])
def test_unknown_recipe_is_a_key_error(name: str) -> None:
    with pytest.raises(KeyError):
        get_recipe(name)


def test_defaults_are_filled_in() -> None:
    assert resolve_hyperparameters(get_recipe("aws-sims"), None) == {
        "popularity_discount_factor": "0.5",
        "min_cointeraction_count": "3",
        "min_user_history_length_percentile": "0.005",
        "max_user_history_length_percentile": "0.995",
        "min_item_interaction_count_percentile": "0.01",
        "max_item_interaction_count_percentile": "0.9",
    }
    assert resolve_hyperparameters(get_recipe("aws-popularity-count"), {}) == {}


def test_both_maps_and_aliases_are_merged() -> None:
    resolved = resolve_hyperparameters(
        get_recipe("aws-user-personalization"),
        {
            "algorithmHyperParameters": {"hidden_dimension": "64", "recency_mask": "false"},
            "featureTransformationParameters": {"max_hist_length_percentile": "0.9"},
        },
    )
    assert resolved["hidden_dimension"] == "64"
    assert resolved["recency_mask"] == "false"
    assert resolved["max_user_history_length_percentile"] == "0.9"
    assert resolved["bptt"] == "32"


@pytest.mark.parametrize(
    ("recipe", "params", "fragment"),
    [
        ("aws-user-personalization", {"hidden_dimension": "20"}, "hidden_dimension: must be an integer in [32, 256]"),
        ("aws-user-personalization", {"hidden_dimension": "64.5"}, "hidden_dimension"),
        ("aws-user-personalization", {"bptt": "abc"}, "bptt: must be an integer in [2, 32]"),
        ("aws-user-personalization", {"recency_mask": "yes"}, "recency_mask: must be a boolean"),
        ("aws-sims", {"popularity_discount_factor": "1.5"}, "popularity_discount_factor: must be a number in [0.0"),
        ("aws-sims", {"min_cointeraction_count": "11"}, "min_cointeraction_count: must be an integer in [0, 10]"),
        ("aws-sims", {"popularity_discount_factor": "nan"}, "popularity_discount_factor"),
        ("aws-sims", {"hidden_dimension": "64"}, "Unknown hyperparameter 'hidden_dimension'"),
        ("aws-popularity-count", {"x": "1"}, "Unknown hyperparameter 'x'"),
    ],
)
def test_bad_values_name_the_parameter_and_range(recipe: str, params: dict[str, str], fragment: str) -> None:
    with pytest.raises(InvalidHyperParameterError) as caught:
        resolve_hyperparameters(get_recipe(recipe), {"algorithmHyperParameters": params})
    assert fragment in str(caught.value)


def test_conflicting_values_in_the_two_maps_are_rejected() -> None:
    with pytest.raises(InvalidHyperParameterError, match="given twice"):
        resolve_hyperparameters(
            get_recipe("aws-sims"),
            {
                "algorithmHyperParameters": {"min_user_history_length_percentile": "0.1"},
                "featureTransformationParameters": {"min_hist_length_percentile": "0.2"},
            },
        )
