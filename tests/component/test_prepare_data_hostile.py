"""Regression tests for the hostile-input classes of the prepare step (docs/hostile-input.md, "Prepare step").

Each test names the class it keeps fixed: line endings, compressed or wide-encoded files, NUL bytes, unclosed
quotes, and failures that are not the data's fault. The per-row classes are also in test_prepare_data_malformed.py;
the generated mixes are in test_prepare_data_fuzz.py.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import json
import lzma
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest

from anime_recommender.prepare_data import DataValidationError, LocalStorage, PrepareOptions, prepare_drop
from anime_recommender.prepare_data.errors import reading
from tests.support.prepare_data import drops
from tests.support.prepare_data.drops import ANIME_IDS, expected_rows, fixture_text, make_drop, rating_lines, run

RC = "rating_complete.csv"
BLOCK_SIZES = [7, 64, 8 * 1024 * 1024]


def _rating_bytes(lines: list[str], newline: str) -> bytes:
    return (newline.join([drops.RATING_HEADER, *lines]) + newline).encode()


def _parked(out: Path) -> list[tuple[str, int, str]]:
    with open(out / "rejected.csv", newline="", encoding="utf-8") as handle:
        return [(row["file"], int(row["line"]), row["rule"]) for row in csv.DictReader(handle)]


# --- line endings: LF, CRLF and bare CR are one line break each, in any mix -------------------------------------


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_gives_the_same_rows_and_the_same_line_numbers(
    newline: str, block_size: int, tmp_path: Path
) -> None:
    good = rating_lines()
    lines = [*good[:300], "5,1,99", *good[300:]]
    drop = make_drop(tmp_path / "drop")
    (drop / RC).write_bytes(_rating_bytes(lines, newline))
    anime = fixture_text("anime.csv").replace("\n", newline)
    (drop / "anime.csv").write_bytes(anime.encode())

    outcome = run(drop, tmp_path / "out", block_size=block_size)

    assert outcome.rows() == expected_rows(RC, good)
    assert {row["ITEM_ID"] for row in outcome.items()} == {str(a) for a in ANIME_IDS}
    assert _parked(tmp_path / "out") == [(RC, 302, "rating_out_of_range")]
    assert outcome.result.report["inputs"][RC]["rowsRead"] == len(lines)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_a_blank_line_and_a_bare_cr_are_both_counted_and_reported(block_size: int, tmp_path: Path) -> None:
    good = rating_lines()
    drop = make_drop(tmp_path / "drop")
    # line 502 is blank; "5,1,7\r6,1,7" is two lines (503, 504), both pairs already seen (duplicate_pair)
    (drop / RC).write_bytes(_rating_bytes([*good[:500], "", "5,1,7\r6,1,7", *good[500:]], "\n"))

    outcome = run(drop, tmp_path / "out", block_size=block_size)

    assert outcome.rows() == expected_rows(RC, good)
    assert sorted(_parked(tmp_path / "out")) == [
        (RC, 502, "blank_row"),
        (RC, 503, "duplicate_pair"),
        (RC, 504, "duplicate_pair"),
    ]
    counts = outcome.result.report["inputs"][RC]
    assert counts["rowsRead"] == len(good) + 3
    assert counts["rowsRead"] == counts["rowsWritten"] + counts["rowsRejected"]


@pytest.mark.slow  # over 3 s on 2 busy cores
def test_a_crlf_split_across_two_reads_is_one_line_break(tmp_path: Path) -> None:
    good = rating_lines()
    drop = make_drop(tmp_path / "drop")
    (drop / RC).write_bytes(_rating_bytes([*good[:10], "5,1,99", *good[10:]], "\r\n"))
    for block_size in range(1, 12):  # every split position of the first lines' CRLFs
        outcome = run(drop, tmp_path / f"out-{block_size}", block_size=block_size)
        assert outcome.rows() == expected_rows(RC, good)
        assert _parked(tmp_path / f"out-{block_size}") == [(RC, 12, "rating_out_of_range")]


# --- compressed and wide-encoded files are named, not mistaken for UTF-16 -----------------------------------------


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(RC, data)
    return buffer.getvalue()


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "zip": _zip,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.mark.parametrize("label", list(COMPRESSORS))
def test_a_compressed_file_is_refused_by_name(label: str, tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop")
    (drop / RC).write_bytes(COMPRESSORS[label](_rating_bytes(rating_lines(), "\n")))
    with pytest.raises(DataValidationError) as raised:
        run(drop, tmp_path / "out")
    assert f"{label}-compressed" in raised.value.message and "UTF-16" not in raised.value.message
    assert (raised.value.file, raised.value.line) == (RC, 1)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["error"]["file"] == RC and f"{label}-compressed" in report["error"]["message"]


@pytest.mark.parametrize(
    ("encode", "label"),
    [
        (lambda text: text.encode("utf-16-le"), "UTF-16"),
        (lambda text: text.encode("utf-16-be"), "UTF-16"),
        (lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"), "UTF-32"),
    ],
    ids=["utf16-le-no-bom", "utf16-be-no-bom", "utf32"],
)
def test_wide_encodings_are_refused_by_name(encode: Callable[[str], bytes], label: str, tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop")
    (drop / RC).write_bytes(encode(_rating_bytes(rating_lines(), "\n").decode()))
    with pytest.raises(DataValidationError) as raised:
        run(drop, tmp_path / "out")
    assert f"is {label} encoded" in raised.value.message and raised.value.file == RC


# --- NUL bytes: one rule wherever they are -----------------------------------------------------------------------


def test_a_nul_in_the_header_is_fatal_and_names_line_1(tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop")
    (drop / RC).write_bytes(b"user_id,anime\x00_id,rating\n" + _rating_bytes(rating_lines(), "\n").split(b"\n", 1)[1])
    with pytest.raises(DataValidationError) as raised:
        run(drop, tmp_path / "out")
    assert (raised.value.file, raised.value.line) == (RC, 1)
    assert "NUL byte at byte 14" in raised.value.message


@pytest.mark.parametrize("position", ["first-data-line", "after-256-bytes"])
def test_a_nul_in_a_data_row_rejects_that_row_only_and_never_reaches_the_outputs(position: str, tmp_path: Path) -> None:
    text = fixture_text("anime.csv")
    lines = text.split("\n")
    index = 1 if position == "first-data-line" else 9
    lines[index] = lines[index].replace(",", ",\x00", 1)
    drop = make_drop(tmp_path / "drop", rating=rating_lines(), anime_text="\n".join(lines))
    # the fixture's anime ids appear in that order: the damaged one loses its 90 interactions (unknown_anime)
    lost = ANIME_IDS[index - 1]

    outcome = run(drop, tmp_path / "out", min_interactions=1)

    assert outcome.rule("nul_byte")["examples"] == [
        {"file": "anime.csv", "line": index + 1, "column": "Name", "value": lines[index]}
    ]
    assert {row["ITEM_ID"] for row in outcome.items()} == {str(a) for a in ANIME_IDS if a != lost}
    for name in ("items.csv", "catalog.json", "interactions.csv"):
        assert b"\x00" not in (tmp_path / "out" / name).read_bytes()


# --- unclosed quotes: the bad line is rejected, the records after it are read -------------------------------------


def test_an_unclosed_quote_does_not_swallow_the_next_anime_or_its_interactions(tmp_path: Path) -> None:
    lines = fixture_text("anime.csv").split("\n")
    lines.insert(3, '777,"Never closed' + ",x" * 34)  # the quote would run into the anime of the next line
    drop = make_drop(tmp_path / "drop", rating=rating_lines(), anime_text="\n".join(lines))

    outcome = run(drop, tmp_path / "out")

    assert _parked(tmp_path / "out") == [("anime.csv", 4, "unclosed_quote")]
    assert {row["ITEM_ID"] for row in outcome.items()} == {str(a) for a in ANIME_IDS}
    assert outcome.rows() == expected_rows(RC, rating_lines())
    assert outcome.result.report["inputs"]["anime.csv"]["rowsRead"] == len(ANIME_IDS) + 1


def test_a_quote_left_open_at_the_end_of_the_file_rejects_only_its_line(tmp_path: Path) -> None:
    text = fixture_text("anime.csv").rstrip("\n") + '\n777,"Never closed' + ",x" * 34 + "\n"
    drop = make_drop(tmp_path / "drop", rating=rating_lines(), anime_text=text)
    outcome = run(drop, tmp_path / "out")
    assert outcome.rule("unclosed_quote")["examples"][0] | {"value": None} == {
        "file": "anime.csv",
        "line": len(ANIME_IDS) + 2,
        "column": "Name",
        "value": None,
    }
    assert len(outcome.items()) == len(ANIME_IDS)


def test_a_quoted_synopsis_may_span_lines_but_not_swallow_the_next_record(tmp_path: Path) -> None:
    synopsis = fixture_text("anime_with_synopsis.csv").split("\n")
    synopsis.insert(1, '1,X,7.0,Drama,"Opened and never closed')  # runs into the record of anime 1 below it
    drop = make_drop(tmp_path / "drop", rating=rating_lines(), synopsis_text="\n".join(synopsis))
    outcome = run(drop, tmp_path / "out")
    assert _parked(tmp_path / "out") == [("anime_with_synopsis.csv", 2, "unclosed_quote")]
    by_id = {row["ITEM_ID"]: row for row in outcome.items()}
    assert by_id["1"]["SYNOPSIS"].startswith("In the year 2071")  # the real record of anime 1 was read
    assert by_id["5"]["SYNOPSIS"] == "A strange disease spreads through the smoke of a blast on Mars."


# --- counts: every row read is written, rejected or merged ------------------------------------------------------


def test_rows_read_are_written_rejected_or_merged_in_every_file(tmp_path: Path) -> None:
    rating = [*rating_lines(), "abc,1,7", "89,1,3", ""]  # users 0-49 are in animelist.csv too
    animelist = [*drops.animelist_lines()[:600], "5,1,7,9,1", "5,1,7,2"]
    synopsis = fixture_text("anime_with_synopsis.csv") + '9999,X,7.0,Drama,"Orphan."\n'
    drop = make_drop(tmp_path / "drop", rating=rating, animelist=animelist, synopsis_text=synopsis)
    outcome = run(drop, tmp_path / "out")
    inputs = outcome.result.report["inputs"]
    assert set(inputs) == {"anime.csv", RC, "animelist.csv", "anime_with_synopsis.csv"}
    for name, counts in inputs.items():
        assert counts["rowsRead"] == counts["rowsWritten"] + counts["rowsRejected"] + counts["rowsMerged"], name
    assert (inputs[RC]["rowsRejected"], inputs[RC]["rowsMerged"]) == (3, 600)
    assert inputs["animelist.csv"]["rowsRejected"] == 2
    assert inputs["anime_with_synopsis.csv"]["rowsRejected"] == 1


# --- failures that are not the data's fault, and parsing errors that are ------------------------------------------


class _FailingStorage(LocalStorage):
    """Local storage whose reads of one file fail mid-stream, like a dropped S3 connection."""

    def __init__(self, root: Path, failing: str) -> None:
        super().__init__(root)
        self._failing = failing

    @contextmanager
    def open_read(self, name: str) -> Iterator[BinaryIO]:
        if name == self._failing:
            raise ConnectionResetError(f"connection reset while reading {name}")
        with super().open_read(name) as handle:
            yield handle


def test_a_storage_failure_is_reported_and_re_raised_unchanged(tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop", rating=rating_lines())
    with pytest.raises(ConnectionResetError):
        prepare_drop(_FailingStorage(drop, RC), LocalStorage(tmp_path / "out"), PrepareOptions(), drop_id="t")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["status"] == "failed"
    assert report["error"] == {"type": "ConnectionResetError", "message": f"connection reset while reading {RC}"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["rejected.csv", "report.json"]


@pytest.mark.parametrize(
    "error", [csv.Error("new-line character seen"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "x")]
)
def test_a_parsing_library_error_becomes_a_data_validation_error_naming_the_file(error: Exception) -> None:
    with pytest.raises(DataValidationError) as raised, reading("animelist.csv"):
        raise error
    assert raised.value.file == "animelist.csv"
    assert raised.value.message.startswith("animelist.csv: the file could not be read as CSV")
    assert raised.value.__cause__ is error


def test_a_bug_is_not_dressed_up_as_bad_data() -> None:
    with pytest.raises(KeyError), reading("anime.csv"):
        raise KeyError("not an input problem")


def test_a_metadata_file_far_larger_than_kaggle_s_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("anime_recommender.prepare_data.csv_input.MAX_METADATA_BYTES", 1000)
    drop = make_drop(tmp_path / "drop", rating=rating_lines())
    with pytest.raises(DataValidationError) as raised:
        run(drop, tmp_path / "out")
    size = (drop / "anime.csv").stat().st_size
    assert raised.value.file == "anime.csv"
    assert f"the file is {size} bytes" in raised.value.message and "at most 1000 bytes" in raised.value.message


def test_an_interaction_line_without_a_break_for_more_than_a_mebibyte_is_fatal_and_named(tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop")
    (drop / RC).write_bytes(_rating_bytes([*rating_lines()[:3], "7" * (2 * 1024 * 1024)], "\n"))
    with pytest.raises(DataValidationError) as raised:
        run(drop, tmp_path / "out", block_size=64 * 1024)
    assert (raised.value.file, raised.value.line) == (RC, 5)
    assert "line 5 is longer than 1048576 bytes" in raised.value.message
