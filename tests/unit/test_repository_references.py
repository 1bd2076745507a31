"""Every reference in code and docs resolves from the repository itself: no path of one particular machine, no
file outside the repository, no planning documents or issue numbers a reader does not have, no dead doc link."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCANNED_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".json", ".txt", ".cfg", ".sh"}
SCANNED_NAMES = {"Makefile", "run"}
SKIPPED_DIRS = {"node_modules", "build", "demo-output", "__pycache__"}
FORBIDDEN = {
    "an absolute path of one machine": re.compile(r"(?<![\w.~])/(?:work|root|home/\w+)/"),
    "a file outside the repository": re.compile(r"\.\./shared/|shared/(?:data|reference)/"),
    "a planning document no reader has": re.compile(r"common\.md|seed\.md|design card"),
    "an issue or contract number no reader has": re.compile(r"\bissue \d+|\(issue: |\bcontract \d+\b"),
}
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
#: A test asserting that such a string is absent (``assert "/work/" not in text``) references nothing.
ABSENCE_CHECK = re.compile(r"""["'][^"']*["']\s+not\s+in\b""")


@functools.cache
def scanned_files() -> tuple[Path, ...]:
    """The repository's own text files (no virtualenvs, caches, build output or installed packages).

    The walk prunes skipped directories instead of listing them (a virtualenv alone holds tens of thousands of
    files), and the list is made once per test session.
    """
    files = []
    for directory, subdirectories, names in os.walk(REPO_ROOT):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not (name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info"))
        )
        for name in names:
            path = Path(directory, name)
            if not name.startswith(".") and (path.suffix in SCANNED_SUFFIXES or name in SCANNED_NAMES):
                files.append(path)
    return tuple(sorted(files))


def test_the_scan_sees_code_docs_and_configuration() -> None:
    names = {str(path.relative_to(REPO_ROOT)) for path in scanned_files()}
    assert {"README.md", "Makefile", "template.yaml", "docs/pipeline.md", "bench/__main__.py"} <= names
    assert not any(name.startswith((".venv", "node_modules")) for name in names)


@pytest.mark.parametrize("what", sorted(FORBIDDEN))
def test_no_reference_a_reader_cannot_follow(what: str) -> None:
    pattern = FORBIDDEN[what]
    this_file = Path(__file__).resolve()
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()[:100]}"
        for path in scanned_files()
        if path.resolve() != this_file
        for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), start=1)
        if pattern.search(line) and not ABSENCE_CHECK.search(line)
    ]
    assert found == [], f"{what}:\n" + "\n".join(found)


@pytest.mark.parametrize("pattern", sorted(FORBIDDEN))
def test_the_patterns_catch_what_they_are_for(pattern: str) -> None:
    examples = {
        "an absolute path of one machine": "see /work/shared/data/anime2020 or /home/alice/x",
        "a file outside the repository": "`../shared/reference/personalize-semantics.md`",
        "a planning document no reader has": "(common.md contract 4)",
        "an issue or contract number no reader has": "issue 5's serving targets",
    }
    assert FORBIDDEN[pattern].search(examples[pattern])
    assert not FORBIDDEN[pattern].search("docs/pipeline.md, ~/.kaggle/kaggle.json, tests/contract/, issues/")
    assert not ABSENCE_CHECK.search(examples[pattern])
    assert ABSENCE_CHECK.search('assert "/Users/" not in table and "/work/" not in table')


def test_relative_links_in_markdown_point_at_files_of_the_repository() -> None:
    dead = []
    for path in scanned_files():
        if path.suffix != ".md":
            continue
        for target in MARKDOWN_LINK.findall(path.read_text("utf-8")):
            if re.match(r"[a-z]+:", target):  # http(s), mailto
                continue
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(REPO_ROOT) or not resolved.exists():
                dead.append(f"{path.relative_to(REPO_ROOT)}: {target}")
    assert dead == []
