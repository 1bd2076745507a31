"""The malformed-input suite: each case inserts one bad line into an otherwise good file and checks that exactly
the expected rule fired at the expected file/line/column, and that every good row of that file still came through.

Each case runs twice: with 64-byte blocks (clean blocks take pyarrow's fast path, the bad one the exact path)
and with the default 8 MiB block (the whole file is one block).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.prepare_data.drops import (
    ANIME_IDS,
    anime_line,
    animelist_lines,
    expected_rows,
    fixture_text,
    make_drop,
    rating_lines,
    run,
)

RC, AL, ANIME, SYN = "rating_complete.csv", "animelist.csv", "anime.csv", "anime_with_synopsis.csv"
INSERT_AT = 500  # data-row index of the inserted line in interaction files → line 502


@dataclass(frozen=True)
class Case:
    """One bad line: where it goes and what the report must say about it."""

    name: str
    file: str
    bad: str
    rule: str
    column: str | None
    value: str | None = None  # the value the example must show (None: not checked)
    at: int = INSERT_AT
    line: int | None = None  # expected line when not ``at + 2``


CASES = [
    # rating_complete.csv: ids
    Case("rc-user-letters", RC, "abc,1,7", "invalid_user_id", "user_id", "abc"),
    Case("rc-user-negative", RC, "-3,1,7", "invalid_user_id", "user_id", "-3"),
    Case("rc-user-empty", RC, ",1,7", "invalid_user_id", "user_id", ""),
    Case("rc-user-decimal", RC, "1.5,1,7", "invalid_user_id", "user_id", "1.5"),
    Case("rc-user-leading-space", RC, " 7,1,7", "invalid_user_id", "user_id", " 7"),
    Case("rc-user-above-max-id", RC, "1000000000000000000,1,7", "invalid_user_id", "user_id"),
    Case("rc-user-beyond-int64", RC, "1234567890123456789012345,1,7", "invalid_user_id", "user_id"),
    Case("rc-user-non-ascii-digit", RC, "\u0663,1,7", "invalid_user_id", "user_id", "\u0663"),
    Case("rc-user-nul-byte", RC, "5\x00,1,7", "nul_byte", "user_id", "5\x00,1,7"),
    Case("rc-user-minus-zero", RC, "-0,1,7", "invalid_user_id", "user_id", "-0"),
    Case("rc-user-plus-sign", RC, "+5,1,7", "invalid_user_id", "user_id", "+5"),
    Case("rc-user-padded", RC, " 5 ,1,7", "invalid_user_id", "user_id", " 5 "),
    Case("rc-user-5000-digits", RC, "1" * 5000 + ",1,7", "invalid_user_id", "user_id"),
    Case("rc-anime-minus-zero", RC, "5,-0,7", "invalid_anime_id", "anime_id", "-0"),
    Case("rc-rating-5000-digits", RC, "5,1," + "9" * 5000, "invalid_rating", "rating"),
    Case("rc-stray-quote", RC, '5,"1,7', "invalid_anime_id", "anime_id", '"1'),
    Case("rc-anime-letters", RC, "5,x12,7", "invalid_anime_id", "anime_id", "x12"),
    Case("rc-anime-empty", RC, "5,,7", "invalid_anime_id", "anime_id", ""),
    Case("rc-anime-hex", RC, "5,0x10,7", "invalid_anime_id", "anime_id", "0x10"),
    # rating_complete.csv: ratings
    Case("rc-rating-eleven", RC, "5,1,11", "rating_out_of_range", "rating", "11"),
    Case("rc-rating-zero", RC, "5,1,0", "rating_out_of_range", "rating", "0"),
    Case("rc-rating-negative", RC, "5,1,-1", "rating_out_of_range", "rating", "-1"),
    Case("rc-rating-decimal", RC, "5,1,7.5", "invalid_rating", "rating", "7.5"),
    Case("rc-rating-word", RC, "5,1,seven", "invalid_rating", "rating", "seven"),
    Case("rc-rating-empty", RC, "5,1,", "invalid_rating", "rating", ""),
    # rating_complete.csv: structure, references, duplicates
    Case("rc-too-few-fields", RC, "5,1", "ragged_row", None, "5,1"),
    Case("rc-too-many-fields", RC, "5,1,7,9", "ragged_row", None, "5,1,7,9"),
    Case("rc-trailing-comma", RC, "5,1,7,", "ragged_row", None),
    Case("rc-semicolons", RC, "5;1;7", "ragged_row", None, "5;1;7"),
    Case("rc-blank-line", RC, "", "blank_row", None),
    Case("rc-unknown-anime", RC, "5,777,7", "unknown_anime", "anime_id", "777"),
    Case("rc-duplicate-pair", RC, "0,1,3", "duplicate_pair", "user_id,anime_id", "0,1"),
    Case("rc-first-rule-wins", RC, "abc,xyz,99", "invalid_user_id", "user_id", "abc"),
    # animelist.csv
    Case("al-status-five", AL, "5,1,7,5,1", "invalid_watching_status", "watching_status", "5"),
    Case("al-status-zero", AL, "5,1,7,0,1", "invalid_watching_status", "watching_status", "0"),
    Case("al-status-word", AL, "5,1,7,done,1", "invalid_watching_status", "watching_status", "done"),
    Case("al-status-empty", AL, "5,1,7,,1", "invalid_watching_status", "watching_status", ""),
    Case("al-rating-twelve", AL, "5,1,12,2,1", "rating_out_of_range", "rating", "12"),
    Case("al-rating-negative", AL, "5,1,-2,2,1", "rating_out_of_range", "rating", "-2"),
    Case("al-user-letters", AL, "u1,1,7,2,1", "invalid_user_id", "user_id", "u1"),
    Case("al-ragged", AL, "5,1,7,2", "ragged_row", None),
    Case("al-nul-in-unused-column", AL, "5,1,7,2,1\x00", "nul_byte", "watched_episodes"),
    Case("al-unknown-anime", AL, "5,778,0,6,0", "unknown_anime", "anime_id", "778"),
    Case("al-duplicate-pair", AL, "3,16,9,2,5", "duplicate_pair", "user_id,anime_id", "3,16"),
    # anime.csv (inserted after the 6th anime → line 8)
    Case("anime-id-letters", ANIME, anime_line(MAL_ID="abc"), "invalid_anime_id", "MAL_ID", "abc", at=6),
    Case("anime-duplicate-id", ANIME, anime_line(MAL_ID="1"), "duplicate_anime", "MAL_ID", "1", at=6),
    Case("anime-ragged", ANIME, "777,Too Short,7.1", "ragged_row", None, at=6),
    Case("anime-id-padded", ANIME, anime_line(MAL_ID=" 777 "), "invalid_anime_id", "MAL_ID", " 777 ", at=6),
    Case("anime-id-minus-zero", ANIME, anime_line(MAL_ID="-0"), "invalid_anime_id", "MAL_ID", "-0", at=6),
    Case("anime-nul-in-name", ANIME, anime_line(Name="Nul\x00Name"), "nul_byte", "Name", at=6),
    Case("anime-unclosed-quote", ANIME, '777,"Unclosed Name' + ",x" * 33, "unclosed_quote", "Name", at=6),
    Case("anime-score-word", ANIME, anime_line(Score="high"), "invalid_score", "Score", "high", at=6),
    Case("anime-score-above-ten", ANIME, anime_line(Score="12.5"), "invalid_score", "Score", "12.5", at=6),
    Case("anime-episodes-negative", ANIME, anime_line(Episodes="-4"), "invalid_episodes", "Episodes", "-4", at=6),
    Case(
        "anime-aired-prose",
        ANIME,
        anime_line(Aired="sometime in 1999", Premiered="Unknown"),
        "unparsed_date",
        "Aired",
        at=6,
    ),
    Case(
        "anime-premiered-bad",
        ANIME,
        anime_line(Aired="Unknown", Premiered="Monsoon 2001"),
        "unparsed_date",
        "Premiered",
        "Monsoon 2001",
        at=6,
    ),
    # anime_with_synopsis.csv (its second record spans lines 3-4: inserting after 3 records → line 6)
    Case("synopsis-id-letters", SYN, 'abc,X,7.0,Drama,"Text."', "invalid_anime_id", "MAL_ID", "abc", at=3, line=6),
    Case("synopsis-orphan", SYN, '9999,X,7.0,Drama,"Text."', "orphan_synopsis", "MAL_ID", "9999", at=3, line=6),
    Case("synopsis-duplicate", SYN, '1,X,7.0,Drama,"Again."', "duplicate_anime", "MAL_ID", "1", at=3, line=6),
    Case("synopsis-ragged", SYN, "16,X,7.0", "ragged_row", None, at=3, line=6),
    Case("synopsis-unclosed-quote", SYN, '16,X,7.0,Drama,"Never closed', "unclosed_quote", "sypnopsis", at=3, line=6),
    Case("synopsis-nul", SYN, '16,X,7.0,Drama,"Nul\x00text."', "nul_byte", "sypnopsis", at=3, line=6),
]


def _insert_into_text(text: str, data_index: int, bad: str) -> str:
    """Insert a line after ``data_index`` CSV records of ``text`` (records may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    for _ in range(data_index):
        next(reader)
    lines = text.split("\n")
    cut = reader.line_num
    return "\n".join([*lines[:cut], bad, *lines[cut:]])


def _build(case: Case, drop: Path) -> set:
    """Write the drop with the bad line; returns the interaction rows that must come through."""
    if case.file in (RC, AL):
        good = rating_lines() if case.file == RC else animelist_lines()
        lines = [*good[: case.at], case.bad, *good[case.at :]]
        make_drop(drop, **{"rating" if case.file == RC else "animelist": lines})
        return expected_rows(case.file, good)
    good = rating_lines()
    if case.file == ANIME:
        make_drop(drop, rating=good, anime_text=_insert_into_text(fixture_text(ANIME), case.at, case.bad))
    else:
        make_drop(drop, rating=good, synopsis_text=_insert_into_text(fixture_text(SYN), case.at, case.bad))
    return expected_rows(RC, good)


@pytest.mark.parametrize("block_size", [64, 8 * 1024 * 1024], ids=["64B-blocks", "one-block"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_bad_line_is_reported_where_it_is_and_nothing_else_is_lost(
    case: Case, block_size: int, tmp_path: Path
) -> None:
    expected = _build(case, tmp_path / "drop")
    outcome = run(tmp_path / "drop", tmp_path / "out", block_size=block_size)

    fired = {rule_id: entry["count"] for rule_id, entry in outcome.result.report["rules"].items()}
    fired.pop("merged_overlap", None)
    assert fired == {case.rule: 1}
    example = outcome.rule(case.rule)["examples"][0]
    assert example["file"] == case.file
    assert example["line"] == (case.line or case.at + 2)
    assert example["column"] == case.column
    if case.value is not None:
        assert example["value"] == case.value
    assert outcome.rows() == expected  # every good interaction, nothing else
    items = {row["ITEM_ID"] for row in outcome.items()}
    assert {str(a) for a in ANIME_IDS} <= items  # every good anime
    if case.rule in ("invalid_score", "invalid_episodes", "unparsed_date"):  # nulled, row kept
        inserted = next(row for row in outcome.items() if row["ITEM_ID"] == "777")
        column = {"invalid_score": "SCORE", "invalid_episodes": "EPISODES", "unparsed_date": "YEAR"}[case.rule]
        assert inserted[column] == ""
    with open(tmp_path / "out" / "rejected.csv", newline="", encoding="utf-8") as handle:
        parked = list(csv.DictReader(handle))
    assert [(p["file"], int(p["line"]), p["rule"]) for p in parked] == [(case.file, example["line"], case.rule)]


def test_duplicate_pair_keeps_the_first_row(tmp_path: Path) -> None:
    good = rating_lines()  # line 2 is "0,1,2"
    make_drop(tmp_path / "drop", rating=[*good, "0,1,9"])
    outcome = run(tmp_path / "drop", tmp_path / "out")
    assert (0, 1, "RATING", "2") in outcome.rows()
    assert outcome.rule("duplicate_pair")["examples"][0]["line"] == len(good) + 2


def test_keep_unknown_anime_keeps_and_counts_the_rows(tmp_path: Path) -> None:
    good = rating_lines()
    make_drop(tmp_path / "drop", rating=[*good, "7,777,5"])
    outcome = run(tmp_path / "drop", tmp_path / "out", keep_unknown_anime=True)
    assert outcome.rows() == expected_rows(RC, good) | {(7, 777, "RATING", "5")}
    assert outcome.rule("unknown_anime") | {"examples": None} == {
        "description": outcome.rule("unknown_anime")["description"],
        "action": "kept",
        "count": 1,
        "examples": None,
    }
    assert outcome.result.counts["rejectedRows"] == 0


def test_many_bad_lines_are_all_counted_and_parked(tmp_path: Path) -> None:
    good = rating_lines()
    bad = [f"{u},1,99" for u in range(200, 240)]
    make_drop(tmp_path / "drop", rating=good[:100] + bad + good[100:])
    outcome = run(tmp_path / "drop", tmp_path / "out", block_size=256, max_examples=3)
    entry = outcome.rule("rating_out_of_range")
    assert entry["count"] == 40
    assert [e["line"] for e in entry["examples"]] == [102, 103, 104]
    assert outcome.result.counts["rejectedRows"] == 40
    assert len((tmp_path / "out" / "rejected.csv").read_text().splitlines()) == 41
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["counts"]["rejectedRows"] == 40 and report["status"] == "succeeded"
    assert outcome.rows() == expected_rows(RC, good)
