"""The step models say exactly what the steps emit (same keys, same order), accept the sample events, and make a
handler fail on a bad input with an error naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from anime_recommender.contracts.steps.evaluate_metrics import BaselineCheck, PromotionDecision
from anime_recommender.contracts.steps.prepare_data import PrepareDataInput
from anime_recommender.contracts.steps.resolve_drop import ReleaseInput, ResolveDropInput, ResolveInput
from anime_recommender.contracts.steps.state import DropDescription, PollSection
from anime_recommender.pipeline.config import PollBudget, load_config
from anime_recommender.pipeline.drop import Drop, DropFile
from anime_recommender.pipeline.polling import poll_result
from anime_recommender.pipeline.promotion import decide
from anime_recommender.pipeline.status import ResourceState
from sam_app.handlers import LambdaContext, load_handler

ROOT = Path(__file__).resolve().parents[2]
METRIC = "normalized_discounted_cumulative_gain_at_10"


def _same_json(model: Any, emitted: dict[str, Any]) -> None:
    """Validating what the domain emitted and dumping it again gives the very same JSON text."""
    assert json.dumps(model.model_validate(emitted).to_state()) == json.dumps(emitted)


def test_a_drop_description_travels_unchanged() -> None:
    drop = Drop(
        "bucket-1",
        "incoming/2020-06/",
        {
            "anime.csv": DropFile("incoming/2020-06/anime.csv", "e1", 10, "2026-06-01T09:30:00.000000Z"),
            "rating_complete.csv": DropFile("incoming/2020-06/rating_complete.csv", "e2", 20, "2026-06-01T09:29:00Z"),
        },
    )
    _same_json(DropDescription, {**drop.describe(), "executionArn": "arn:aws:states:us-east-1:1:execution:m:e"})


@pytest.mark.parametrize("pending", [False, True])
def test_a_poll_section_travels_unchanged(pending: bool) -> None:
    state = ResourceState("dataset", "anime-recs-items", "arn:x", "CREATE PENDING" if pending else "ACTIVE")
    _same_json(
        PollSection, poll_result("creating", [state], attempt=0, budget=PollBudget(intervalSeconds=1, maxAttempts=9))
    )


@pytest.mark.parametrize(
    ("override", "live"),
    [
        ({}, {}),
        ({}, {"sims": {METRIC: 0.3}, "user-personalization": None}),
        ({"promotion": {"requireBeatBaseline": False}}, {"personalized-ranking": {METRIC: 0.1}}),
    ],
)
def test_promotion_decisions_and_the_baseline_check_travel_unchanged(override: dict, live: dict) -> None:
    candidates = {
        key: {METRIC: value}
        for key, value in zip(
            ("popularity-count", "user-personalization", "sims", "personalized-ranking"),
            (0.1, 0.3, 0.2, 0.25),
            strict=True,
        )
    }
    outcome = decide(load_config(override), candidates, live)
    for key, decision in outcome["decisions"].items():
        if key in live:
            decision["liveSolutionVersionArn"] = None
        decision["solutionVersionArn"] = f"arn:solution/{key}/version/1"
    _same_json(BaselineCheck, outcome["baseline"])
    for decision in outcome["decisions"].values():
        _same_json(PromotionDecision, decision)


def test_the_sample_events_are_valid_step_inputs() -> None:
    resolve = TypeAdapter(ResolveDropInput).validate_python(json.loads((ROOT / "events/resolve-drop.json").read_text()))
    assert isinstance(resolve, ResolveInput)
    PrepareDataInput.model_validate(json.loads((ROOT / "events/prepare-data.json").read_text()))


def test_the_action_picks_the_input_model_and_resolve_is_the_default() -> None:
    adapter = TypeAdapter(ResolveDropInput)
    assert isinstance(adapter.validate_python({"executionArn": "e"}), ResolveInput)
    with pytest.raises(ValidationError, match="action must be resolve, acquire or release"):
        adapter.validate_python({"action": "steal", "executionArn": "e"})
    with pytest.raises(ValidationError, match=r"drop\s+Field required"):
        adapter.validate_python({"action": "release", "outcome": "FAILED"})
    assert ReleaseInput.model_fields["outcome"].default == "FAILED"


def _handler(step: str) -> Any:
    function = load_handler(ROOT / "functions" / step, name=f"test_step_contracts_{step}")
    context = LambdaContext.for_function(step)
    return lambda event: function(event, context)


def test_a_handler_refuses_a_state_without_a_section_it_reads_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "anime-recs")
    state = {"config": load_config(None).model_dump(mode="json"), "prepared": {"bucket": "b"}}
    with pytest.raises(ValidationError) as raised:
        _handler("ensure_datasets")(state)
    fields = {".".join(str(part) for part in error["loc"]) for error in raised.value.errors()}
    assert {"prepared.schemas", "prepared.interactionsUri", "prepared.counts"} <= fields
    assert "prepared.schemas\n  Field required" in str(raised.value)


def test_a_handler_refuses_a_key_the_contract_does_not_know(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "anime-recs")
    event = {"recipe": load_config(None).recipes[0].model_dump(mode="json"), "datasetGroupArn": "g", "contentHash": "h"}
    event |= {"polling": {"intervalSeconds": 1, "maxAttempts": 2}, "training": {"complete": True, "attemp": 1}}
    with pytest.raises(ValidationError, match=r"training\.attemp\s+Extra inputs are not permitted"):
        _handler("train_solutions")(event)
