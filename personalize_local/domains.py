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
    """One domain use case and how Personalize Local serves it."""

    name: str  # the use-case recipe name, as in arn:aws:personalize:::recipe/<name>
    domain: str
    engine_recipe: str  # the engine recipe (personalize_local.recipes) that trains the model serving it
    recipe_type: str  # USER_PERSONALIZATION or RELATED_ITEMS: what GetRecommendations takes
    event_types: tuple[str, ...] = ()  # the event types it trains on (case-insensitive); () = every type
    needs_items: bool = False  # an ACTIVE Items dataset is required
    exclude_seen: tuple[str, ...] = ()  # the user's items of these event types are filtered out automatically
    description: str = ""

    @property
    def recipe_arn(self) -> str:
        """``arn:aws:personalize:::recipe/<name>``."""
        return USE_CASE_ARN_PREFIX + self.name


# Switching a use case to another engine recipe (aws-user-personalization-v2, aws-similar-items, aws-trending-now once
# they exist) is a change of its ``engine_recipe`` only.
USE_CASES: dict[str, UseCase] = {
    case.recipe_arn: case
    for case in (
        UseCase("aws-vod-top-picks", VIDEO_ON_DEMAND, "aws-user-personalization", "USER_PERSONALIZATION",
                ("Watch", "Click"), exclude_seen=("Watch",), description="Top picks for you"),
        UseCase("aws-vod-because-you-watched-x", VIDEO_ON_DEMAND, "aws-sims", "RELATED_ITEMS", ("Watch",),
                exclude_seen=("Watch",), description="Because you watched X"),
        UseCase("aws-vod-more-like-x", VIDEO_ON_DEMAND, "aws-sims", "RELATED_ITEMS", needs_items=True,
                exclude_seen=("Watch",), description="More like X"),
        UseCase("aws-vod-most-popular", VIDEO_ON_DEMAND, "aws-popularity-count", "USER_PERSONALIZATION", ("Watch",),
                description="Most popular"),
        UseCase("aws-vod-trending-now", VIDEO_ON_DEMAND, "aws-popularity-count", "USER_PERSONALIZATION",
                description="Trending now"),
        UseCase("aws-ecomm-recommended-for-you", ECOMMERCE, "aws-user-personalization", "USER_PERSONALIZATION",
                ("View", "Purchase"), exclude_seen=("Purchase",), description="Recommended for you"),
        UseCase("aws-ecomm-customers-who-viewed-x-also-viewed", ECOMMERCE, "aws-sims", "RELATED_ITEMS", ("View",),
                exclude_seen=("Purchase",), description="Customers who viewed X also viewed"),
        UseCase("aws-ecomm-frequently-bought-together", ECOMMERCE, "aws-sims", "RELATED_ITEMS", ("Purchase",),
                description="Frequently bought together"),
        UseCase("aws-ecomm-popular-items-by-views", ECOMMERCE, "aws-popularity-count", "USER_PERSONALIZATION",
                ("View",), description="Most viewed"),
        UseCase("aws-ecomm-popular-items-by-purchases", ECOMMERCE, "aws-popularity-count", "USER_PERSONALIZATION",
                ("Purchase",), description="Best sellers"),
    )
}  # fmt: skip


def use_case(recipe_arn: str) -> UseCase | None:
    """The use case of a recipe ARN (or bare name), None for a custom recipe."""
    arn = recipe_arn if recipe_arn.startswith(USE_CASE_ARN_PREFIX) else USE_CASE_ARN_PREFIX + recipe_arn
    return USE_CASES.get(arn)
