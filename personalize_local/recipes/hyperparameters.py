"""Validation of ``solutionConfig`` hyperparameters against a recipe's documented names and ranges."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from personalize_local.recipes.base import HyperParameter, InvalidHyperParameterError, Recipe

#: Names third-party samples use for the user-history percentiles (reference §1.2); mapped to Personalize's names.
ALIASES: dict[str, str] = {
    "min_hist_length_percentile": "min_user_history_length_percentile",
    "max_hist_length_percentile": "max_user_history_length_percentile",
}

_CONFIG_MAPS = ("algorithmHyperParameters", "featureTransformationParameters")


def describe_range(spec: HyperParameter) -> str:
    """Human-readable allowed values of ``spec``, e.g. ``an integer in [32, 256]``."""
    if spec.kind == "bool":
        return "a boolean (true or false)"
    if spec.kind == "str":
        return "one of " + ", ".join(repr(c) for c in spec.choices) if spec.choices else "a string"
    noun = "an integer" if spec.kind == "int" else "a number"
    low = "-inf" if spec.minimum is None else _fmt(spec.minimum, spec.kind)
    high = "inf" if spec.maximum is None else _fmt(spec.maximum, spec.kind)
    return f"{noun} in [{low}, {high}]"


def _fmt(value: float, kind: str) -> str:
    return str(int(value)) if kind == "int" else repr(float(value))


def parse_value(spec: HyperParameter, raw: object) -> int | float | bool | str:
    """``raw`` (normally a string from the API) converted to ``spec.kind``; InvalidHyperParameterError if not."""
    text = str(raw).strip() if not isinstance(raw, bool) else str(raw)
    error = InvalidHyperParameterError(
        f"Invalid value {raw!r} for hyperparameter {spec.name}: must be {describe_range(spec)}"
    )
    if spec.kind == "bool":
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise error
        return lowered == "true"
    if spec.kind == "str":
        if spec.choices and text not in spec.choices:
            raise error
        return text
    if spec.kind == "int":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise error
        number: float = int(text)
    else:
        try:
            number = float(text)
        except ValueError:
            raise error from None
        if not math.isfinite(number):
            raise error
    if (spec.minimum is not None and number < spec.minimum) or (spec.maximum is not None and number > spec.maximum):
        raise error
    return number


def resolve_hyperparameters(recipe_cls: type[Recipe], solution_config: Mapping[str, object] | None) -> dict[str, str]:
    """Every hyperparameter of ``recipe_cls`` as a string: the values in ``solution_config``, defaults elsewhere.

    Reads ``solutionConfig.algorithmHyperParameters`` and ``solutionConfig.featureTransformationParameters`` (both
    maps are accepted for every name, as Personalize's samples do), maps :data:`ALIASES` to Personalize's names,
    and raises :class:`InvalidHyperParameterError` naming the parameter and its allowed range for an unknown name,
    a value of the wrong type or a value out of range. Other ``solutionConfig`` keys are not this function's job.
    """
    specs = {spec.name: spec for spec in recipe_cls.hyperparameters}
    given: dict[str, tuple[str, object]] = {}
    for map_name in _CONFIG_MAPS:
        supplied = (solution_config or {}).get(map_name) or {}
        if not isinstance(supplied, Mapping):
            raise InvalidHyperParameterError(f"solutionConfig.{map_name} must be a map of string to string")
        for raw_name, raw_value in supplied.items():
            name = ALIASES.get(str(raw_name), str(raw_name))
            if name not in specs:
                allowed = ", ".join(sorted(specs)) or "none"
                raise InvalidHyperParameterError(
                    f"Unknown hyperparameter {raw_name!r} in solutionConfig.{map_name} for recipe "
                    f"{recipe_cls.name}; allowed: {allowed}"
                )
            if name in given and str(given[name][1]).strip() != str(raw_value).strip():
                raise InvalidHyperParameterError(
                    f"Hyperparameter {name} is given twice with different values ({given[name][1]!r} in "
                    f"solutionConfig.{given[name][0]}, {raw_value!r} in solutionConfig.{map_name})"
                )
            parse_value(specs[name], raw_value)
            given[name] = (map_name, raw_value)
    resolved: dict[str, str] = {}
    for name, spec in specs.items():
        if name in given:
            raw = given[name][1]
            resolved[name] = str(raw).strip() if not isinstance(raw, bool) else str(raw).lower()
        else:
            resolved[name] = spec.default
    return resolved


def typed(recipe_cls: type[Recipe], hyperparameters: Mapping[str, str]) -> dict[str, int | float | bool | str]:
    """``hyperparameters`` (as resolved) parsed into Python values; defaults for names not present."""
    out: dict[str, int | float | bool | str] = {}
    for spec in recipe_cls.hyperparameters:
        out[spec.name] = parse_value(spec, hyperparameters.get(spec.name, spec.default))
    return out
