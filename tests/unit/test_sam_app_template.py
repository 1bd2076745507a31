"""sam_app.template: cfn-lint's decoder reads the template, the model merges Globals the way SAM does."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sam_app.template import TemplateError, TemplateModel, load_template

TEMPLATE = textwrap.dedent(
    """
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Timeout: 30
        Environment:
          Variables:
            SHARED: !Ref Project
            OVERRIDDEN: global
    Parameters:
      Project: {Type: String, Default: demo}
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: functions/fn/
          Handler: main.handle
          Environment:
            Variables:
              OVERRIDDEN: !Sub "${Project}-${AWS::Region}"
          Policies: AWSLambdaBasicExecutionRole
          Events:
            Get: {Type: HttpApi, Properties: {Path: /x, Method: get}}
      Machine:
        Type: AWS::Serverless::StateMachine
        Properties:
          DefinitionUri: statemachine/m.asl.json
          DefinitionSubstitutions:
            FnArn: !GetAtt Fn.Arn
    """
)


def test_a_function_is_merged_with_globals_relative_to_its_template(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    model = TemplateModel.read(path)
    function = model.function("Fn")
    assert function.code_dir == tmp_path / "functions" / "fn"
    assert function.handler == "main.handle"
    assert function.environment == {
        "SHARED": {"Ref": "Project"},
        "OVERRIDDEN": {"Fn::Sub": "${Project}-${AWS::Region}"},
    }
    assert (function.timeout, function.memory) == (30, 128)
    assert function.policies == ["AWSLambdaBasicExecutionRole"]
    assert function.events == {"Get": {"Type": "HttpApi", "Properties": {"Path": "/x", "Method": "get"}}}
    machine = model.state_machine("Machine")
    assert machine.definition_path == tmp_path / "statemachine" / "m.asl.json"
    assert machine.substitutions == {"FnArn": {"Fn::GetAtt": ["Fn", "Arn"]}}
    assert model.parameter_names == {"Project"} and model.parameter_defaults() == {"Project": "demo"}


def test_the_template_is_plain_data(tmp_path: Path) -> None:
    """No cfn-lint node types leak out: every mapping, list and string is the builtin type."""
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)

    def kinds(value: object) -> set[type]:
        if isinstance(value, dict):
            return {dict}.union(*(kinds(key) | kinds(item) for key, item in value.items()))
        if isinstance(value, list):
            return {list}.union(*(kinds(item) for item in value))
        return {type(value)}

    assert kinds(load_template(path)) == {dict, list, str, int}


def test_an_empty_template_is_empty_and_a_broken_one_names_its_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_template(empty) == {}
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources:\n  Fn:\n    Type: [unclosed\n")
    with pytest.raises(TemplateError, match=r"broken\.yaml:\d+: "):
        load_template(broken)
    with pytest.raises(TemplateError, match="not found"):
        load_template(tmp_path / "missing.yaml")
