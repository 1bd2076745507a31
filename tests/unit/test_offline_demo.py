"""make demo's parts that need no pipeline run: charts, run history, state handling, progress lines, bad drops."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest

from offline import demo
from offline.charts import comparison_chart, history_chart, metric_order, recipe_order
from offline.demo_history import load_history, record_run
from tests.support.prepare_data.drops import FIXTURES

PRIMARY = "normalized_discounted_cumulative_gain_at_10"
METRICS = {
    "popularity-count": {"coverage": 0.01, PRIMARY: 0.11, "precision_at_10": 0.05},
    "user-personalization": {"coverage": 0.36, PRIMARY: 0.19, "precision_at_10": 0.08},
    "sims": {PRIMARY: 0.05, "coverage": 0.57, "precision_at_10": 0.02},
    "personalized-ranking": {
        "coverage": 0.3,
        "normalized_discounted_cumulative_gain_at_10": 0.18,
        "precision_at_10": 0.07,
    },
}
EVALUATION = {
    "metrics": METRICS,
    "primaryMetric": PRIMARY,
    "decisions": {"user-personalization": {"promote": True}, "sims": {"promote": False}},
    "promoted": ["user-personalization"],
}


def test_metrics_come_in_one_order_for_every_recipe_primary_first_coverage_last() -> None:
    ranking_sorted = {
        "x": dict(sorted({"coverage": 1, "precision_at_10": 1, PRIMARY: 1, "mean_reciprocal_rank_at_25": 1}.items()))
    }
    assert metric_order(ranking_sorted, PRIMARY) == [
        PRIMARY,
        "mean_reciprocal_rank_at_25",
        "precision_at_10",
        "coverage",
    ]
    assert metric_order(METRICS, "precision_at_10") == ["precision_at_10", PRIMARY, "coverage"]
    assert recipe_order(METRICS)[-1] == "popularity-count"


def test_the_comparison_and_history_charts_are_images(tmp_path: Path) -> None:
    comparison = comparison_chart(EVALUATION, tmp_path / "metrics.png")
    history = [
        {"drop": "demo-1", "primaryMetric": PRIMARY, "metrics": METRICS, "promoted": ["sims"]},
        {"drop": "demo-2", "primaryMetric": PRIMARY, "metrics": METRICS, "promoted": []},
    ]
    over_time = history_chart(history, tmp_path / "history.png")
    for path in (comparison, over_time):
        height, width, _ = plt.imread(path).shape
        assert width > 600 and height > 400


def test_run_history_is_kept_with_the_state(tmp_path: Path) -> None:
    assert load_history(tmp_path) == []
    record_run(tmp_path, "demo-1", EVALUATION)
    history = record_run(tmp_path, "demo-2", {**EVALUATION, "promoted": []})
    assert [run["drop"] for run in load_history(tmp_path)] == ["demo-1", "demo-2"] == [run["drop"] for run in history]
    assert history[0]["promoted"] == ["user-personalization"] and history[1]["metrics"] == METRICS


@pytest.fixture
def demo_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(demo, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(demo, "STATE_DIR", tmp_path / ".personalize-local")
    monkeypatch.setattr(demo, "OUTPUT_DIR", tmp_path / "demo-output")
    return tmp_path


def test_state_is_kept_by_default_and_said_so_and_reset_forgets_it(demo_dirs: Path, capsys) -> None:
    record_run(demo.STATE_DIR, "demo-1", EVALUATION)
    assert len(demo.prepare_state(reset=False)) == 1
    assert "KEEPING Personalize Local's state from 1 earlier run" in capsys.readouterr().out
    assert demo.prepare_state(reset=True) == []
    assert not demo.STATE_DIR.exists()
    assert "--reset: deleted .personalize-local/" in capsys.readouterr().out


def test_a_bad_drop_is_refused_before_anything_is_deployed(demo_dirs: Path, capsys) -> None:
    drop = demo_dirs / "my-files"
    drop.mkdir()
    shutil.copy(FIXTURES / "rating_complete.csv", drop / "rating_complete.csv")
    assert demo.main(["--drop", str(drop)]) == 2
    out = capsys.readouterr().out
    assert "anime.csv is missing" in out and "[2/5]" not in out


def test_your_drop_is_verified_and_named_after_its_folder(demo_dirs: Path) -> None:
    drop = demo_dirs / "kaggle-2020"
    drop.mkdir()
    for name in ("anime.csv", "rating_complete.csv", "animelist.csv"):
        shutil.copy(FIXTURES / name, drop / name)
    (drop / "notes.txt").write_text("mine", encoding="utf-8")
    args = demo.parse_args(["--drop", str(drop)])
    directory, name, files = demo.drop_files(args, history=[{}])
    assert (directory, name) == (drop, "kaggle-2020-2")
    assert files == ["animelist.csv", "rating_complete.csv", "anime.csv"]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _exited(event_id: int, name: str, output: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "TaskStateExited",
        "stateExitedEventDetails": {"name": name, "output": json.dumps(output)},
    }


def test_progress_names_each_training_and_says_what_is_still_running(monkeypatch, capsys) -> None:
    clock = Clock()
    monkeypatch.setattr(demo.time, "monotonic", clock)
    printer = demo.ProgressPrinter(started=clock.now)
    training = {"recipe": "sims", "attempt": 1, "complete": False}
    printer({"id": 1, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Train solution"}})
    printer(_exited(2, "Train solution", {"training": training}))
    printer(_exited(2, "Train solution", {"training": training}))  # read again after a heartbeat: ignored
    clock.now += 5
    printer.heartbeat()  # too soon after the last line
    clock.now += demo.HEARTBEAT_SECONDS
    printer(_exited(3, "Train solution", {"training": {**training, "attempt": 7}}))
    printer.heartbeat()
    printer(_exited(4, "Train solution", {"training": {**training, "attempt": 8, "complete": True}}))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(None, 1)[1] for line in lines] == [
        "Train solution         sims: training started",
        "Train solutions        still training: sims 20 s (poll 7)",
        "Train solution         sims trained after 8 polls",
    ]
