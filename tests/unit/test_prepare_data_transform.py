"""The transform on good data: golden sample, merge rules, timestamps windows, determinism, generated data."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from anime_recommender.prepare_data.timestamps import DEFAULT_SNAPSHOT_DATE, MAL_LAUNCH, epoch_seconds
from sample_data.generate import generate_dataset
from tests.support.prepare_data.drops import FIXTURES, GOLDEN, animelist_lines, make_drop, rating_lines, run

GOLDEN_FILES = ("anime.csv", "anime_with_synopsis.csv", "rating_complete.csv", "animelist.csv")
SMALL = {"min_interactions": 1, "min_users_with_two_interactions": 1}


def _golden_drop(tmp_path: Path) -> Path:
    drop = tmp_path / "drop"
    drop.mkdir()
    for name in GOLDEN_FILES:
        shutil.copy(FIXTURES / name, drop / name)
    return drop


def test_golden_sample_gives_the_expected_files(tmp_path: Path) -> None:
    outcome = run(_golden_drop(tmp_path), tmp_path / "out", **SMALL)
    for name in ("interactions.csv", "items.csv"):
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == (GOLDEN / name).read_text(encoding="utf-8")
    catalog = json.loads((tmp_path / "out" / "catalog.json").read_text(encoding="utf-8"))
    assert catalog == json.loads((GOLDEN / "catalog.json").read_text(encoding="utf-8"))
    assert outcome.result.event_types == ["COMPLETED", "DROPPED", "ON_HOLD", "PLAN_TO_WATCH", "RATING", "WATCHING"]
    assert outcome.result.counts == {"interactions": 18, "users": 5, "items": 12, "rejectedRows": 0}
    assert outcome.result.with_synopsis


def test_golden_merge_rules(tmp_path: Path) -> None:
    """animelist.csv wins over rating_complete.csv for the same pair; the rest of both files is kept."""
    rows = run(_golden_drop(tmp_path), tmp_path / "out", **SMALL).rows()
    assert (0, 1, "COMPLETED", "9") in rows and (0, 1, "RATING", "9") not in rows
    assert (3, 1, "COMPLETED", "10") in rows
    assert (0, 16, "RATING", "7") in rows  # only in rating_complete.csv
    assert (0, 150, "PLAN_TO_WATCH", "") in rows  # rating 0 = not scored → empty EVENT_VALUE
    assert len(rows) == 18


def test_golden_items_mapping(tmp_path: Path) -> None:
    items = {row["ITEM_ID"]: row for row in run(_golden_drop(tmp_path), tmp_path / "out", **SMALL).items()}
    assert items["16"]["GENRES"] == "Comedy|Drama|Josei|Romance|Slice of Life"  # original names, spaces kept
    assert items["5"]["STUDIOS"] == "Bones|Sunrise"  # split, not one comma-joined value
    assert items["1"]["AGE_RATING"] == "R" and items["300"]["AGE_RATING"] == "Rx"
    assert items["120"] | {"ITEM_ID": ""} == dict.fromkeys(items["120"], "") | {
        "CREATION_TIMESTAMP": str(epoch_seconds(MAL_LAUNCH))
    }  # all unknown: empty, never a fake year
    assert items["44"]["YEAR"] == "1984" and items["44"]["EPISODES"] == "" and items["44"]["SCORE"] == ""
    assert items["57"]["YEAR"] == "2003" and items["57"]["CREATION_TIMESTAMP"] == str(epoch_seconds(date(2003, 1, 1)))
    assert items["99"]["YEAR"] == "2010"  # from Premiered "Fall 2010" when Aired is Unknown
    assert items["99"]["CREATION_TIMESTAMP"] == str(epoch_seconds(date(2010, 10, 1)))
    assert items["30"]["YEAR"] == "1917" and items["30"]["CREATION_TIMESTAMP"] == "0"  # epoch never negative
    assert items["1"]["SYNOPSIS"] == (
        "In the year 2071, a ragtag crew of 'Cowboys' chases bounties across the solar system, "
        "one back/slash at a time."
    )
    assert items["5"]["SYNOPSIS"] == "A strange disease spreads through the smoke of a blast on Mars."
    assert items["16"]["SYNOPSIS"] == ""  # MAL's "No synopsis information…" placeholder


def test_items_text_has_no_quote_backslash_or_newline(tmp_path: Path) -> None:
    """Every items.csv record is one line and reads the same with RFC-4180 and backslash-escape readers."""
    run(_golden_drop(tmp_path), tmp_path / "out", **SMALL)
    lines = (tmp_path / "out" / "items.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 13
    for line in lines:
        inner = line.replace(',"', ",").replace('",', ",").strip('"')
        assert '"' not in inner and "\\" not in inner
    with open(tmp_path / "out" / "items.csv", newline="", encoding="utf-8") as handle:
        rfc = list(csv.reader(handle))
    with open(tmp_path / "out" / "items.csv", newline="", encoding="utf-8") as handle:
        backslash = list(csv.reader(handle, doublequote=False, escapechar="\\"))
    assert rfc == backslash


def test_timestamps_stay_in_each_anime_window(tmp_path: Path) -> None:
    outcome = run(_golden_drop(tmp_path), tmp_path / "out", **SMALL)
    snapshot = epoch_seconds(DEFAULT_SNAPSHOT_DATE)
    airing = {int(r["ITEM_ID"]): int(r["CREATION_TIMESTAMP"]) for r in outcome.items()}
    for _user, item, timestamp, _event, _value in outcome.timestamped_rows():
        low = max(airing[item], epoch_seconds(MAL_LAUNCH))
        assert low <= timestamp <= max(snapshot, low)
        assert timestamp >= airing[item]  # never before airing
    future = [t for _u, item, t, _e, _v in outcome.timestamped_rows() if item == 150]
    assert future == [epoch_seconds(date(2022, 1, 8))]  # aired after the snapshot: its airing date


def test_snapshot_date_bounds_timestamps(tmp_path: Path) -> None:
    outcome = run(_golden_drop(tmp_path), tmp_path / "out", snapshot_date=date(2016, 1, 1), **SMALL)
    bound = epoch_seconds(date(2016, 1, 1))
    airing = {int(r["ITEM_ID"]): int(r["CREATION_TIMESTAMP"]) for r in outcome.items()}
    assert all(t <= max(bound, airing[i]) for _u, i, t, _e, _v in outcome.timestamped_rows())


def _bulk_drop(tmp_path: Path) -> Path:
    good_rating, good_list = rating_lines(), animelist_lines()
    rating = [*good_rating[:300], "5,1,seven", *good_rating[300:], "0,1,4", ""]
    animelist = [*good_list[:50], "x,1,0,2,0", *good_list[50:700], "9,777,0,6,0"]
    return make_drop(tmp_path / "drop", rating=rating, animelist=animelist)


@pytest.mark.parametrize("block_size", [23, 64, 1000, 70_000])
def test_output_does_not_depend_on_block_size(tmp_path: Path, block_size: int) -> None:
    drop = _bulk_drop(tmp_path)
    reference = run(drop, tmp_path / "reference", partitions=3)
    other = run(drop, tmp_path / "other", partitions=3, block_size=block_size)
    for name in ("interactions.csv", "items.csv", "catalog.json", "rejected.csv"):
        assert (tmp_path / "other" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
    assert other.result.report["rules"] == reference.result.report["rules"]


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_output_rows_do_not_depend_on_partitions(tmp_path: Path, partitions: int) -> None:
    drop = _bulk_drop(tmp_path)
    reference = run(drop, tmp_path / "reference", partitions=5)
    other = run(drop, tmp_path / "other", partitions=partitions)
    assert sorted(other.timestamped_rows()) == sorted(reference.timestamped_rows())
    assert other.result.counts == reference.result.counts
    assert other.result.report["rules"] == reference.result.report["rules"]


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    drop = _bulk_drop(tmp_path)
    run(drop, tmp_path / "a")
    run(drop, tmp_path / "b")
    for name in ("interactions.csv", "items.csv", "catalog.json", "rejected.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    from tests.support.prepare_data.drops import RATING_HEADER, expected_rows, write_lines

    drop = make_drop(tmp_path / "drop")
    write_lines(drop / "rating_complete.csv", RATING_HEADER, rating_lines(), newline="\r\n", bom=True)
    outcome = run(drop, tmp_path / "out", block_size=100)
    assert outcome.rows() == expected_rows("rating_complete.csv", rating_lines())
    assert "rules" in outcome.result.report and outcome.result.report["rules"] == {}


def test_generated_tiny_drop(tmp_path: Path) -> None:
    generated = generate_dataset("tiny", tmp_path / "drop")
    outcome = run(tmp_path / "drop", tmp_path / "out", block_size=4096)
    report = outcome.result.report
    assert report["status"] == "succeeded"
    assert report["inputs"]["rating_complete.csv"]["rowsRead"] == generated.n_ratings
    assert report["inputs"]["animelist.csv"]["rowsRead"] == generated.n_animelist_rows
    assert outcome.result.counts["items"] == generated.n_anime
    assert outcome.result.counts["rejectedRows"] == 0
    with open(tmp_path / "drop" / "animelist.csv", newline="") as handle:
        pairs = {(int(r["user_id"]), int(r["anime_id"])) for r in csv.DictReader(handle)}
    with open(tmp_path / "drop" / "rating_complete.csv", newline="") as handle:
        pairs |= {(int(r["user_id"]), int(r["anime_id"])) for r in csv.DictReader(handle)}
    written = [(u, i) for u, i, _e, _v in outcome.rows()]
    assert len(written) == len(set(written)) == len(pairs) == outcome.result.counts["interactions"]
    assert set(written) == pairs
    assert outcome.result.counts["users"] == len({u for u, _ in pairs})
    assert set(outcome.result.event_types) <= {"RATING", "WATCHING", "COMPLETED", "ON_HOLD", "DROPPED", "PLAN_TO_WATCH"}
    catalog = json.loads((tmp_path / "out" / "catalog.json").read_text(encoding="utf-8"))
    assert set(catalog) == {str(a) for a in generated.anime_ids}
