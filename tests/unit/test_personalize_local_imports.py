"""Personalize Local's module structure: the metrics load without the recipes (and tools/check_imports.py, run by
``make lint`` and tested in test_check_imports.py, keeps the whole tree free of import cycles)."""

from __future__ import annotations

import pytest

from tools.check_imports import REPO_ROOT, Import, read_imports


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    """Every import of a repository module by a repository module, lazy ones included."""
    return read_imports(REPO_ROOT)[1]


def test_the_scan_sees_personalize_locals_imports(imports: list[Import]) -> None:
    assert any(
        i.source == "personalize_local.models" and i.target.startswith("personalize_local.models.") for i in imports
    )


def test_metrics_do_not_import_the_recipes(imports: list[Import]) -> None:
    from_metrics = {i.target for i in imports if i.source == "personalize_local.metrics"}
    assert from_metrics, "the scan found no import of personalize_local.metrics"
    assert not {target for target in from_metrics if target.startswith("personalize_local.recipes")}
