"""pyproject.toml installs every package of the repository (a plain ``pip install .`` — the container image — gets
the subpackages too, not only the editable install's folder mapping)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _packages_on_disk(name: str, folder: Path) -> set[str]:
    found = set()
    for init in folder.rglob("__init__.py"):
        if "__pycache__" in init.parts:
            continue
        relative = init.parent.relative_to(folder)
        found.add(".".join((name, *relative.parts)))
    return found


def test_every_package_folder_is_listed_in_pyproject() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = set()
    for name, folder in setuptools["package-dir"].items():
        on_disk |= _packages_on_disk(name, ROOT / folder)
    assert set(setuptools["packages"]) == on_disk


def test_package_data_files_exist() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package, patterns in setuptools["package-data"].items():
        top, *rest = package.split(".")
        folder = ROOT / setuptools["package-dir"][top] / Path(*rest)
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: nothing matches {pattern}"
