"""Each Lambda function's imports are covered by its own requirements.txt, the layer's, and the Lambda runtime.

On the local emulator every function runs on one interpreter whose packages all functions can see, so a missing
requirements line would not fail there; on AWS it fails at import time. This static check (AST import scan,
following the function's imports into the layer's domain code) catches it before a deployment.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = REPO / "functions"
LAYER = REPO / "layers" / "common"
LAYER_PACKAGE = "anime_recommender"
#: What the AWS Lambda python3.12 runtime ships (boto3 and its dependencies).
RUNTIME_DISTRIBUTIONS = ("boto3",)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path: Path) -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()] if path.exists() else []
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def _closure(requirements: list[Requirement]) -> set[str]:
    """Distributions (canonical names) installed by ``requirements``, with their dependencies and extras."""
    visited: set[tuple[str, frozenset[str]]] = set()
    pending = [(req.name, frozenset(req.extras)) for req in requirements]
    while pending:
        name, extras = pending.pop()
        if (_canonical(name), extras) in visited:
            continue
        visited.add((_canonical(name), extras))
        try:
            dependencies = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
        for line in dependencies:
            dependency = Requirement(line)
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                pending.append((dependency.name, frozenset(dependency.extras)))
    return {name for name, _ in visited}


@cache
def _distributions_of_module() -> dict[str, set[str]]:
    return {module: {_canonical(d) for d in dists} for module, dists in metadata.packages_distributions().items()}


def _imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in a file (relative imports are the file's own package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _layer_file(module: str) -> Path | None:
    base = LAYER.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def third_party_imports(function_dir: Path) -> dict[str, set[str]]:
    """Top-level third-party modules reachable from the function's code -> files that import them.

    Imports of the layer package are followed into the layer's files (and their package ``__init__``s).
    """
    local_modules = {p.stem for p in function_dir.glob("*.py")}
    files = list(function_dir.glob("*.py"))
    visited: set[Path] = set()
    found: dict[str, set[str]] = {}
    while files:
        path = files.pop()
        if path in visited:
            continue
        visited.add(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top == LAYER_PACKAGE:
                parts = name.split(".")
                for depth in range(1, len(parts) + 1):
                    layer_file = _layer_file(".".join(parts[:depth]))
                    if layer_file is not None:
                        files.append(layer_file)
            elif top not in local_modules and top not in sys.stdlib_module_names and top != "__future__":
                found.setdefault(top, set()).add(str(path.relative_to(REPO) if path.is_relative_to(REPO) else path))
    return found


FUNCTION_DIRS = sorted(p for p in FUNCTIONS.iterdir() if (p / "app.py").exists())


def test_there_are_functions_to_check() -> None:
    """The parametrised test below must not silently check nothing."""
    assert FUNCTION_DIRS, f"no functions/<name>/app.py under {FUNCTIONS}"


@pytest.mark.parametrize("function_dir", FUNCTION_DIRS, ids=lambda p: p.name)
def test_function_imports_are_covered_by_its_requirements(function_dir: Path) -> None:
    """Every third-party import comes from the function's requirements, the layer's, or the runtime."""
    covered = _closure(
        _requirements(function_dir / "requirements.txt")
        + _requirements(LAYER / "requirements.txt")
        + [Requirement(name) for name in RUNTIME_DISTRIBUTIONS]
    )
    uncovered = {}
    for module, importers in sorted(third_party_imports(function_dir).items()):
        providers = _distributions_of_module().get(module, {_canonical(module)})
        if not providers & covered:
            uncovered[module] = f"provided by {sorted(providers)}, imported in {sorted(importers)}"
    assert not uncovered, (
        f"{function_dir.name}: imports not covered by functions/{function_dir.name}/requirements.txt, "
        f"layers/common/requirements.txt or the Lambda runtime: {uncovered}"
    )


def test_the_scan_sees_a_missing_requirement(tmp_path: Path) -> None:
    """The scanner reports a third-party import that no requirement covers (so the check above can fail)."""
    (tmp_path / "app.py").write_text("import json\nimport pandas as pd\nfrom helper import x\n")
    (tmp_path / "helper.py").write_text("import yaml\nx = 1\n")
    assert set(third_party_imports(tmp_path)) == {"pandas", "yaml"}
    assert "pandas" in _closure([Requirement("pandas")])
    assert "pandas" not in _closure([Requirement("aws-lambda-powertools[parser]")])
