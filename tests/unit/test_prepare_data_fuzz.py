"""Fuzzing the prepare step with generated Kaggle drops (strategies in prepare_data/strategies.py).

Whatever the bytes, the real step (``prepare_drop`` over the ``Storage`` it uses in production, here local
directories) ends in one of two documented ways, and the report accounts for every row:

* success: per input file, rows read = rows written + rows rejected + rows merged, as report.json counts them;
  every rejected.csv row names a file of the drop, a data line and a known rule; report.json's rule counts match
  rejected.csv; no NUL byte reaches an output; for the interaction files and anime.csv, whose values never hold a
  line break, rows read = the file's lines (so a quote cannot have swallowed a line);
* ``DataValidationError`` naming a file of the drop, after report.json (status failed, the same error) and
  rejected.csv are written, and with no dataset file published.

No other exception type may escape. The same drops run on S3 (moto, ``S3Storage``, the Lambda's storage) must give
the same outcome and the same bytes as on local files. Runs are bounded by Hypothesis's default example count;
HYPOTHESIS_PROFILE=fuzz (tests/conftest.py) runs many more.
"""

from __future__ import annotations

import codecs
import csv
import json
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import event, given

from anime_recommender.prepare_data import DataValidationError
from anime_recommender.prepare_data.rules import RULES, RuleAction
from tests.support.prepare_data.runs import DATASETS, FUZZ_SETTINGS, prepare_locally
from tests.support.prepare_data.strategies import Drop, clean_rating_drops, kaggle_drops

pytestmark = pytest.mark.fuzz
INTERACTION_FILES = ("rating_complete.csv", "animelist.csv")
ONE_LINE_PER_ROW = (*INTERACTION_FILES, "anime.csv")  # no column of these may hold a line break


def _data_lines(data: bytes) -> int:
    """Lines after the header, counted the way editors (and Python's universal newlines) count them."""
    return len(data.removeprefix(codecs.BOM_UTF8).splitlines()) - 1


def _check_success(drop: Drop, out: Path, report: dict) -> None:
    assert report["status"] == "succeeded" and report["error"] is None
    inputs = report["inputs"]
    for name, counts in inputs.items():
        assert name in drop.files
        assert counts["rowsRead"] == counts["rowsWritten"] + counts["rowsRejected"] + counts["rowsMerged"], name
        if name in ONE_LINE_PER_ROW:
            assert counts["rowsRead"] == _data_lines(drop.files[name]), name
    assert (
        sum(inputs[name]["rowsWritten"] for name in INTERACTION_FILES if name in inputs)
        == (report["counts"]["interactions"])
    )
    with open(out / "rejected.csv", newline="", encoding="utf-8") as handle:
        parked = list(csv.DictReader(handle))
    for row in parked:
        assert row["file"] in inputs and int(row["line"]) >= 2 and row["rule"] in RULES, row
    parked_counts = Counter(row["rule"] for row in parked)
    for rule_id, entry in report["rules"].items():
        if entry["action"] in (RuleAction.REJECTED, RuleAction.NULLED):
            assert parked_counts[rule_id] == entry["count"], rule_id
        for example in entry["examples"]:
            assert example["file"] in inputs and example["line"] >= 2
    rejected = Counter(row["file"] for row in parked if RULES[row["rule"]].action is RuleAction.REJECTED)
    assert {name: counts["rowsRejected"] for name, counts in inputs.items() if counts["rowsRejected"]} == rejected
    for name in DATASETS:
        data = (out / name).read_bytes()
        assert b"\x00" not in data and b"\\u0000" not in data, name  # raw, or escaped by JSON


def _check_failure(drop: Drop, out: Path, report: dict, error: DataValidationError) -> None:
    assert error.file in drop.files or error.file in INTERACTION_FILES, error.message
    assert (
        error.message.startswith(f"{error.file}: ")
        or "After cleaning" in error.message
        or "interaction file" in (error.message)
    )
    assert error.message.endswith("The drop was not imported.") and "\n" not in error.message
    assert report["status"] == "failed" and report["error"] == error.as_report()
    assert sorted(p.name for p in out.iterdir()) == ["rejected.csv", "report.json"]


@FUZZ_SETTINGS
@given(drop=kaggle_drops())
def test_any_drop_is_prepared_or_refused_and_every_row_is_accounted_for(drop: Drop) -> None:
    with tempfile.TemporaryDirectory(prefix="prepare-fuzz-") as directory:
        error, out = prepare_locally(drop, Path(directory))
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        if error is None:
            event("prepared")
            _check_success(drop, out, report)
        else:
            event(f"refused: {error.message.split(':')[1][:40] if ':' in error.message else error.message[:40]}")
            _check_failure(drop, out, report, error)


@FUZZ_SETTINGS
@given(case=clean_rating_drops())
def test_valid_rows_come_through_whatever_the_line_endings_bom_and_quoting(
    case: tuple[Drop, set[tuple[int, int, int]]],
) -> None:
    drop, expected = case
    with tempfile.TemporaryDirectory(prefix="prepare-fuzz-") as directory:
        error, out = prepare_locally(drop, Path(directory))
        assert error is None
        with open(out / "interactions.csv", newline="", encoding="utf-8") as handle:
            rows = {(int(r["USER_ID"]), int(r["ITEM_ID"]), int(r["EVENT_VALUE"])) for r in csv.DictReader(handle)}
        assert rows == expected
        assert json.loads((out / "report.json").read_text())["counts"]["rejectedRows"] == 0
