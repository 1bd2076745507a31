"""The recipes Personalize Local serves, by name or ARN (``arn:aws:personalize:::recipe/<name>``)."""

from __future__ import annotations

from personalize_local.recipes.base import Recipe
from personalize_local.recipes.hyperparameters import resolve_hyperparameters
from personalize_local.recipes.item_affinity import ItemAffinityRecipe
from personalize_local.recipes.item_attribute_affinity import ItemAttributeAffinityRecipe
from personalize_local.recipes.next_best_action import NextBestActionRecipe
from personalize_local.recipes.popularity import PopularityCountRecipe
from personalize_local.recipes.semantic_similarity import SemanticSimilarityRecipe
from personalize_local.recipes.similar_items import SimilarItemsRecipe
from personalize_local.recipes.sims import SimsRecipe
from personalize_local.recipes.trending_now import TrendingNowRecipe
from personalize_local.recipes.user_personalization import PersonalizedRankingRecipe, UserPersonalizationRecipe
from personalize_local.recipes.user_personalization_v2 import PersonalizedRankingV2Recipe, UserPersonalizationV2Recipe

RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"

_RECIPES: dict[str, type[Recipe]] = {
    cls.name: cls
    for cls in (
        UserPersonalizationRecipe,
        UserPersonalizationV2Recipe,
        PersonalizedRankingRecipe,
        PersonalizedRankingV2Recipe,
        SimsRecipe,
        SimilarItemsRecipe,
        SemanticSimilarityRecipe,
        PopularityCountRecipe,
        TrendingNowRecipe,
        NextBestActionRecipe,
        ItemAffinityRecipe,
        ItemAttributeAffinityRecipe,
    )
}


def recipe_arn(recipe_cls: type[Recipe]) -> str:
    """``arn:aws:personalize:::recipe/<name>`` of ``recipe_cls``."""
    return RECIPE_ARN_PREFIX + recipe_cls.name


def get_recipe(recipe_arn_or_name: str) -> type[Recipe]:
    """The recipe class for a recipe ARN or bare name; KeyError naming the recipe when there is none."""
    name = recipe_arn_or_name
    if name.startswith(RECIPE_ARN_PREFIX):
        name = name[len(RECIPE_ARN_PREFIX) :]
    try:
        return _RECIPES[name]
    except KeyError:
        raise KeyError(f"Unknown recipe {recipe_arn_or_name!r}; available: {', '.join(sorted(_RECIPES))}") from None


def all_recipes() -> list[type[Recipe]]:
    """Every recipe class, sorted by name."""
    return [_RECIPES[name] for name in sorted(_RECIPES)]


__all__ = ["RECIPE_ARN_PREFIX", "all_recipes", "get_recipe", "recipe_arn", "resolve_hyperparameters"]
