"""The template reader (sam_app) evaluates conditions, Fn::If and AWS::NoValue like CloudFormation."""

from __future__ import annotations

import pytest

from sam_app.intrinsics import UnresolvableError, resolve
from sam_app.template import TemplateModel, load_template

RAW = {
    "Conditions": {
        "HasUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Url"}, ""]}]},
        "NoUrl": {"Fn::Not": [{"Condition": "HasUrl"}]},
    },
    "Resources": {},
}
ENV = {"A": {"Fn::If": ["HasUrl", {"Ref": "Url"}, {"Ref": "AWS::NoValue"}]}, "B": "kept"}


def test_an_empty_parameter_drops_the_variable() -> None:
    pseudo = {"Url": ""}
    conditions = TemplateModel(RAW).conditions(pseudo)
    assert conditions == {"HasUrl": False, "NoUrl": True}
    assert resolve(ENV, {}, pseudo, conditions) == {"B": "kept"}


def test_a_set_parameter_fills_the_variable() -> None:
    pseudo = {"Url": "http://127.0.0.1:4580"}
    conditions = TemplateModel(RAW).conditions(pseudo)
    assert resolve(ENV, {}, pseudo, conditions) == {"A": "http://127.0.0.1:4580", "B": "kept"}


def test_an_unknown_condition_is_an_error() -> None:
    with pytest.raises(UnresolvableError, match="condition Missing"):
        resolve({"Fn::If": ["Missing", 1, 2]}, {}, {}, {})


def test_the_real_template_keeps_personalize_endpoints_off_by_default() -> None:
    model = TemplateModel(load_template())
    pseudo = model.parameter_defaults()
    assert model.conditions(pseudo)["UsePersonalizeEndpoint"] is False
