"""Fatal problems: DataValidationError with a message naming file/column/what was found, report.json still
written, and no dataset file published."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from anime_recommender.prepare_data import DataValidationError
from tests.support.prepare_data.drops import FIXTURES, RATING_HEADER, make_drop, rating_lines, run, write_lines


def _missing_anime(drop: Path) -> None:
    make_drop(drop, rating=rating_lines())
    (drop / "anime.csv").unlink()


def _no_interactions(drop: Path) -> None:
    make_drop(drop)


def _missing_column(drop: Path) -> None:
    make_drop(drop)
    write_lines(drop / "rating_complete.csv", "user_id,anime_id,score", rating_lines())


def _semicolons(drop: Path) -> None:
    make_drop(drop)
    write_lines(drop / "rating_complete.csv", "user_id;anime_id;rating", [x.replace(",", ";") for x in rating_lines()])


def _tabs(drop: Path) -> None:
    make_drop(drop)
    write_lines(
        drop / "rating_complete.csv", "user_id\tanime_id\trating", [x.replace(",", "\t") for x in rating_lines()]
    )


def _utf16(drop: Path) -> None:
    make_drop(drop)
    text = "\n".join([RATING_HEADER, *rating_lines()]) + "\n"
    (drop / "rating_complete.csv").write_bytes(text.encode("utf-16"))


def _latin1_header(drop: Path) -> None:
    make_drop(drop, rating=rating_lines())
    data = (drop / "anime.csv").read_bytes().replace(b"MAL_ID,Name", "MAL_ID,Nom_é".encode("latin-1"), 1)
    (drop / "anime.csv").write_bytes(data)


def _latin1_row(drop: Path) -> None:
    lines = rating_lines()
    make_drop(drop)
    text = "\n".join([RATING_HEADER, *lines[:300], "5,1,7\xe9", *lines[300:]]) + "\n"
    (drop / "rating_complete.csv").write_bytes(text.encode("latin-1"))


def _empty_file(drop: Path) -> None:
    make_drop(drop, rating=rating_lines())
    (drop / "animelist.csv").write_bytes(b"")


def _header_only(drop: Path) -> None:
    make_drop(drop, rating=[])


def _too_few_interactions(drop: Path) -> None:
    make_drop(drop, rating=rating_lines()[:999])


def _too_few_users_with_two(drop: Path) -> None:
    make_drop(drop, rating=[f"{u},1,7" for u in range(1200)])


def _too_few_after_cleaning(drop: Path) -> None:
    make_drop(drop, rating=[*rating_lines()[:990], *[f"{u},1,77" for u in range(200, 230)]])


def _no_valid_anime(drop: Path) -> None:
    header = (FIXTURES / "anime.csv").read_text().splitlines()[0]
    make_drop(drop, rating=rating_lines(), anime_text=header + "\nnot-an-id" + ",x" * 34 + "\n")


FATAL_CASES: list[tuple[str, Callable[[Path], None], str | None, tuple[str, ...]]] = [
    ("missing-anime", _missing_anime, "anime.csv", ("anime.csv", "missing")),
    ("no-interaction-file", _no_interactions, "animelist.csv", ("rating_complete.csv", "animelist.csv")),
    ("missing-column", _missing_column, "rating_complete.csv", ("'rating'", "found 'user_id', 'anime_id', 'score'")),
    ("semicolon-delimiter", _semicolons, "rating_complete.csv", ("semicolon-separated",)),
    ("tab-delimiter", _tabs, "rating_complete.csv", ("tab-separated",)),
    ("utf16", _utf16, "rating_complete.csv", ("UTF-16",)),
    ("latin1-header", _latin1_header, "anime.csv", ("not UTF-8", "0xe9", "line 1")),
    ("latin1-row", _latin1_row, "rating_complete.csv", ("line 302 is not UTF-8", "0xe9")),
    ("empty-file", _empty_file, "animelist.csv", ("empty (0 bytes)",)),
    ("header-only", _header_only, "rating_complete.csv", ("header but no data rows",)),
    ("too-few-interactions", _too_few_interactions, "rating_complete.csv", ("999 interactions", "at least 1000")),
    ("too-few-users", _too_few_users_with_two, "rating_complete.csv", ("0 users with 2 or more", "at least 25")),
    (
        "too-few-after-cleaning",
        _too_few_after_cleaning,
        "rating_complete.csv",
        ("990 interactions", "30 rows rejected"),
    ),
    ("no-valid-anime", _no_valid_anime, "anime.csv", ("none of its 1 data rows has a valid MAL_ID",)),
]


@pytest.mark.parametrize("block_size", [64, 8 * 1024 * 1024], ids=["64B-blocks", "one-block"])
@pytest.mark.parametrize(("name", "build", "file", "phrases"), FATAL_CASES, ids=[c[0] for c in FATAL_CASES])
def test_fatal_problem_stops_the_drop_with_a_clear_message(
    name: str, build: Callable[[Path], None], file: str, phrases: tuple[str, ...], block_size: int, tmp_path: Path
) -> None:
    build(tmp_path / "drop")
    with pytest.raises(DataValidationError) as raised:
        run(tmp_path / "drop", tmp_path / "out", block_size=block_size)
    message = raised.value.message
    assert raised.value.file == file
    assert "\n" not in message and message.endswith("The drop was not imported.")
    for phrase in phrases:
        assert phrase in message
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "failed"
    error = raised.value
    assert report["error"] == {
        "type": "DataValidationError",
        "message": message,
        "file": file,
        "line": error.line,
        "column": error.column,
    }
    published = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert published == ["rejected.csv", "report.json"]  # nothing half-made


def test_rejected_rows_are_parked_even_when_the_drop_fails(tmp_path: Path) -> None:
    _too_few_after_cleaning(tmp_path / "drop")
    with pytest.raises(DataValidationError):
        run(tmp_path / "drop", tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["rules"]["rating_out_of_range"]["count"] == 30
    assert report["counts"]["rejectedRows"] == 30
    assert len((tmp_path / "out" / "rejected.csv").read_text().splitlines()) == 31
