"""An ASL definition as an SVG graph: one box per state, arrows for Next / Choices / Default / Catch, and Map and
Parallel states drawn as boxes holding their own graphs (branches side by side).

Layout: states are ranked by the longest path from ``StartAt`` (loops back to an earlier state do not count), and
ordered within a rank by depth-first discovery along ``Next`` first, so the main path stays in the left column.
Every state name is escaped; the page colours the boxes by status (``g.state[data-state]``).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from html import escape
from typing import Any

NODE_WIDTH, NODE_HEIGHT = 200, 36
GAP_X, GAP_Y, PAD, LABEL = 26, 24, 14, 24


@dataclass
class Box:
    """A laid-out state (``children`` for Map / Parallel: one list of boxes per branch)."""

    name: str
    kind: str
    width: float = NODE_WIDTH
    height: float = NODE_HEIGHT
    x: float = 0.0
    y: float = 0.0
    children: list[Layout] = field(default_factory=list)


@dataclass
class Layout:
    """One ``States`` object laid out: boxes by name and the edges between them."""

    boxes: dict[str, Box]
    edges: list[tuple[str, str, str]]  # (from, to, kind: next | choice | catch)
    width: float
    height: float

    def shift(self, dx: float, dy: float) -> None:
        """Move everything (nested branches included)."""
        for box in self.boxes.values():
            box.x += dx
            box.y += dy
            for child in box.children:
                child.shift(dx, dy)


def transitions(state: dict[str, Any]) -> list[tuple[str, str]]:
    """(target, kind) of a state's outgoing transitions, main path first."""
    found = [(state["Next"], "next")] if "Next" in state else []
    found += [(choice["Next"], "choice") for choice in state.get("Choices", []) if "Next" in choice]
    found += [(state["Default"], "choice")] if "Default" in state else []
    found += [(catch["Next"], "catch") for catch in state.get("Catch", [])]
    return found


def _branches(state: dict[str, Any]) -> list[dict[str, Any]]:
    if state["Type"] == "Parallel":
        return list(state.get("Branches", []))
    if state["Type"] == "Map":
        return [state.get("ItemProcessor") or state.get("Iterator") or {"States": {}}]
    return []


def _ranks(states: dict[str, Any], start: str) -> tuple[list[str], dict[str, int], list[tuple[str, str, str]]]:
    """Discovery order, longest-path ranks over forward edges, and every edge."""
    order: list[str] = []
    finished: list[str] = []
    forward: dict[str, list[str]] = {name: [] for name in states}
    edges: list[tuple[str, str, str]] = []
    on_stack: set[str] = set()

    def visit(name: str) -> None:
        order.append(name)
        on_stack.add(name)
        for target, kind in transitions(states[name]):
            if target not in states:
                continue
            edges.append((name, target, kind))
            if target in on_stack:
                continue
            forward[name].append(target)
            if target not in order:
                visit(target)
        on_stack.discard(name)
        finished.append(name)

    visit(start)
    for name in states:  # unreachable states still get drawn
        if name not in order:
            visit(name)
    rank = dict.fromkeys(states, 0)
    for name in reversed(finished):  # reverse finishing order is a topological order of the forward edges
        for target in forward[name]:
            rank[target] = max(rank[target], rank[name] + 1)
    return order, rank, edges


def _handlers(states: dict[str, Any], start: str) -> set[str]:
    """States reached only through a ``Catch`` (drawn in lanes right of the others)."""
    reached, todo = {start}, [start]
    while todo:
        for target, kind in transitions(states[todo.pop()]):
            if kind != "catch" and target in states and target not in reached:
                reached.add(target)
                todo.append(target)
    return set(states) - reached


def layout(definition: dict[str, Any]) -> Layout:
    """Lay out a ``{"StartAt", "States"}`` object (recursively for Map / Parallel)."""
    states = definition.get("States", {})
    if not states:
        return Layout({}, [], 0, 0)
    order, rank, edges = _ranks(states, definition.get("StartAt", next(iter(states))))
    boxes = {name: _box(name, states[name]) for name in order}
    handlers = _handlers(states, definition.get("StartAt", next(iter(states))))
    rows: dict[int, list[Box]] = {}
    for name in order:
        rows.setdefault(rank[name], []).append(boxes[name])
    lanes = max(sum(1 for box in row if box.name not in handlers) for row in rows.values())
    placed: dict[int, list[tuple[int, Box]]] = {}
    for index, row in rows.items():
        normal = [box for box in row if box.name not in handlers]
        handling = [box for box in row if box.name in handlers]
        placed[index] = [*enumerate(normal), *((lanes + i, box) for i, box in enumerate(handling))]
    columns: dict[int, float] = {}
    for row_boxes in placed.values():
        for column, box in row_boxes:
            columns[column] = max(columns.get(column, 0), box.width)
    lefts = {column: sum(columns.get(c, 0) + GAP_X for c in range(column)) for column in columns}
    top = 0.0
    for index in sorted(rows):
        row = rows[index]
        for column, box in placed[index]:
            offset_x = lefts[column] + (columns[column] - box.width) / 2
            box.x, box.y = offset_x, top
            for child in box.children:
                child.shift(offset_x, top)
        top += max(box.height for box in row) + GAP_Y
    width = max(lefts[column] + columns[column] for column in columns)
    return Layout(boxes, edges, width, top - GAP_Y)


def _box(name: str, state: dict[str, Any]) -> Box:
    branches = [layout(branch) for branch in _branches(state)]
    if not branches:
        return Box(name, state["Type"])
    left = PAD
    for branch in branches:
        branch.shift(left, LABEL + PAD)
        left += branch.width + GAP_X
    width = max(left - GAP_X + PAD, NODE_WIDTH)
    height = LABEL + PAD * 2 + max(branch.height for branch in branches)
    return Box(name, state["Type"], width=width, height=height, children=branches)


def _label(name: str, x: float, y: float, width: float, lines_max: int = 2) -> str:
    lines = textwrap.wrap(name, width=int(width / 7.2)) or [""]
    if len(lines) > lines_max:
        lines = [*lines[: lines_max - 1], textwrap.shorten(" ".join(lines[lines_max - 1 :]), int(width / 7.2))]
    first = y - (len(lines) - 1) * 7
    return "".join(
        f'<text x="{x:.0f}" y="{first + 14 * i:.0f}" text-anchor="middle" dominant-baseline="middle">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )


def _edge(source: Box, target: Box, kind: str) -> str:
    if target.y > source.y:  # downwards: bottom centre -> top centre
        x1, y1 = source.x + source.width / 2, source.y + source.height
        x2, y2 = target.x + target.width / 2, target.y
        bend = max((y2 - y1) / 2, 12)
        path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{y1 + bend:.0f} {x2:.0f},{y2 - bend:.0f} {x2:.0f},{y2:.0f}"
    elif target.y == source.y:  # sideways
        x1, y1 = source.x + (source.width if target.x > source.x else 0), source.y + source.height / 2
        x2, y2 = target.x + (0 if target.x > source.x else target.width), target.y + target.height / 2
        path = f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}"
    else:  # a loop back up: out of the right side, into the right side
        x1, y1 = source.x + source.width, source.y + source.height / 2
        x2, y2 = target.x + target.width, target.y + target.height / 2
        reach = max(x1, x2) + 30
        path = f"M{x1:.0f},{y1:.0f} C{reach:.0f},{y1:.0f} {reach:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    return f'<path class="edge {kind}" d="{path}" marker-end="url(#arrow-{kind})"/>'


def _draw(graph: Layout, parts: list[str]) -> None:
    for source, target, kind in graph.edges:
        parts.append(_edge(graph.boxes[source], graph.boxes[target], kind))
    for box in graph.boxes.values():
        name = escape(box.name, quote=True)
        kind = escape(box.kind.lower(), quote=True)
        parts.append(f'<g class="state {kind}" data-state="{name}" tabindex="0"><title>{name} ({kind})</title>')
        if box.children:
            parts.append(
                f'<rect class="box container" x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width:.0f}" '
                f'height="{box.height:.0f}" rx="8"/>'
            )
            parts.append(_label(f"{box.name} ({box.kind})", box.x + box.width / 2, box.y + LABEL / 2 + 4, box.width, 1))
            parts.append("</g>")
            for child in box.children:
                _draw(child, parts)
            continue
        radius = 19 if box.kind in {"Succeed", "Fail"} else 6
        parts.append(
            f'<rect class="box" x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width:.0f}" '
            f'height="{box.height:.0f}" rx="{radius}"/>'
        )
        parts.append(_label(box.name, box.x + box.width / 2, box.y + box.height / 2, box.width))
        parts.append(
            f'<text class="badge" x="{box.x + box.width - 6:.0f}" y="{box.y + 10:.0f}" text-anchor="end"></text>'
        )
        parts.append("</g>")


def render_svg(definition: dict[str, Any]) -> str:
    """The definition as an ``<svg>`` element (every name escaped)."""
    graph = layout(definition)
    margin = 12
    graph.shift(margin, margin)
    width, height = graph.width + 2 * margin + 40, graph.height + 2 * margin
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="state machine graph">',
        "<defs>",
        *(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path class="arrow {kind}" d="M0,0 L10,5 L0,10 z"/></marker>'
            for kind in ("next", "choice", "catch")
        ),
        "</defs>",
    ]
    _draw(graph, parts)
    parts.append("</svg>")
    return "".join(parts)
