"""Domain dataset groups: the use-case table and the domains' schema rules."""

from __future__ import annotations

import json

import pytest

from personalize_local.domains import ECOMMERCE, VIDEO_ON_DEMAND, check_domain_schema
from personalize_local.exceptions import InvalidInputException
from personalize_local.recipes.registry import get_recipe
from personalize_local.recipes.use_cases import USE_CASES, use_case, use_cases_of
from personalize_local.schemas import parse_schema


def _schema(record: str, fields: list[dict]) -> str:
    return json.dumps({"type": "record", "name": record, "fields": fields, "version": "1.0"})


def test_every_use_case_is_trained_by_an_engine_recipe_of_its_kind() -> None:
    assert {case.domain for case in USE_CASES} == {VIDEO_ON_DEMAND, ECOMMERCE}
    assert len({case.recipe_arn for case in USE_CASES}) == len(USE_CASES) == 10
    for case in USE_CASES:
        engine = get_recipe(case.recipe)
        assert engine.recipe_type == case.recipe_type or case.recipe == "aws-popularity-count", case
    assert use_case("arn:aws:personalize:::recipe/aws-vod-top-picks") is use_case("aws-vod-top-picks")
    assert next(case.name for case in use_cases_of(ECOMMERCE)) == "aws-ecomm-popular-items-by-views"
    with pytest.raises(KeyError, match="aws-sims"):
        use_case("aws-sims")


def test_domain_schemas_need_the_domain_fields() -> None:
    items = [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "PRICE", "type": "float"},
        {"name": "CATEGORY_L1", "type": "string", "categorical": True},
    ]
    check_domain_schema(parse_schema(_schema("Items", items)), "Items", ECOMMERCE)
    with pytest.raises(InvalidInputException, match="CREATION_TIMESTAMP"):
        check_domain_schema(parse_schema(_schema("Items", items)), "Items", VIDEO_ON_DEMAND)
    uncategorised = [items[0], items[1], {"name": "CATEGORY_L1", "type": "string", "textual": True}]
    with pytest.raises(InvalidInputException, match="categorical"):
        check_domain_schema(parse_schema(_schema("Items", uncategorised)), "Items", ECOMMERCE)
    wrong_type = [items[0], {"name": "PRICE", "type": "string", "categorical": True}, items[2]]
    with pytest.raises(InvalidInputException, match="PRICE"):
        check_domain_schema(parse_schema(_schema("Items", wrong_type)), "Items", ECOMMERCE)
    interactions = [
        {"name": n, "type": "long" if n == "TIMESTAMP" else "string"} for n in ("USER_ID", "ITEM_ID", "TIMESTAMP")
    ]
    with pytest.raises(InvalidInputException, match="EVENT_TYPE"):
        check_domain_schema(parse_schema(_schema("Interactions", interactions)), "Interactions", VIDEO_ON_DEMAND)
