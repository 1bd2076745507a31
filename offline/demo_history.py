"""The demo's record of earlier runs, kept next to Personalize Local's state (so a reset forgets both)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HISTORY_FILE = "demo-history.json"


def load_history(state_dir: Path) -> list[dict[str, Any]]:
    """Earlier runs, oldest first (empty without state)."""
    path = state_dir / HISTORY_FILE
    return json.loads(path.read_text("utf-8")) if path.is_file() else []


def record_run(state_dir: Path, drop: str, evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """Append this run's metrics and promotions; the whole history."""
    history = load_history(state_dir)
    history.append(
        {
            "drop": drop,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "primaryMetric": evaluation["primaryMetric"],
            "metrics": evaluation["metrics"],
            "promoted": list(evaluation["promoted"]),
        }
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / HISTORY_FILE).write_text(json.dumps(history, indent=2) + "\n", encoding="utf-8")
    return history
