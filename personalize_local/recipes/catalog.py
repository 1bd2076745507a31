"""Every recipe as DescribeRecipe / ListRecipes report it: ARNs, recipe type, description, documentation page.

Sources: each recipe's "Properties and hyperparameters" section in the Amazon Personalize developer guide (the
``documentation`` URL of its row) and the Recipe data type
(https://docs.aws.amazon.com/personalize/latest/dg/API_Recipe.html: ``recipeType`` is one of PERSONALIZED_RANKING,
RELATED_ITEMS, USER_PERSONALIZATION; PERSONALIZED_ACTIONS for Next-Best-Action; USER_SEGMENTATION for the segmentation
recipes, https://docs.aws.amazon.com/personalize/latest/dg/user-segmentation-recipes.html). Where a page lists no
feature transformation ARN, the row has none (``featureTransformationArn`` is optional in the API). Trending-Now's
page gives no recipe type; it is served through GetRecommendations for a user like Popularity-Count (documented as
USER_PERSONALIZATION), so it is reported as USER_PERSONALIZATION. The v2 and Similar-Items pages list no recipe type
either; their types follow the recipe families they belong to in "Choosing a recipe".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from personalize_local.recipes.base import Recipe, RecipeType
from personalize_local.recipes.registry import all_recipes, get_recipe, recipe_arn

GUIDE = "https://docs.aws.amazon.com/personalize/latest/dg/"
ALGORITHM_ARN_PREFIX = "arn:aws:personalize:::algorithm/"
FEATURE_TRANSFORMATION_ARN_PREFIX = "arn:aws:personalize:::feature-transformation/"

#: name → (documentation page, algorithm name when it differs from the recipe's, feature transformation or None).
_AWS_PROPERTIES: dict[str, tuple[str, str | None, str | None]] = {
    "aws-user-personalization": ("native-recipe-new-item-USER_PERSONALIZATION.html", None, None),
    "aws-user-personalization-v2": ("native-recipe-user-personalization-v2.html", None, None),
    "aws-personalized-ranking": ("native-recipe-search.html", None, "JSON-percentile-filtering"),
    "aws-personalized-ranking-v2": ("native-recipe-personalized-ranking-v2.html", None, None),
    "aws-sims": ("native-recipe-sims.html", None, "sims"),
    "aws-similar-items": ("native-recipe-similar-items.html", None, None),
    "aws-semantic-similarity": ("native-recipe-semantic-similarity.html", None, "aws-semantic-similarity"),
    "aws-popularity-count": ("native-recipe-popularity.html", None, "sims"),
    "aws-trending-now": ("native-recipe-trending-now.html", "aws-trending-now-custom", None),
    "aws-next-best-action": ("native-recipe-next-best-action.html", None, None),
    "aws-item-affinity": ("item-affinity-recipe.html", None, None),
    "aws-item-attribute-affinity": ("item-attribute-affinity-recipe.html", None, None),
}


@dataclass(frozen=True)
class RecipeMetadata:
    """One recipe's identity as AWS reports it."""

    name: str
    recipe_arn: str
    algorithm_arn: str
    feature_transformation_arn: str | None
    recipe_type: RecipeType
    description: str
    documentation: str

    def wire(self) -> dict[str, Any]:
        """The fields of the API's Recipe object this table owns (status and dates are the service's)."""
        body: dict[str, Any] = {
            "name": self.name,
            "recipeArn": self.recipe_arn,
            "algorithmArn": self.algorithm_arn,
            "description": self.description,
            "recipeType": self.recipe_type,
        }
        if self.feature_transformation_arn:
            body["featureTransformationArn"] = self.feature_transformation_arn
        return body


def metadata_of(recipe: type[Recipe] | str) -> RecipeMetadata:
    """The :class:`RecipeMetadata` of a recipe class, name or ARN (KeyError for an unknown one)."""
    cls = get_recipe(recipe) if isinstance(recipe, str) else recipe
    page, algorithm, transformation = _AWS_PROPERTIES[cls.name]
    return RecipeMetadata(
        name=cls.name,
        recipe_arn=recipe_arn(cls),
        algorithm_arn=ALGORITHM_ARN_PREFIX + (algorithm or cls.name),
        feature_transformation_arn=FEATURE_TRANSFORMATION_ARN_PREFIX + transformation if transformation else None,
        recipe_type=cls.recipe_type,
        description=cls.description,
        documentation=GUIDE + page,
    )


def recipe_table() -> list[RecipeMetadata]:
    """Every recipe the engine serves, sorted by name."""
    return [metadata_of(cls) for cls in all_recipes()]


def recipe_for_algorithm(algorithm_arn: str) -> type[Recipe]:
    """The recipe whose algorithm ARN is ``algorithm_arn`` (KeyError when none)."""
    for row in recipe_table():
        if row.algorithm_arn == algorithm_arn:
            return get_recipe(row.name)
    raise KeyError(f"Unknown algorithm {algorithm_arn!r}")
