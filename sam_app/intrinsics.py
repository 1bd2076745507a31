"""CloudFormation intrinsic functions evaluated against one stack's values, the way CloudFormation would.

The template is data (:mod:`sam_app.template` reads it); a stack that is not CloudFormation's - the offline stack in
moto, the IAM audit's account - supplies the values: ``physical`` (logical id -> ``{"Ref": ..., "<Attr>": ...}``),
``pseudo`` (pseudo parameters such as ``AWS::Region`` plus parameter values) and the evaluated ``conditions``.
"""

from __future__ import annotations

import re
from typing import Any

#: What ``!Ref AWS::NoValue`` resolves to; dropped from the enclosing list or mapping.
NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")
_DEFINITION_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class UnresolvableError(ValueError):
    """An intrinsic the stack has no value for."""


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
        return _ref(value["Ref"], physical, pseudo)
    if set(value) == {"Fn::GetAtt"}:
        logical, attribute = value["Fn::GetAtt"]
        try:
            return physical[logical][attribute]
        except KeyError as error:
            raise UnresolvableError(f"no offline value for GetAtt {logical}.{attribute}") from error
    if set(value) == {"Fn::Sub"}:
        return _sub(value["Fn::Sub"], physical, pseudo)
    resolved = {key: resolve(item, physical, pseudo, conditions) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}


def _ref(name: str, physical: dict[str, dict[str, str]], pseudo: dict[str, str]) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in pseudo:
        return pseudo[name]
    try:
        return physical[name]["Ref"]
    except KeyError as error:
        raise UnresolvableError(f"no offline value for Ref {name}") from error


def _sub(text: str, physical: dict[str, dict[str, str]], pseudo: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in pseudo:
            return pseudo[name]
        if "." in name:
            logical, attribute = name.split(".", 1)
            return str(resolve({"Fn::GetAtt": [logical, attribute]}, physical, pseudo))
        return str(resolve({"Ref": name}, physical, pseudo))

    return _SUB_VARIABLE.sub(substitute, text)


def substitute_definition(text: str, substitutions: dict[str, str]) -> str:
    """Apply DefinitionSubstitutions (``${Name}``) to an ASL file; every placeholder must have a value."""
    missing = sorted(set(_DEFINITION_PLACEHOLDER.findall(text)) - set(substitutions))
    if missing:
        raise UnresolvableError(f"the definition uses ${{...}} placeholders with no substitution: {', '.join(missing)}")
    return _DEFINITION_PLACEHOLDER.sub(lambda match: str(substitutions[match.group(1)]), text)
