"""Read a CloudFormation/SAM template as plain data (short-form tags such as ``!Ref`` become their long form)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags as their long form: ``!Ref X`` -> ``{"Ref": "X"}``."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    key = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data, intrinsic functions in long form."""
    return yaml.load(path.read_text(), Loader=_CfnLoader) or {}


def template_parameters(path: Path) -> set[str]:
    """Names of the ``Parameters`` a template declares."""
    return set((load_template(path).get("Parameters") or {}).keys())
