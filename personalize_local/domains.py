"""Domain dataset groups (VIDEO_ON_DEMAND, ECOMMERCE): the fields each domain's datasets require. The ONE table
of domain use cases (each use-case recipe with the engine recipe that trains it) is
``personalize_local.recipes.use_cases``.

Sources: https://docs.aws.amazon.com/personalize/latest/dg/VIDEO-ON-DEMAND-datasets-and-schemas.html,
https://docs.aws.amazon.com/personalize/latest/dg/ECOMMERCE-items-dataset.html (required fields);
https://docs.aws.amazon.com/personalize/latest/dg/VIDEO_ON_DEMAND-use-cases.html,
https://docs.aws.amazon.com/personalize/latest/dg/ECOMMERCE-use-cases.html (use cases, their API requirements and
the event types they train on).
"""

from __future__ import annotations

from personalize_local.exceptions import InvalidInputException
from personalize_local.schemas import DatasetSchema

VIDEO_ON_DEMAND = "VIDEO_ON_DEMAND"
ECOMMERCE = "ECOMMERCE"
DOMAINS = (ECOMMERCE, VIDEO_ON_DEMAND)

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
