"""The recipe metadata table and the domain use-case table."""

from __future__ import annotations

import pytest

from personalize_local.recipes.catalog import metadata_of, recipe_for_algorithm, recipe_table
from personalize_local.recipes.registry import all_recipes, get_recipe
from personalize_local.recipes.use_cases import USE_CASES, use_case, use_cases_of


def test_table_lists_every_registered_recipe_once() -> None:
    assert [row.name for row in recipe_table()] == [cls.name for cls in all_recipes()]


@pytest.mark.parametrize(
    ("name", "transformation"),
    [
        ("aws-sims", "arn:aws:personalize:::feature-transformation/sims"),
        ("aws-popularity-count", "arn:aws:personalize:::feature-transformation/sims"),
        ("aws-personalized-ranking", "arn:aws:personalize:::feature-transformation/JSON-percentile-filtering"),
        ("aws-semantic-similarity", "arn:aws:personalize:::feature-transformation/aws-semantic-similarity"),
        ("aws-user-personalization-v2", None),
    ],
)
def test_feature_transformations_are_the_documented_ones(name: str, transformation: str | None) -> None:
    row = metadata_of(name)
    assert row.feature_transformation_arn == transformation
    assert ("featureTransformationArn" in row.wire()) is (transformation is not None)


def test_wire_body_and_algorithm_lookup() -> None:
    body = metadata_of("arn:aws:personalize:::recipe/aws-trending-now").wire()
    assert body["algorithmArn"] == "arn:aws:personalize:::algorithm/aws-trending-now-custom"
    assert body["recipeType"] == "USER_PERSONALIZATION" and body["name"] == "aws-trending-now"
    assert recipe_for_algorithm(body["algorithmArn"]) is get_recipe("aws-trending-now")
    assert recipe_for_algorithm("arn:aws:personalize:::algorithm/aws-sims") is get_recipe("aws-sims")
    with pytest.raises(KeyError):
        recipe_for_algorithm("arn:aws:personalize:::algorithm/aws-trending-now")


def test_use_cases_are_the_documented_ones() -> None:
    assert [c.name for c in use_cases_of("VIDEO_ON_DEMAND")] == [
        "aws-vod-because-you-watched-x",
        "aws-vod-more-like-x",
        "aws-vod-most-popular",
        "aws-vod-trending-now",
        "aws-vod-top-picks",
    ]
    assert {c.name for c in use_cases_of("ECOMMERCE")} == {
        "aws-ecomm-customers-who-viewed-x-also-viewed",
        "aws-ecomm-frequently-bought-together",
        "aws-ecomm-popular-items-by-purchases",
        "aws-ecomm-popular-items-by-views",
        "aws-ecomm-recommended-for-you",
    }


@pytest.mark.parametrize("case", USE_CASES, ids=lambda c: c.name)
def test_each_use_case_is_served_by_a_recipe_of_its_type(case) -> None:
    recipe = get_recipe(case.recipe)
    assert recipe.recipe_type == case.recipe_type
    assert (case.item_id == "required") is (case.recipe_type == "RELATED_ITEMS")
    assert set(case.required_datasets) <= set(case.datasets) and "Interactions" in case.required_datasets
    assert use_case(case.recipe_arn) is case


def test_documented_event_types() -> None:
    assert use_case("aws-ecomm-frequently-bought-together").event_type == "Purchase"
    assert use_case("aws-ecomm-popular-items-by-views").event_type == "View"
    assert use_case("aws-vod-most-popular").event_type == "Watch"
    assert use_case("aws-vod-top-picks").event_type is None  # "1000 events" of any type
    assert use_case("aws-vod-more-like-x").required_datasets == ("Interactions", "Items")
    with pytest.raises(KeyError, match="aws-vod-nope"):
        use_case("aws-vod-nope")
