"""The offline stack records its executions for the console: after the process is gone, the recorded run shows
the retrain machine's states as the real ASL and handlers ran them."""

from __future__ import annotations

from pathlib import Path

from console.model import state_summaries
from console.reader import StepFunctionsReader
from console.recorded import RecordedStepFunctions
from offline.harness import RUNS_DIR_NAME, offline_pipeline

QUIET = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}


def test_an_incomplete_drop_is_recorded_with_both_machines(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "rating_complete.csv").write_text("user_id,anime_id,rating\n1,1,9\n", encoding="utf-8")
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        stack.upload_drop(drop, "partial")
        (arn,) = stack.start_triggered_executions()
        assert stack.wait(arn, timeout=60)["status"] == "SUCCEEDED"

    recorded = StepFunctionsReader(RecordedStepFunctions(tmp_path / RUNS_DIR_NAME))
    names = {machine["name"] for machine in recorded.machines()}
    assert names == {"anime-recs-retrain", "anime-recs-cleanup"}
    execution = recorded.execution(arn)
    assert execution["status"] == "SUCCEEDED"
    assert '"INCOMPLETE"' in execution["output"]
    states = state_summaries(recorded.history(arn), execution["status"])
    assert {name: summary.status for name, summary in states.items()} == {
        "Resolve the drop": "succeeded",
        "Is the drop ready?": "succeeded",
        "Nothing to do": "succeeded",
    }
