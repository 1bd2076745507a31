"""ListRecipes / DescribeRecipe / DescribeAlgorithm report every recipe from the recipes' metadata table."""

from __future__ import annotations

from personalize_local.recipes.catalog import recipe_table
from personalize_local.recipes.use_cases import USE_CASES
from tests.contract.conftest import Wire


def test_every_recipe_is_listed_and_described_from_the_table(wire: Wire) -> None:
    listed = wire.personalize.list_recipes(recipeProvider="SERVICE", maxResults=100)["recipes"]
    # Without a domain, ListRecipes returns every recipe: the custom ones and the domain use cases
    # (https://docs.aws.amazon.com/personalize/latest/dg/API_ListRecipes.html).
    expected = [row.name for row in recipe_table()] + [case.name for case in USE_CASES]
    assert sorted(r["name"] for r in listed) == sorted(expected)
    for row in recipe_table():
        described = wire.personalize.describe_recipe(recipeArn=row.recipe_arn)["recipe"]
        assert {k: described[k] for k in row.wire()} == row.wire()
        assert ("featureTransformationArn" in described) is (row.feature_transformation_arn is not None)
        algorithm = wire.personalize.describe_algorithm(algorithmArn=row.algorithm_arn)["algorithm"]
        assert algorithm["algorithmArn"] == row.algorithm_arn


def test_trending_frequency_is_a_categorical_range(wire: Wire) -> None:
    algorithm = wire.personalize.describe_algorithm(
        algorithmArn="arn:aws:personalize:::algorithm/aws-trending-now-custom"
    )["algorithm"]
    assert algorithm["defaultHyperParameters"] == {"trend_discovery_frequency": "2 hours"}
    (frequency,) = algorithm["defaultHyperParameterRanges"]["categoricalHyperParameterRanges"]
    assert frequency["values"] == ["30 minutes", "1 hour", "2 hours", "3 hours", "1 day"]
