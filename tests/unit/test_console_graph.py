"""The ASL -> SVG graph: every state drawn once, containers hold their branches, names escaped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from console.graph import layout, render_svg, transitions
from sam_app.template import REPO_ROOT
from tests.support.console_runs import CAUGHT, HOSTILE_STATE

SVG = "{http://www.w3.org/2000/svg}"


def _all_states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for name, state in definition["States"].items():
        found[name] = state
        for branch in [state.get("ItemProcessor"), *state.get("Branches", [])]:
            if branch:
                found.update(_all_states(branch))
    return found


def _drawn(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # also proves the SVG is well-formed XML
    return {g.get("data-state"): g for g in root.iter(f"{SVG}g") if "state" in g.get("class", "").split()}


def test_every_state_of_both_machines_is_drawn_once_with_its_transitions() -> None:
    for path in sorted((REPO_ROOT / "statemachine").glob("*.asl.json")):
        definition = json.loads(path.read_text("utf-8"))
        svg = render_svg(definition)
        drawn = _drawn(svg)
        states = _all_states(definition)
        assert set(drawn) == set(states), path.name
        expected_edges = sum(len(transitions(state)) for state in states.values())
        assert svg.count('class="edge ') == expected_edges, path.name


def test_map_state_is_a_box_around_its_iteration_states() -> None:
    definition = json.loads((REPO_ROOT / "statemachine" / "retrain.asl.json").read_text("utf-8"))
    top = layout(definition)
    train = top.boxes["Train solutions"]
    assert len(train.children) == 1
    inner = train.children[0].boxes
    assert set(inner) == set(definition["States"]["Train solutions"]["ItemProcessor"]["States"])
    for box in inner.values():
        assert train.x < box.x and box.x + box.width < train.x + train.width
        assert train.y < box.y and box.y + box.height < train.y + train.height
    others = [box for name, box in top.boxes.items() if name != "Train solutions"]
    for box in others:  # nothing else overlaps the container
        apart = box.x + box.width <= train.x or box.x >= train.x + train.width
        assert apart or box.y + box.height <= train.y or box.y >= train.y + train.height, box.name


def test_main_path_runs_down_and_catch_handlers_sit_in_lanes_to_the_right() -> None:
    definition = json.loads((REPO_ROOT / "statemachine" / "retrain.asl.json").read_text("utf-8"))
    boxes = layout(definition).boxes
    path = ["Resolve the drop", "Prepare data", "Ensure datasets", "Import data", "Evaluate metrics", "Retrained"]
    assert [boxes[name].y for name in path] == sorted(boxes[name].y for name in path)
    assert boxes["Prepare data failed"].x > boxes["Prepare data"].x
    assert boxes["Release the drop lock after failure"].x > boxes["Wait for the imports"].x


def test_state_names_are_escaped() -> None:
    svg = render_svg(CAUGHT)
    assert "<b>" not in svg
    assert "&lt;b&gt;state&lt;/b&gt; &amp;" in svg
    assert HOSTILE_STATE in _drawn(svg)
