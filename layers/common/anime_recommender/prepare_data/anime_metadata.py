"""anime.csv (+ anime_with_synopsis.csv) → one validated record per anime: the source of items.csv and catalog.json.

The files are small (17,562 and 16,214 rows), so they are read whole with exact line numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from anime_recommender.prepare_data.csv_input import CsvHeader, needed_fields, read_exact_table
from anime_recommender.prepare_data.rules import RuleLog, record_structural
from anime_recommender.prepare_data.storage import Storage
from anime_recommender.prepare_data.timestamps import (
    MAL_LAUNCH,
    UNKNOWN_VALUES,
    epoch_seconds,
    parse_aired_start,
    parse_premiered,
)
from anime_recommender.prepare_data.values import parse_id, parse_int

DENSE_LOOKUP_LIMIT = 1 << 24  # ids below this use a lookup table (64 MiB at most; MAL ids are < 50,000)
SYNOPSIS_PLACEHOLDER_PREFIX = "No synopsis"  # MAL's "No synopsis information has been added to this title…"


@dataclass
class AnimeRecord:
    """One anime, cleaned: unknown values are None, lists are split on ", " with original names kept."""

    anime_id: int
    title: str
    english_title: str | None
    genres: list[str]
    studios: list[str]
    type: str | None
    source: str | None
    age_rating: str | None
    episodes: int | None
    score: float | None
    first_airing: date | None
    line: int = 0
    synopsis: str | None = None

    @property
    def year(self) -> int | None:
        """Year of first airing (None when unknown: never a made-up year)."""
        return self.first_airing.year if self.first_airing else None

    @property
    def first_airing_epoch(self) -> int:
        """Epoch seconds of first airing; MAL_LAUNCH when unknown."""
        return epoch_seconds(self.first_airing or MAL_LAUNCH)


@dataclass
class AnimeTable:
    """All valid anime by id, plus sorted id and first-airing arrays for vectorised lookups."""

    records: list[AnimeRecord]
    with_synopsis: bool = False
    ids: np.ndarray = field(init=False)
    first_airing: np.ndarray = field(init=False)
    _dense: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.records.sort(key=lambda record: record.anime_id)
        self.ids = np.fromiter((r.anime_id for r in self.records), dtype=np.int64, count=len(self.records))
        self.first_airing = np.fromiter(
            (r.first_airing_epoch for r in self.records), dtype=np.int64, count=len(self.records)
        )
        self._dense: np.ndarray | None = None
        if self.ids.size and int(self.ids[-1]) < DENSE_LOOKUP_LIMIT:
            self._dense = np.full(int(self.ids[-1]) + 1, -1, dtype=np.int32)
            self._dense[self.ids] = np.arange(self.ids.size, dtype=np.int32)

    def positions(self, anime_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each id: (is it a known anime, its index in ``records`` — meaningless when unknown)."""
        if self.ids.size == 0:
            return np.zeros(anime_ids.shape, dtype=bool), np.zeros(anime_ids.shape, dtype=np.int64)
        if self._dense is not None:  # MAL ids are small: a direct lookup table beats a binary search
            in_range = (anime_ids >= 0) & (anime_ids < self._dense.size)
            index = self._dense[np.where(in_range, anime_ids, 0)]
            known = in_range & (index >= 0)
            return known, np.where(known, index, 0)
        index = np.minimum(np.searchsorted(self.ids, anime_ids), self.ids.size - 1)
        return self.ids[index] == anime_ids, index


def _known(value: str) -> str | None:
    value = value.strip()
    return None if value in UNKNOWN_VALUES else value


def _split_list(value: str) -> list[str]:
    return [token for token in (t.strip() for t in value.split(",")) if token and token not in UNKNOWN_VALUES]


def _parse_score(text: str) -> tuple[float | None, bool]:
    if _known(text) is None:
        return None, True
    try:
        value = float(text)
    except ValueError:
        return None, False
    return (value, True) if math.isfinite(value) and 0 <= value <= 10 else (None, False)


def _parse_episodes(text: str) -> tuple[int | None, bool]:
    if _known(text) is None:
        return None, True
    value = parse_int(text.strip())
    return (value, True) if value is not None and 0 <= value <= 2**31 - 1 else (None, False)


def _age_rating(text: str) -> str | None:
    """``PG-13 - Teens 13 or older`` → ``PG-13`` (the code before " - ")."""
    value = _known(text)
    return value.split(" - ", 1)[0].strip() if value else None


def _first_airing(aired: str, premiered: str, file: str, line: int, log: RuleLog) -> date | None:
    for column, text, parse in (("Aired", aired, parse_aired_start), ("Premiered", premiered, parse_premiered)):
        if _known(text) is None:
            continue
        parsed = parse(text)
        if parsed is not None:
            return parsed
        log.record("unparsed_date", file, column, [line], [text])
    return None


@dataclass
class _RowCount:
    """Data rows read from one file, good or bad."""

    rows: int = 0


def _unique_id_rows(
    storage: Storage, header: CsvHeader, log: RuleLog, count: _RowCount
) -> Iterator[tuple[int, dict[str, str], int]]:
    """(line, needed fields, MAL_ID) of every well-formed row with a valid, first-seen MAL_ID.

    Structural problems, invalid ids and repeated ids are recorded in ``log`` and skipped; ``count`` counts every row.
    """
    file = header.file.name
    seen: set[int] = set()
    for record in read_exact_table(storage, header):
        count.rows += 1
        if record.problem is not None:
            record_structural(log, file, header.names, [record])
            continue
        line, row = record.line, needed_fields(record.fields, header)
        anime_id = parse_id(row["MAL_ID"])
        if anime_id is None:
            log.record("invalid_anime_id", file, "MAL_ID", [line], [row["MAL_ID"]])
            continue
        if anime_id in seen:
            log.record("duplicate_anime", file, "MAL_ID", [line], [row["MAL_ID"]])
            continue
        seen.add(anime_id)
        yield line, row, anime_id


def load_anime(storage: Storage, header: CsvHeader, log: RuleLog) -> tuple[AnimeTable, int]:
    """Read anime.csv; returns the table and the number of data rows read."""
    file = header.file.name
    records: dict[int, AnimeRecord] = {}
    count = _RowCount()
    for line, row, anime_id in _unique_id_rows(storage, header, log, count):
        score, score_ok = _parse_score(row["Score"])
        if not score_ok:
            log.record("invalid_score", file, "Score", [line], [row["Score"]])
        episodes, episodes_ok = _parse_episodes(row["Episodes"])
        if not episodes_ok:
            log.record("invalid_episodes", file, "Episodes", [line], [row["Episodes"]])
        records[anime_id] = AnimeRecord(
            anime_id=anime_id,
            title=row["Name"].strip(),
            english_title=_known(row["English name"]),
            genres=_split_list(row["Genres"]),
            studios=_split_list(row["Studios"]),
            type=_known(row["Type"]),
            source=_known(row["Source"]),
            age_rating=_age_rating(row["Rating"]),
            episodes=episodes,
            score=score,
            first_airing=_first_airing(row["Aired"], row["Premiered"], file, line, log),
            line=line,
        )
    return AnimeTable(list(records.values())), count.rows


def attach_synopses(table: AnimeTable, storage: Storage, header: CsvHeader, log: RuleLog) -> tuple[int, int]:
    """Read anime_with_synopsis.csv into ``table``; returns (data rows read, rows attached to an anime)."""
    file = header.file.name
    by_id = {record.anime_id: record for record in table.records}
    count = _RowCount()
    attached = 0
    for line, row, anime_id in _unique_id_rows(storage, header, log, count):
        record = by_id.get(anime_id)
        if record is None:
            log.record("orphan_synopsis", file, "MAL_ID", [line], [row["MAL_ID"]])
            continue
        text = row["synopsis"].strip()
        record.synopsis = None if not text or text.startswith(SYNOPSIS_PLACEHOLDER_PREFIX) else text
        attached += 1
    table.with_synopsis = True
    return count.rows, attached
