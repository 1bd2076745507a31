"""Domain dataset group use cases (recommenders) and the engine recipe that serves each one.

Sources: https://docs.aws.amazon.com/personalize/latest/dg/VIDEO_ON_DEMAND-use-cases.html and
https://docs.aws.amazon.com/personalize/latest/dg/ECOMMERCE-use-cases.html (recipe ARN, GetRecommendations
requirements, datasets used when training, required / recommended event types, the automatic "already watched /
purchased" filter). Every use case needs at least 1000 interactions and 25 users with two or more interactions.

``event_type`` is the event type the recipe trains on, where AWS names a *required* event type (e.g. "At minimum,
1000 ``Watch`` events"); None means every event type ("1000 events of any type"). AWS does not say which algorithm
backs a use case; ``recipe`` is this engine's choice. Pure domain: nothing here knows about the service layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from personalize_local.recipes.base import RecipeType

Domain = Literal["VIDEO_ON_DEMAND", "ECOMMERCE"]
#: "required", "not used", or "filter only" (needed only when a filter uses CurrentUser / the user's interactions).
Requirement = Literal["required", "not used", "filter only"]
USE_CASE_ARN_PREFIX = "arn:aws:personalize:::recipe/"
MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO_INTERACTIONS = 25


@dataclass(frozen=True)
class UseCase:
    """One domain use case as AWS documents it, plus the engine recipe serving it."""

    name: str  # e.g. "aws-vod-top-picks"
    domain: Domain
    title: str  # the console name, e.g. "Top picks for you"
    recipe: str  # engine recipe name, e.g. "aws-user-personalization-v2"
    recipe_type: RecipeType  # what the use case serves (GetRecommendations by user or by item)
    user_id: Requirement
    item_id: Requirement
    datasets: tuple[str, ...]  # "Interactions" always; "Items" / "Users" as documented (optional ones included)
    required_datasets: tuple[str, ...]
    event_type: str | None  # trained on only this event type; None = all event types
    recommended_event_types: tuple[str, ...] = ()
    excluded_event_type: str | None = None  # items the user has events of this type for are filtered out
    exploration: bool = False  # itemExplorationConfig accepted in recommenderConfig

    @property
    def recipe_arn(self) -> str:
        """``arn:aws:personalize:::recipe/<name>`` (what CreateRecommender takes)."""
        return USE_CASE_ARN_PREFIX + self.name


_INTERACTIONS = ("Interactions",)
_ALL = ("Interactions", "Items", "Users")

USE_CASES: tuple[UseCase, ...] = (
    # VIDEO_ON_DEMAND
    UseCase(
        "aws-vod-because-you-watched-x", "VIDEO_ON_DEMAND", "Because you watched X", "aws-sims", "RELATED_ITEMS",
        "required", "required", _INTERACTIONS, _INTERACTIONS, "Watch", excluded_event_type="Watch",
    ),
    UseCase(
        "aws-vod-more-like-x", "VIDEO_ON_DEMAND", "More like X", "aws-similar-items", "RELATED_ITEMS",
        "required", "required", ("Interactions", "Items"), ("Interactions", "Items"), None,
        ("Watch", "Click"), excluded_event_type="Watch",
    ),
    UseCase(
        "aws-vod-most-popular", "VIDEO_ON_DEMAND", "Most popular", "aws-popularity-count", "USER_PERSONALIZATION",
        "required", "not used", _INTERACTIONS, _INTERACTIONS, "Watch",
    ),
    UseCase(
        "aws-vod-trending-now", "VIDEO_ON_DEMAND", "Trending now", "aws-trending-now", "USER_PERSONALIZATION",
        "filter only", "not used", _INTERACTIONS, _INTERACTIONS, None,
    ),
    UseCase(
        "aws-vod-top-picks", "VIDEO_ON_DEMAND", "Top picks for you", "aws-user-personalization-v2",
        "USER_PERSONALIZATION", "required", "not used", _ALL, _INTERACTIONS, None, ("Click", "Watch"),
        excluded_event_type="Watch", exploration=True,
    ),
    # ECOMMERCE
    UseCase(
        "aws-ecomm-popular-items-by-views", "ECOMMERCE", "Most viewed", "aws-popularity-count",
        "USER_PERSONALIZATION", "required", "not used", _INTERACTIONS, _INTERACTIONS, "View",
    ),
    UseCase(
        "aws-ecomm-popular-items-by-purchases", "ECOMMERCE", "Best sellers", "aws-popularity-count",
        "USER_PERSONALIZATION", "required", "not used", _INTERACTIONS, _INTERACTIONS, "Purchase",
    ),
    UseCase(
        "aws-ecomm-frequently-bought-together", "ECOMMERCE", "Frequently bought together", "aws-sims",
        "RELATED_ITEMS", "filter only", "required", _INTERACTIONS, _INTERACTIONS, "Purchase",
    ),
    UseCase(
        "aws-ecomm-customers-who-viewed-x-also-viewed", "ECOMMERCE", "Customers who viewed X also viewed",
        "aws-sims", "RELATED_ITEMS", "required", "required", _INTERACTIONS, _INTERACTIONS, "View", ("Purchase",),
        excluded_event_type="Purchase",
    ),
    UseCase(
        "aws-ecomm-recommended-for-you", "ECOMMERCE", "Recommended for you", "aws-user-personalization-v2",
        "USER_PERSONALIZATION", "required", "not used", _ALL, _INTERACTIONS, None, ("View", "Purchase"),
        excluded_event_type="Purchase", exploration=True,
    ),
)  # fmt: skip


def use_case(name_or_arn: str) -> UseCase:
    """The use case of a domain recipe name or ARN; KeyError naming it when unknown."""
    name = name_or_arn.removeprefix(USE_CASE_ARN_PREFIX)
    for case in USE_CASES:
        if case.name == name:
            return case
    raise KeyError(f"Unknown use case {name_or_arn!r}; available: {', '.join(c.name for c in USE_CASES)}")


def use_cases_of(domain: Domain) -> list[UseCase]:
    """The use cases of one domain, in documentation order."""
    return [case for case in USE_CASES if case.domain == domain]
