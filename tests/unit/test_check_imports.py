"""tools/check_imports.py: the repository has no import cycle and every package stays on its floor; the check fails
on a tree that breaks the rules (a cycle through a lazy import, a layer importing the runner, ...)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools.check_imports import (
    REPO_ROOT,
    RULES,
    Import,
    cycle_violations,
    floors,
    main,
    read_imports,
    rule_violations,
)


@pytest.fixture(scope="module")
def repository() -> tuple[dict[str, Path], list[Import]]:
    """The repository's modules and imports, read once."""
    return read_imports(REPO_ROOT)


def test_the_repository_has_no_import_cycle(repository: tuple[dict[str, Path], list[Import]]) -> None:
    files, imports = repository
    assert cycle_violations(files, imports, REPO_ROOT) == []


@pytest.mark.parametrize("rule", [rule.name for rule in RULES])
def test_the_repository_keeps_the_rule(rule: str, repository: tuple[dict[str, Path], list[Import]]) -> None:
    files, imports = repository
    assert rule_violations(files, imports, REPO_ROOT)[rule] == []


def test_the_layer_and_functions_are_read_under_their_import_names(
    repository: tuple[dict[str, Path], list[Import]],
) -> None:
    """The checks only mean something if the repository's modules are named the way Python imports them."""
    files, imports = repository
    assert (
        files["anime_recommender.pipeline.config"] == REPO_ROOT / "layers/common/anime_recommender/pipeline/config.py"
    )
    assert files["functions.notify.app"] == REPO_ROOT / "functions/notify/app.py"
    imported_by_functions = {item.target.split(".")[0] for item in imports if item.source.startswith("functions.")}
    assert imported_by_functions == {"anime_recommender"}
    assert not any(".venv" in path.parts or "node_modules" in path.parts for path in files.values())


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


CLEAN = {
    "layers/common/anime_recommender/__init__.py": "",
    "layers/common/anime_recommender/core.py": "import numpy\nfrom . import helpers\n",
    "layers/common/anime_recommender/helpers.py": "import json\n",
    "functions/notify/app.py": "from anime_recommender.core import numpy\n",
    "offline/__init__.py": "",
    "offline/runner.py": "from anime_recommender import core\n",
    "tests/__init__.py": "",
    "tests/test_runner.py": "import offline.runner\n",
    "offline/uses_tests_only_in_a_hidden_folder/.cache/x.py": "import tests\n",
    ".venv/lib/site.py": "import tests\n",
    "node_modules/pkg/x.py": "import tests\n",
}

BROKEN = {
    **CLEAN,
    # a cycle through an import inside a function
    "offline/a.py": "from offline import b\n",
    "offline/b.py": "def late():\n    import offline.a\n",
    # the layer reaches the runner; a function reaches another package under TYPE_CHECKING
    "layers/common/anime_recommender/helpers.py": "from offline.runner import x\n",
    "functions/notify/app.py": textwrap.dedent(
        """\
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from offline import runner
        """
    ),
    # product code importing tests, inside a try block
    "offline/runner.py": "try:\n    from tests.test_runner import y\nexcept ImportError:\n    pass\n",
}


def test_a_clean_tree_passes_and_its_graph_is_stacked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, CLEAN)
    files, imports = read_imports(tmp_path)
    assert sorted(files) == [  # nothing from hidden folders, virtualenvs or node_modules
        "anime_recommender",
        "anime_recommender.core",
        "anime_recommender.helpers",
        "functions.notify.app",
        "offline",
        "offline.runner",
        "tests",
        "tests.test_runner",
    ]
    assert Import("anime_recommender.core", "anime_recommender.helpers", 2) in imports  # relative, resolved
    assert not any(item.target == "numpy" for item in imports)  # third-party is not the repository's
    assert cycle_violations(files, imports, tmp_path) == []
    assert all(found == [] for found in rule_violations(files, imports, tmp_path).values())
    graph = {"anime_recommender": set(), "functions": {"anime_recommender"}, "offline": {"anime_recommender"}}
    graph["tests"] = {"offline"}
    assert floors(graph) == [[["anime_recommender"]], [["functions"], ["offline"]], [["tests"]]]
    returncode = main(["--root", str(tmp_path), "--graph"])
    run = capsys.readouterr()
    assert returncode == 0, run.err
    assert run.out.splitlines() == [
        "floor 0",
        "  anime_recommender -> -",
        "floor 1",
        "  functions -> anime_recommender",
        "  offline -> anime_recommender",
        "floor 2",
        "  tests -> offline",
        "imports: ok (no cycle, every package on its floor)",
    ]


def test_a_broken_tree_fails_with_every_violation_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, BROKEN)
    returncode = main(["--root", str(tmp_path)])
    run = capsys.readouterr()
    assert returncode == 1
    found = [line.split(" - ")[0] for line in run.err.splitlines()]
    assert found == [
        "import cycle: offline/a.py -> offline/b.py -> offline/a.py",
        "layers/common/anime_recommender/helpers.py:1 imports offline.runner",
        "functions/notify/app.py:3 imports offline.runner",
        "layers/common/anime_recommender/helpers.py:1 imports offline.runner",
        "offline/runner.py:2 imports tests.test_runner",
        "imports: 5 violation(s)",
    ]
    assert "layer-is-self-contained" in run.err and "functions-import-only-the-layer" in run.err


@pytest.mark.parametrize(
    ("source", "reason"),
    [(b"def broken(:\n", "offline/a.py:1: not Python"), (b"\xff\xfe import os\n", "offline/a.py: not UTF-8 text")],
)
def test_a_file_that_is_not_utf8_python_fails_the_check_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: bytes, reason: str
) -> None:
    (tmp_path / "offline").mkdir()
    (tmp_path / "offline" / "a.py").write_bytes(source)
    (tmp_path / "offline" / "b.py").write_text("import offline.a\n")

    returncode = main(["--root", str(tmp_path)])

    assert returncode == 1
    assert f"imports: cannot check {reason}" in capsys.readouterr().err
