"""Personalize Local: an offline Amazon Personalize that plain boto3 talks to.

``python -m personalize_local serve`` runs it as a server; :func:`local_personalize` runs it in-process::

    with local_personalize(data_dir=tmp_path) as pl:
        boto3.client("personalize")  # reaches pl.endpoint_url through AWS_ENDPOINT_URL_PERSONALIZE

The names below are loaded on first use (PEP 562), so importing a sub-package (``personalize_local.recipes``) does
not load the server, werkzeug or boto3.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ENDPOINT_VARIABLES": "personalize_local.local",
    "LocalPersonalize": "personalize_local.local",
    "local_personalize": "personalize_local.local",
}


def __getattr__(name: str) -> Any:
    """``local_personalize`` and friends from :mod:`personalize_local.local`, imported when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'personalize_local' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = ["ENDPOINT_VARIABLES", "LocalPersonalize", "local_personalize"]
