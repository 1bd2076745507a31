"""Local stacks wait 1 s between polls (template parameter PollIntervalSeconds), AWS keeps the production waits."""

from __future__ import annotations

import json
import shlex
import tomllib

import pytest

from anime_recommender.pipeline.config import default_config_dict, load_config
from anime_recommender.pipeline.errors import ConfigError
from sam_app.template import REPO_ROOT, TemplateModel, load_template

LOOPS = ("lock", "datasets", "imports", "training", "deployment")


def _intervals(monkeypatch: pytest.MonkeyPatch, value: str | None, override: dict | None = None) -> dict[str, int]:
    if value is None:
        monkeypatch.delenv("POLL_INTERVAL_SECONDS", raising=False)
    else:
        monkeypatch.setenv("POLL_INTERVAL_SECONDS", value)
    polling = load_config(override).polling
    return {loop: getattr(polling, loop).intervalSeconds for loop in LOOPS}


def test_no_stack_interval_keeps_the_production_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    production = {loop: default_config_dict()["polling"][loop]["intervalSeconds"] for loop in LOOPS}
    assert min(production.values()) >= 15
    assert _intervals(monkeypatch, None) == production
    assert _intervals(monkeypatch, "0") == production


def test_the_stack_interval_replaces_every_wait_and_keeps_the_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _intervals(monkeypatch, "1") == dict.fromkeys(LOOPS, 1)
    assert load_config().polling.training.maxAttempts == default_config_dict()["polling"]["training"]["maxAttempts"]


def test_a_drop_config_still_wins_over_the_stack_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    intervals = _intervals(monkeypatch, "1", {"polling": {"training": {"intervalSeconds": 7}}})
    assert intervals["training"] == 7 and intervals["imports"] == 1


def test_a_bad_stack_interval_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="POLL_INTERVAL_SECONDS='soon' must be a whole number"):
        _intervals(monkeypatch, "soon")


def test_the_template_passes_the_parameter_to_every_function_with_production_as_default() -> None:
    template = TemplateModel(load_template())
    parameter = template.raw["Parameters"]["PollIntervalSeconds"]
    assert parameter["Default"] == 0
    variables = template.raw["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POLL_INTERVAL_SECONDS"] == {"Ref": "PollIntervalSeconds"}


@pytest.mark.parametrize("path", ["samconfig.toml", "local_cloud/samconfig-local.toml"])
def test_the_local_environment_deploys_with_one_second_waits(path: str) -> None:
    config = tomllib.loads((REPO_ROOT / path).read_text("utf-8"))
    overrides = shlex.split(config["local"]["deploy"]["parameters"]["parameter_overrides"])
    assert "PollIntervalSeconds=1" in overrides
    default = config.get("default", {}).get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    assert "PollIntervalSeconds" not in default  # AWS keeps the production waits


def test_every_cleanup_wait_reads_the_interval_its_stage_returned() -> None:
    states = json.loads((REPO_ROOT / "statemachine" / "cleanup.asl.json").read_text("utf-8"))["States"]
    waits = {name: state for name, state in states.items() if state["Type"] == "Wait"}
    assert len(waits) == 7
    for state in waits.values():
        assert "Seconds" not in state
        assert state["SecondsPath"] == states[state["Next"]]["ResultPath"] + ".waitSeconds"
