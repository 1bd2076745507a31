"""Publish what other components read (docs/pipeline.md, "What it publishes") to SSM Parameter Store."""

from __future__ import annotations

from typing import Any


def publish(ssm: Any, values: dict[str, str]) -> dict[str, str]:
    """Write every ``name -> value`` as a String parameter (overwriting); returns what was written."""
    for name, value in sorted(values.items()):
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    return dict(values)
