"""The published SSM parameters: template.yaml creates exactly the parameters the contract names, with the
contract's placeholder (or an empty JSON value) until the pipeline writes them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from anime_recommender.contracts.parameters import PLACEHOLDER, ParameterNames, is_placeholder
from anime_recommender.contracts.recipes import DEPLOYABLE_RECIPES
from sam_app.template import TemplateModel, load_template

PROJECT = "anime-recs"


def template_parameters() -> dict[str, Any]:
    """Name (for ``PROJECT``) -> initial value of every SSM parameter template.yaml creates."""
    template = TemplateModel(load_template())
    found = {}
    for logical_id in template.resources_of_type("AWS::SSM::Parameter"):
        properties = template.resources[logical_id]["Properties"]
        name = properties["Name"]["Fn::Sub"].replace("${ProjectName}", PROJECT)
        found[name] = properties["Value"]
    return found


def contract_parameters() -> dict[str, str]:
    """Every parameter the contract names, with the value a reader treats as "not published yet"."""
    names = ParameterNames(PROJECT)
    values = {names.campaign(recipe): PLACEHOLDER for recipe in DEPLOYABLE_RECIPES}
    values |= {names.tracking_id: PLACEHOLDER, names.catalog: PLACEHOLDER, names.items_dataset: PLACEHOLDER}
    return values | {names.filters: json.dumps({}), names.event_types: json.dumps([])}


def test_the_template_creates_the_contracts_parameters_with_its_placeholder() -> None:
    assert template_parameters() == contract_parameters()


@pytest.mark.parametrize(("value", "expected"), [(PLACEHOLDER, True), (" ", True), (None, True), ("arn:x", False)])
def test_a_placeholder_is_the_templates_value_or_nothing(value: Any, expected: bool) -> None:
    assert is_placeholder(value) is expected


def test_the_pipeline_names_are_the_contracts_names() -> None:
    from anime_recommender.pipeline.names import ResourceNames

    assert ResourceNames(PROJECT).parameters == ParameterNames(PROJECT)
    assert ResourceNames(PROJECT).parameters.campaign("sims") == f"/{PROJECT}/campaigns/sims"
