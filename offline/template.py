"""Read ``template.yaml`` the way the offline runner needs it: functions, state machines, the trigger rule.

CloudFormation short-form tags (``!Ref``, ``!GetAtt``, ``!Sub``...) become their long form, and
:func:`resolve` evaluates ``Ref`` / ``Fn::GetAtt`` / ``Fn::Sub`` against the physical values of the offline stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that understands CloudFormation's short-form intrinsic functions."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data (intrinsics in long form)."""
    return yaml.load(path.read_text("utf-8"), Loader=_CfnLoader)


class UnresolvableError(ValueError):
    """An intrinsic the offline stack has no value for."""


NO_VALUE = object()  # what ``!Ref AWS::NoValue`` resolves to; dropped from the enclosing list or mapping


def evaluate_condition(expression: Any, pseudo: dict[str, str], conditions: dict[str, Any]) -> bool:
    """Evaluate a CloudFormation condition (Fn::Equals / Not / And / Or / Condition) against parameter values."""
    if isinstance(expression, dict) and len(expression) == 1:
        ((function, argument),) = expression.items()
        if function == "Fn::Equals":
            left, right = (resolve(item, {}, pseudo) for item in argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not evaluate_condition(argument[0], pseudo, conditions)
        if function == "Fn::And":
            return all(evaluate_condition(item, pseudo, conditions) for item in argument)
        if function == "Fn::Or":
            return any(evaluate_condition(item, pseudo, conditions) for item in argument)
        if function == "Condition":
            return evaluate_condition(conditions[argument], pseudo, conditions)
    raise UnresolvableError(f"unsupported condition {expression!r}")


def resolve(
    value: Any,
    physical: dict[str, dict[str, str]],
    pseudo: dict[str, str],
    conditions: dict[str, bool] | None = None,
) -> Any:
    """Evaluate intrinsics in ``value``. ``physical``: logical id -> {"Ref": ..., "<Attr>": ...}.

    ``conditions`` (name -> evaluated value) serves ``Fn::If``; ``AWS::NoValue`` removes the enclosing entry.
    """
    if isinstance(value, list):
        items = (resolve(item, physical, pseudo, conditions) for item in value)
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        name, when_true, when_false = value["Fn::If"]
        if conditions is None or name not in conditions:
            raise UnresolvableError(f"no offline value for condition {name}")
        return resolve(when_true if conditions[name] else when_false, physical, pseudo, conditions)
    if set(value) == {"Ref"}:
        name = value["Ref"]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        try:
            return physical[name]["Ref"]
        except KeyError as error:
            raise UnresolvableError(f"no offline value for Ref {name}") from error
    if set(value) == {"Fn::GetAtt"}:
        logical, attribute = value["Fn::GetAtt"]
        try:
            return physical[logical][attribute]
        except KeyError as error:
            raise UnresolvableError(f"no offline value for GetAtt {logical}.{attribute}") from error
    if set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in pseudo:
                return pseudo[name]
            if "." in name:
                logical, attribute = name.split(".", 1)
                return str(resolve({"Fn::GetAtt": [logical, attribute]}, physical, pseudo))
            return str(resolve({"Ref": name}, physical, pseudo))

        return re.sub(r"\$\{([^}!]+)\}", substitute, text)
    resolved = {key: resolve(item, physical, pseudo, conditions) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function``."""

    logical_id: str
    code_dir: Path
    handler: str  # module.function
    environment: dict[str, Any]
    memory: int
    timeout: int


@dataclass(frozen=True)
class StateMachineSpec:
    """One ``AWS::Serverless::StateMachine``."""

    logical_id: str
    definition_path: Path
    substitutions: dict[str, Any]
    name: Any
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateModel:
    """What the offline stack reads from the template."""

    raw: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        """Every resource."""
        return self.raw["Resources"]

    def conditions(self, pseudo: dict[str, str]) -> dict[str, bool]:
        """Every template condition evaluated against ``pseudo`` (pseudo parameters + parameter values)."""
        raw = self.raw.get("Conditions", {})
        return {name: evaluate_condition(expression, pseudo, raw) for name, expression in raw.items()}

    def parameter_defaults(self) -> dict[str, str]:
        """Parameter name -> default value."""
        return {name: str(spec.get("Default", "")) for name, spec in self.raw.get("Parameters", {}).items()}

    def function(self, logical_id: str) -> FunctionSpec:
        """A function merged with the template's Globals."""
        globals_ = self.raw.get("Globals", {}).get("Function", {})
        props = self.resources[logical_id]["Properties"]
        env = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        return FunctionSpec(
            logical_id=logical_id,
            code_dir=REPO_ROOT / props["CodeUri"],
            handler=props.get("Handler", "app.lambda_handler"),
            environment=env,
            memory=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
            timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
        )

    def state_machine(self, logical_id: str) -> StateMachineSpec:
        """A state machine's definition file, substitutions and events."""
        props = self.resources[logical_id]["Properties"]
        return StateMachineSpec(
            logical_id=logical_id,
            definition_path=REPO_ROOT / props["DefinitionUri"],
            substitutions=props.get("DefinitionSubstitutions", {}),
            name=props.get("Name", logical_id),
            events=props.get("Events", {}),
        )

    def resources_of_type(self, resource_type: str) -> list[str]:
        """Logical ids of every resource of this type."""
        return [name for name, spec in self.resources.items() if spec.get("Type") == resource_type]


def substitute_definition(text: str, substitutions: dict[str, str]) -> str:
    """Apply DefinitionSubstitutions (``${Name}``) to an ASL file; every placeholder must have a value."""
    missing = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text)) - set(substitutions))
    if missing:
        raise UnresolvableError(f"the definition uses ${{...}} placeholders with no substitution: {', '.join(missing)}")
    return re.sub(r"\$\{([A-Za-z0-9_]+)\}", lambda match: str(substitutions[match.group(1)]), text)
