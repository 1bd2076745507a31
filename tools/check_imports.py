"""Check the repository's import graph: no cycle between product modules, and each package stays on its floor.

Every ``.py`` file of the repository (virtualenvs, ``node_modules``, hidden and build folders aside) is read with
:mod:`ast`, imports inside functions and ``TYPE_CHECKING`` blocks included, and each import is mapped to the module
of the repository it names (third-party and standard-library imports are left out). Modules are named the way they
are imported: ``layers/<layer>/`` is a source root (``layers/common/anime_recommender/x.py`` is
``anime_recommender.x``), every other file is named by its path (``functions/notify/app.py`` is
``functions.notify.app``); a module's package is its first name.

    python tools/check_imports.py           # exit 1 with one line per violation
    python tools/check_imports.py --graph   # also print which package imports which, floor by floor
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRECTORIES = {"node_modules", "__pycache__", "build"}
LAYERS_DIRECTORY = "layers"
TESTS = "tests"


@dataclass(frozen=True)
class Import:
    """One import statement's target as a repository module."""

    source: str  # importing module
    target: str  # imported module (the longest name the repository defines)
    line: int


@dataclass(frozen=True)
class Rule:
    """Which repository packages a set of packages may import.

    ``sources``: the packages the rule applies to (empty: every package but ``exempt``). ``allowed``: when set,
    the only repository packages they may import; ``forbidden``: packages they must never import.
    """

    name: str
    why: str
    sources: frozenset[str] = frozenset()
    exempt: frozenset[str] = frozenset()
    allowed: frozenset[str] | None = None
    forbidden: frozenset[str] = frozenset()

    def applies_to(self, package: str) -> bool:
        """Whether modules of ``package`` are bound by this rule."""
        if self.sources:
            return package in self.sources
        return package not in self.exempt

    def permits(self, package: str) -> bool:
        """Whether importing ``package`` respects this rule."""
        if package in self.forbidden:
            return False
        return self.allowed is None or package in self.allowed


RULES: tuple[Rule, ...] = (
    Rule(
        name="layer-is-self-contained",
        why="the Lambda layer ships alone: it imports only itself and third-party packages",
        sources=frozenset({"anime_recommender"}),
        allowed=frozenset({"anime_recommender"}),
    ),
    Rule(
        name="functions-import-only-the-layer",
        why="a function's code is its folder plus the layer: handlers import only anime_recommender",
        sources=frozenset({"functions"}),
        allowed=frozenset({"anime_recommender"}),
    ),
    Rule(
        name="personalize-local-stands-alone",
        why="Personalize Local is an engine of its own (its container copies only personalize_local/)",
        sources=frozenset({"personalize_local"}),
        forbidden=frozenset({"anime_recommender", "offline", "local_cloud", "console", "bench", TESTS, "testing"}),
    ),
    Rule(
        name="bench-and-layer-stay-off-the-runners",
        why="benchmarks and the layer measure and ship product code, not the offline runner or the deployment tier",
        sources=frozenset({"bench", "anime_recommender"}),
        forbidden=frozenset({"offline", "local_cloud"}),
    ),
    Rule(
        name="nothing-imports-tests",
        why="tests/ is not installed: code outside it takes shared builders from testing/",
        exempt=frozenset({TESTS}),
        forbidden=frozenset({TESTS}),
    ),
    Rule(
        name="only-tests-and-bench-import-testing",
        why="testing/ holds builders for tests and benchmarks, never for product code",
        exempt=frozenset({TESTS, "testing", "bench"}),
        forbidden=frozenset({"testing"}),
    ),
)


# ---------------------------------------------------------------- reading the tree
def python_files(root: Path) -> Iterator[Path]:
    """Every ``.py`` file under ``root`` outside hidden folders (``.venv*``, ``.aws-sam``...) and build output."""
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not name.startswith(".") and name not in SKIPPED_DIRECTORIES and not name.endswith(".egg-info")
        )
        yield from (Path(directory) / name for name in sorted(names) if name.endswith(".py"))


def module_name(relative: Path) -> str:
    """The dotted name ``relative`` (a path inside the repository) is imported as."""
    parts = list(relative.with_suffix("").parts)
    if parts[0] == LAYERS_DIRECTORY and len(parts) > 2:
        parts = parts[2:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_of(module: str) -> str:
    """The top-level package a module belongs to."""
    return module.split(".", 1)[0]


def _statements(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every statement in ``nodes`` and in their blocks (function and class bodies, branches, handlers...)."""
    for node in nodes:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements(getattr(node, block, ()))


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """(dotted name, line) for every import statement in ``tree``, wherever it sits."""
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield (f"{base}.{alias.name}" if alias.name != "*" else base), node.lineno


def _repository_target(name: str, modules: set[str]) -> str | None:
    """The longest prefix of ``name`` that is a repository module (``None``: third-party or standard library)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


class UnreadableSource(ValueError):
    """A ``.py`` file of the tree that is not UTF-8 Python: its imports cannot be checked."""


def _parse(path: Path, root: Path) -> ast.Module:
    """``path``'s syntax tree; :class:`UnreadableSource` naming the file (and line) when it cannot be read."""
    where = path.relative_to(root)
    try:
        return ast.parse(path.read_text("utf-8"), filename=str(where))
    except UnicodeDecodeError as error:
        raise UnreadableSource(f"{where}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except SyntaxError as error:
        raise UnreadableSource(f"{where}:{error.lineno}: not Python ({error.msg})") from None


def read_imports(root: Path) -> tuple[dict[str, Path], list[Import]]:
    """Module name -> file, and every import of a repository module by a repository module.

    Raises :class:`UnreadableSource` for a file that is not UTF-8 Python (its imports would go unchecked).
    """
    files = {module_name(path.relative_to(root)): path for path in python_files(root)}
    modules = set(files)
    imports: set[Import] = set()
    for module, path in files.items():
        tree = _parse(path, root)
        for name, line in _imported_names(tree, module, path.name == "__init__.py"):
            target = _repository_target(name, modules)
            if target is not None and target != module:
                imports.add(Import(module, target, line))
    return files, sorted(imports, key=lambda item: (item.source, item.line, item.target))


# ---------------------------------------------------------------- checks
def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph``, each sorted, dependencies first (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _cycle_through(first: str, graph: dict[str, set[str]], members: set[str]) -> list[str]:
    """One shortest cycle from ``first`` back to itself inside ``members`` (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [first]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == first:
                    path = [node]
                    while path[-1] != first:
                        path.append(previous[path[-1]])
                    return [*reversed(path), first]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"{first} is in a strongly connected component but on no cycle")


def cycle_violations(files: dict[str, Path], imports: Iterable[Import], root: Path) -> list[str]:
    """One line per import cycle between modules outside ``tests/``."""
    graph: dict[str, set[str]] = defaultdict(set)
    for item in imports:
        if TESTS not in (package_of(item.source), package_of(item.target)):
            graph[item.source].add(item.target)
            graph.setdefault(item.target, set())
    violations = []
    for component in (members for members in strongly_connected(graph) if len(members) > 1):
        cycle = _cycle_through(component[0], graph, set(component))
        shown = " -> ".join(str(files[module].relative_to(root)) for module in cycle)
        violations.append(f"import cycle: {shown}")
    return violations


def rule_violations(
    files: dict[str, Path], imports: Iterable[Import], root: Path, rules: Iterable[Rule] = RULES
) -> dict[str, list[str]]:
    """Rule name -> one line per import that breaks it."""
    found: dict[str, list[str]] = {rule.name: [] for rule in rules}
    for rule in rules:
        for item in imports:
            if rule.applies_to(package_of(item.source)) and not rule.permits(package_of(item.target)):
                where = f"{files[item.source].relative_to(root)}:{item.line}"
                found[rule.name].append(f"{where} imports {item.target} - {rule.name}: {rule.why}")
    return found


def violations(root: Path = REPO_ROOT) -> list[str]:
    """Every cycle and every broken rule of the tree under ``root``."""
    files, imports = read_imports(root)
    lines = cycle_violations(files, imports, root)
    for broken in rule_violations(files, imports, root).values():
        lines.extend(broken)
    return lines


# ---------------------------------------------------------------- the package graph
def package_graph(modules: Iterable[str], imports: Iterable[Import]) -> dict[str, set[str]]:
    """Package -> the other repository packages it imports (every package of ``modules``, importing or not)."""
    graph: dict[str, set[str]] = {package_of(module): set() for module in modules}
    for item in imports:
        source, target = package_of(item.source), package_of(item.target)
        if source != target:
            graph[source].add(target)
    return graph


def floors(graph: dict[str, set[str]]) -> list[list[list[str]]]:
    """Packages by floor: floor 0 imports no other package, floor n only floors below it.

    Packages that import each other (a cycle) cannot be stacked: they share one floor, as one group.
    """
    level: dict[str, int] = {}
    stacked: list[list[list[str]]] = []
    for group in strongly_connected(graph):  # dependencies come first
        imported = {child for member in group for child in graph[member]} - set(group)
        number = 1 + max((level[child] for child in imported), default=-1)
        level.update(dict.fromkeys(group, number))
        stacked.extend([] for _ in range(number + 1 - len(stacked)))
        stacked[number].append(group)
    return [sorted(groups) for groups in stacked]


def render_graph(graph: dict[str, set[str]]) -> str:
    """The package graph floor by floor, each package with what it imports."""
    lines = []
    for number, groups in enumerate(floors(graph)):
        lines.append(f"floor {number}")
        for group in groups:
            if len(group) > 1:
                lines.append(f"  (these import each other: {', '.join(group)})")
            for package in group:
                imported = ", ".join(sorted(graph[package])) or "-"
                lines.append(f"  {package} -> {imported}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print violations (exit 1) or ``imports: ok``; ``--graph`` prints the package graph first."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="the tree to check (default: this repository)")
    parser.add_argument("--graph", action="store_true", help="print which package imports which, floor by floor")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.graph:
            files, imports = read_imports(root)
            print(render_graph(package_graph(files, imports)))
        found = violations(root)
    except UnreadableSource as error:
        print(f"imports: cannot check {error}", file=sys.stderr)
        return 1
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"imports: {len(found)} violation(s)", file=sys.stderr)
        return 1
    print("imports: ok (no cycle, every package on its floor)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
