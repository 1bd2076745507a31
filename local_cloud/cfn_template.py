"""Read a CloudFormation/SAM template as plain data (short-form tags such as ``!Ref`` become their long form)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from offline.template import load_template as _load_cfn_yaml


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data, intrinsic functions in long form (the offline runner's reader)."""
    return _load_cfn_yaml(path) or {}


def template_parameters(path: Path) -> set[str]:
    """Names of the ``Parameters`` a template declares."""
    return set((load_template(path).get("Parameters") or {}).keys())
