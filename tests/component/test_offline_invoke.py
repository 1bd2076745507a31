"""make invoke: one function of template.yaml with an events/ file on the offline stack (sam local invoke without
Docker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline import invoke
from sam_app.template import REPO_ROOT, TemplateModel, load_template

EVENTS = REPO_ROOT / "events"


@pytest.fixture
def template() -> TemplateModel:
    return TemplateModel(load_template())


@pytest.fixture
def offline_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Personalize Local state and no demo output: the invocation depends on nothing left behind."""
    monkeypatch.setattr(invoke, "STATE_DIR", tmp_path / "state")
    monkeypatch.setattr(invoke, "DEMO_OUTPUT", tmp_path / "demo-output")
    return tmp_path


def test_functions_are_found_by_logical_id_or_code_folder(template: TemplateModel) -> None:
    assert invoke.find_function(template, "ResolveDropFunction") == "ResolveDropFunction"
    assert invoke.find_function(template, "resolvedropfunction") == "ResolveDropFunction"
    assert invoke.find_function(template, "prepare_data") == "PrepareDataFunction"
    with pytest.raises(
        invoke.InvokeError, match=r"no function 'nope' .* RecommendationsApiFunction \(recommendations_api\)"
    ):
        invoke.find_function(template, "nope")


def test_a_missing_or_broken_event_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(invoke.InvokeError, match=r"does not exist \(examples in events/: .*resolve-drop\.json"):
        invoke.read_event(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text('{"bucket": ', encoding="utf-8")
    with pytest.raises(invoke.InvokeError, match="is not JSON: Expecting value at line 1"):
        invoke.read_event(tmp_path / "bad.json")


def test_buckets_named_by_events_are_found() -> None:
    assert invoke.event_buckets(invoke.read_event(EVENTS / "resolve-drop.json")) == {
        "anime-recommender-databucket-example"
    }
    assert invoke.event_buckets(invoke.read_event(EVENTS / "prepare-data.json")) == {
        "anime-recs-data-123456789012-us-east-1"
    }


def test_every_sample_event_is_json_and_the_resolve_event_wraps_the_s3_event() -> None:
    for path in EVENTS.glob("*.json"):
        invoke.read_event(path)
    wrapped = invoke.read_event(EVENTS / "resolve-drop.json")
    assert wrapped["event"] == invoke.read_event(EVENTS / "s3-object-created.json")


def test_invoking_resolve_drop_prints_its_result_as_json(offline_dirs: Path, capsys) -> None:
    assert invoke.main(["resolve_drop", str(EVENTS / "resolve-drop.json")]) == 0
    captured = capsys.readouterr()
    # The result is the indented JSON document at the end (loggers made by earlier tests of this process may still
    # write their lines to the captured stdout; in a fresh `make invoke` process they go to stderr).
    result = json.loads(captured.out[captured.out.index("{\n") :])
    assert result["status"] == "INCOMPLETE"
    assert "incoming/2020-06/ is not complete yet" in result["reason"]
    assert "created the event's bucket 'anime-recommender-databucket-example'" in captured.err


def test_a_handler_that_raises_gives_the_error_and_exit_code_1(offline_dirs: Path, capsys) -> None:
    assert invoke.main(["PrepareDataFunction", str(EVENTS / "prepare-data.json")]) == 1
    out = capsys.readouterr().out
    error = json.loads(out[out.index("{\n") :])
    assert error["errorType"] == "DataValidationError"
    assert "anime.csv" in error["errorMessage"]


def test_the_forwarder_gets_a_dead_letter_queue_and_parks_poison_records(offline_dirs: Path, capsys) -> None:
    """DLQ_URL names a queue the offline stack does not deploy: invoke creates it, so the eight poison records are
    parked there instead of the handler failing. Without a demo there is no event tracker yet, so the two valid
    events (the batch's first and last records) are handed back to Kinesis for a retry."""
    records = invoke.read_event(EVENTS / "kinesis-poison-records.json")["Records"]
    assert invoke.main(["ForwardEventsFunction", str(EVENTS / "kinesis-poison-records.json")]) == 0
    out = capsys.readouterr().out
    retried = [item["itemIdentifier"] for item in json.loads(out[out.index("{\n") :])["batchItemFailures"]]
    assert retried == [records[0]["kinesis"]["sequenceNumber"], records[-1]["kinesis"]["sequenceNumber"]]
