"""make demo twice on your own files (--drop), state kept: the second run's worse models are refused, the live
campaigns keep serving it, and the run history chart appears."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from offline import demo
from offline.demo_history import load_history
from sample_data.generate import generate_dataset

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(demo, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(demo, "STATE_DIR", tmp_path / ".personalize-local")
    monkeypatch.setattr(demo, "OUTPUT_DIR", tmp_path / "demo-output")
    monkeypatch.setitem(demo.POLL_SECONDS, "yours", 0.1)  # tiny drops train in a second
    return tmp_path


def scrambled_copy(source: Path, target: Path) -> Path:
    """The same catalog with ratings whose anime are shuffled: no taste left to learn, so worse models."""
    target.mkdir()
    for name in ("anime.csv", "anime_with_synopsis.csv"):  # the same items schema as the first drop
        shutil.copy(source / name, target / name)
    ratings = pd.read_csv(source / "rating_complete.csv")
    ratings["anime_id"] = np.random.default_rng(7).permutation(ratings["anime_id"].to_numpy())
    ratings.drop_duplicates(["user_id", "anime_id"]).to_csv(target / "rating_complete.csv", index=False)
    return target


def test_a_second_run_keeps_the_live_campaigns_and_still_recommends(demo_dirs: Path, capsys) -> None:
    first = demo_dirs / "first"
    generate_dataset("tiny", first, seed=3)
    assert demo.main(["--drop", str(first)]) == 0
    assert "KEEPING" not in capsys.readouterr().out

    assert demo.main(["--drop", str(scrambled_copy(first, demo_dirs / "second"))]) == 0
    out = capsys.readouterr().out
    assert "KEEPING Personalize Local's state from 1 earlier run" in out
    assert "put back from the last run" in out
    assert "user-personalization  KEPT LIVE" in out
    assert "Top 10 for user" in out  # answered by the campaign the first run deployed
    assert [run["drop"] for run in load_history(demo.STATE_DIR)] == ["first-1", "second-2"]
    assert (demo.OUTPUT_DIR / "metrics.png").is_file() and (demo.OUTPUT_DIR / "metrics-history.png").is_file()
