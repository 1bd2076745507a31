"""Test drops for the data-preparation step: hand-written Kaggle-format fixtures plus generated bulk rows.

The fixture anime.csv / anime_with_synopsis.csv (12 anime) copy the real files' format; the interaction files of
the "base" drop are generated here (90 users x 12 anime = 1080 rows, above Personalize's minimums) so that one
bad line can be inserted anywhere and every good row checked afterwards.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from anime_recommender.prepare_data import LocalStorage, PreparedDrop, PrepareOptions, prepare_drop

FIXTURES = Path(__file__).parent
GOLDEN = FIXTURES / "golden"
ANIME_IDS = (1, 5, 16, 30, 44, 57, 99, 120, 150, 200, 300, 400)
N_USERS = 90
RATING_HEADER = "user_id,anime_id,rating"
ANIMELIST_HEADER = "user_id,anime_id,rating,watching_status,watched_episodes"
STATUS_EVENTS = {1: "WATCHING", 2: "COMPLETED", 3: "ON_HOLD", 4: "DROPPED", 6: "PLAN_TO_WATCH"}
STATUS_CYCLE = (1, 2, 3, 4, 6)

Row = tuple[int, int, str, str]  # (USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE) as written in interactions.csv


def rating_lines() -> list[str]:
    """Good rating_complete.csv data lines, grouped by user like the real file."""
    return [f"{u},{a},{(u + a) % 10 + 1}" for u in range(N_USERS) for a in ANIME_IDS]


def animelist_lines() -> list[str]:
    """Good animelist.csv data lines (every status, ratings 0-10)."""
    lines = []
    for u in range(N_USERS):
        for i, a in enumerate(ANIME_IDS):
            status = STATUS_CYCLE[(u + i) % len(STATUS_CYCLE)]
            lines.append(f"{u},{a},{(u * a) % 11},{status},{i}")
    return lines


def expected_rows(file: str, lines: list[str]) -> set[Row]:
    """What interactions.csv must contain for these good data lines of ``file``."""
    rows: set[Row] = set()
    for line in lines:
        fields = line.split(",")
        user, anime, rating = int(fields[0]), int(fields[1]), int(fields[2])
        if file == "rating_complete.csv":
            rows.add((user, anime, "RATING", str(rating)))
        else:
            rows.add((user, anime, STATUS_EVENTS[int(fields[3])], str(rating) if rating > 0 else ""))
    return rows


def write_lines(path: Path, header: str, lines: list[str], *, newline: str = "\n", bom: bool = False) -> None:
    """Write a CSV file from raw lines (so broken lines stay broken)."""
    text = newline.join([header, *lines]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def make_drop(
    directory: Path,
    *,
    rating: list[str] | None = None,
    animelist: list[str] | None = None,
    anime_text: str | None = None,
    synopsis_text: str | None = None,
) -> Path:
    """A drop folder: fixture anime.csv (or ``anime_text``), the given interaction files, optional synopses."""
    directory.mkdir(parents=True, exist_ok=True)
    if anime_text is None:
        shutil.copy(FIXTURES / "anime.csv", directory / "anime.csv")
    else:
        (directory / "anime.csv").write_text(anime_text, encoding="utf-8")
    if rating is not None:
        write_lines(directory / "rating_complete.csv", RATING_HEADER, rating)
    if animelist is not None:
        write_lines(directory / "animelist.csv", ANIMELIST_HEADER, animelist)
    if synopsis_text is not None:
        (directory / "anime_with_synopsis.csv").write_text(synopsis_text, encoding="utf-8")
    return directory


def fixture_text(name: str) -> str:
    """A fixture file's text."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def anime_line(**overrides: str) -> str:
    """A full anime.csv data line: fixture anime 400 with MAL_ID 777 and the given column overrides."""
    rows = list(csv.DictReader(io.StringIO(fixture_text("anime.csv"))))
    row = next(r for r in rows if r["MAL_ID"] == "400") | {"MAL_ID": "777", "Name": "Inserted Anime"} | overrides
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(list(row.values()))
    return buffer.getvalue()


@dataclass
class Outcome:
    """A finished run: the step's result and what it wrote."""

    result: PreparedDrop
    out_dir: Path

    def rows(self) -> set[Row]:
        """interactions.csv as (user, item, event type, value) tuples."""
        return {row[:2] + row[3:] for row in self.timestamped_rows()}

    def timestamped_rows(self) -> list[tuple[int, int, int, str, str]]:
        """interactions.csv rows in file order, with timestamps."""
        with open(self.out_dir / "interactions.csv", newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            assert next(reader) == ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]
            return [(int(u), int(i), int(t), e, v) for u, i, t, e, v in reader]

    def items(self) -> list[dict[str, str]]:
        """items.csv rows."""
        with open(self.out_dir / "items.csv", newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def rule(self, rule_id: str) -> dict:
        """The report's entry for a rule (KeyError when it never fired)."""
        return self.result.report["rules"][rule_id]


def run(drop_dir: Path, out_dir: Path, **options: object) -> Outcome:
    """Prepare ``drop_dir`` into ``out_dir`` with local storage."""
    result = prepare_drop(LocalStorage(drop_dir), LocalStorage(out_dir), PrepareOptions(**options), drop_id="test")
    return Outcome(result, out_dir)
