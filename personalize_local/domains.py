"""Domain dataset groups (VIDEO_ON_DEMAND, ECOMMERCE): the fields each domain's datasets require, and the ONE table of
domain use cases — each use-case recipe ARN with the engine recipe that trains the model serving it.

Sources: https://docs.aws.amazon.com/personalize/latest/dg/VIDEO-ON-DEMAND-datasets-and-schemas.html,
https://docs.aws.amazon.com/personalize/latest/dg/ECOMMERCE-items-dataset.html (required fields);
https://docs.aws.amazon.com/personalize/latest/dg/VIDEO_ON_DEMAND-use-cases.html,
https://docs.aws.amazon.com/personalize/latest/dg/ECOMMERCE-use-cases.html (use cases, their API requirements and
the event types they train on).
"""

from __future__ import annotations

from dataclasses import dataclass

from personalize_local.exceptions import InvalidInputException
from personalize_local.schemas import DatasetSchema

VIDEO_ON_DEMAND = "VIDEO_ON_DEMAND"
ECOMMERCE = "ECOMMERCE"
DOMAINS = (ECOMMERCE, VIDEO_ON_DEMAND)
USE_CASE_ARN_PREFIX = "arn:aws:personalize:::recipe/"

_INTERACTIONS = (("USER_ID", "string", False), ("ITEM_ID", "string", False), ("TIMESTAMP", "long", False),
                 ("EVENT_TYPE", "string", False))  # fmt: skip
# domain -> dataset type -> (field, base type, must be categorical)
REQUIRED_FIELDS: dict[str, dict[str, tuple[tuple[str, str, bool], ...]]] = {
    VIDEO_ON_DEMAND: {
        "Interactions": _INTERACTIONS,
        "Items": (("ITEM_ID", "string", False), ("CREATION_TIMESTAMP", "long", False), ("GENRES", "string", True)),
        "Users": (("USER_ID", "string", False),),
    },
    ECOMMERCE: {
        "Interactions": _INTERACTIONS,
        "Items": (("ITEM_ID", "string", False), ("PRICE", "float", False), ("CATEGORY_L1", "string", True)),
        "Users": (("USER_ID", "string", False),),
    },
}


def check_domain_schema(schema: DatasetSchema, dataset_type: str, domain: str) -> None:
    """InvalidInputException when ``schema`` lacks a field the ``domain`` requires for ``dataset_type``."""
    for name, base_type, categorical in REQUIRED_FIELDS[domain].get(dataset_type, ()):
        found = schema.field(name)
        if found is None:
            raise InvalidInputException(f"A {domain} {dataset_type} schema must have the field {name} ({base_type})")
        if found.base_type != base_type and not (base_type == "float" and found.base_type == "double"):
            raise InvalidInputException(
                f"Field {name} of a {domain} {dataset_type} schema must be {base_type}, not {found.base_type}"
            )
        if categorical and not found.categorical:
            raise InvalidInputException(f"Field {name} of a {domain} {dataset_type} schema must be categorical")


@dataclass(frozen=True)
class UseCase:
    """One domain use case as AWS documents it, plus the engine recipe serving it.

    Field names follow ``personalize_local.recipes.use_cases`` of the recipes work, so that either table can serve.
    """

    name: str  # the use-case recipe name, as in arn:aws:personalize:::recipe/<name>
    domain: str
    title: str  # the console name, e.g. "Top picks for you"
    recipe: str  # the engine recipe (personalize_local.recipes) that trains the model serving it
    recipe_type: str  # USER_PERSONALIZATION or RELATED_ITEMS: what GetRecommendations takes
    event_type: str | None = None  # the event type it trains on (case-insensitive); None = every type
    required_datasets: tuple[str, ...] = ("Interactions",)
    excluded_event_type: str | None = None  # the user's items of this event type are filtered out automatically
    exploration: bool = False  # itemExplorationConfig accepted in recommenderConfig

    @property
    def recipe_arn(self) -> str:
        """``arn:aws:personalize:::recipe/<name>``."""
        return USE_CASE_ARN_PREFIX + self.name


_ITEMS = ("Interactions", "Items")
# Today's engine recipes; switching a use case to aws-user-personalization-v2, aws-similar-items or aws-trending-now
# is a change of its ``recipe`` only.
USE_CASES: tuple[UseCase, ...] = (
    UseCase("aws-vod-because-you-watched-x", VIDEO_ON_DEMAND, "Because you watched X", "aws-sims", "RELATED_ITEMS",
            "Watch", excluded_event_type="Watch"),
    UseCase("aws-vod-more-like-x", VIDEO_ON_DEMAND, "More like X", "aws-sims", "RELATED_ITEMS", None, _ITEMS,
            excluded_event_type="Watch"),
    UseCase("aws-vod-most-popular", VIDEO_ON_DEMAND, "Most popular", "aws-popularity-count", "USER_PERSONALIZATION",
            "Watch"),
    UseCase("aws-vod-trending-now", VIDEO_ON_DEMAND, "Trending now", "aws-popularity-count", "USER_PERSONALIZATION"),
    UseCase("aws-vod-top-picks", VIDEO_ON_DEMAND, "Top picks for you", "aws-user-personalization",
            "USER_PERSONALIZATION", excluded_event_type="Watch", exploration=True),
    UseCase("aws-ecomm-popular-items-by-views", ECOMMERCE, "Most viewed", "aws-popularity-count",
            "USER_PERSONALIZATION", "View"),
    UseCase("aws-ecomm-popular-items-by-purchases", ECOMMERCE, "Best sellers", "aws-popularity-count",
            "USER_PERSONALIZATION", "Purchase"),
    UseCase("aws-ecomm-frequently-bought-together", ECOMMERCE, "Frequently bought together", "aws-sims",
            "RELATED_ITEMS", "Purchase"),
    UseCase("aws-ecomm-customers-who-viewed-x-also-viewed", ECOMMERCE, "Customers who viewed X also viewed",
            "aws-sims", "RELATED_ITEMS", "View", excluded_event_type="Purchase"),
    UseCase("aws-ecomm-recommended-for-you", ECOMMERCE, "Recommended for you", "aws-user-personalization",
            "USER_PERSONALIZATION", excluded_event_type="Purchase", exploration=True),
)  # fmt: skip


def use_case(name_or_arn: str) -> UseCase:
    """The use case of a domain recipe name or ARN; KeyError naming it when unknown."""
    name = name_or_arn.removeprefix(USE_CASE_ARN_PREFIX)
    for case in USE_CASES:
        if case.name == name:
            return case
    raise KeyError(f"Unknown use case {name_or_arn!r}; available: {', '.join(c.name for c in USE_CASES)}")


def use_cases_of(domain: str) -> list[UseCase]:
    """The use cases of one domain, in documentation order."""
    return [case for case in USE_CASES if case.domain == domain]
