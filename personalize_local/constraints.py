"""The member constraints of botocore's input shapes that botocore's own ParamValidator leaves to the service:
maximum lengths and sizes, patterns, numeric ranges and enums. AWS checks them server-side and answers with its
standard wording, ``1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must have
length less than or equal to 63`` (the value is left out for sensitive members). Patterns are Java regular
expressions (``\\p{L}`` …), matched as a whole with the ``regex`` module."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import regex
from botocore.model import Shape


@cache
def _pattern(expression: str) -> regex.Pattern[str]:
    return regex.compile(expression)


def _value_text(value: Any, shape: Shape) -> str:
    return "" if shape.metadata.get("sensitive") else f" '{value}'"


def _failures(value: Any, shape: Shape) -> list[str]:
    """The constraints of ``shape`` (not of its members) that ``value`` breaks."""
    meta = shape.metadata
    kind = shape.type_name
    broken: list[str] = []
    if kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            broken.append(f"Member must have length less than or equal to {meta['max']}")
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            broken.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            broken.append(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    elif kind in ("list", "map") and isinstance(value, list | Mapping) and len(value) > meta.get("max", len(value)):
        broken.append(f"Member must have length less than or equal to {meta['max']}")
    elif (
        kind in ("integer", "long", "float", "double")
        and isinstance(value, int | float)
        and value > meta.get("max", value)
    ):
        broken.append(f"Member must have value less than or equal to {meta['max']}")
    return broken


def violations(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Every constraint ``value`` (a request already checked by botocore's ParamValidator) breaks, AWS-worded."""
    found = [
        f"Value{_value_text(value, shape)} at '{path}' failed to satisfy constraint: {b}"
        for b in _failures(value, shape)
    ]
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        for name, item in value.items():
            if name in shape.members:
                found += violations(item, shape.members[name], f"{path}.{name}" if path else name)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            found += violations(item, shape.member, f"{path}.{index}.member")
    elif kind == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            found += [
                f"Value '{key}' at '{path}' failed to satisfy constraint: Map keys must satisfy constraint: {b}"
                for b in _failures(key, shape.key)
            ]
            found += violations(item, shape.value, f"{path}.{key}")
    return found


def validation_message(problems: list[str]) -> str:
    """AWS's message for a request that breaks member constraints."""
    count = len(problems)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}"
