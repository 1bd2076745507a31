"""items.csv and catalog.json from the anime table.

items.csv is written so that an RFC-4180 reader and Personalize's backslash-escaping reader see the same values:
text never contains a double quote, a backslash or a line break (quotes become ``'``, backslashes ``/``, line
breaks spaces), so quoting is only ever needed around commas. Multi-valued categoricals are joined with ``|``
(``|`` inside a name becomes ``/``) and capped at Personalize's 1000 characters.
"""

from __future__ import annotations

import csv
import io
from typing import Any, BinaryIO

from anime_recommender.prepare_data.anime_metadata import AnimeRecord, AnimeTable
from anime_recommender.prepare_data.rules import RuleLog
from anime_recommender.prepare_data.schemas import items_fields

CATEGORICAL_MAX_CHARS = 1000
_TEXT_TRANSLATION = str.maketrans({'"': "'", "\\": "/", "\r": " ", "\n": " ", "\t": " "})


def portable_text(text: str) -> str:
    """Text safe for both CSV escaping conventions (see module docstring)."""
    return text.translate(_TEXT_TRANSLATION)


def categorical_value(tokens: list[str], log: RuleLog, column: str, line: int) -> str | None:
    """``|``-joined categorical value (None when empty), trailing tokens dropped beyond 1000 characters."""
    cleaned = [portable_text(token).replace("|", "/") for token in tokens]
    joined = "|".join(cleaned)
    if len(joined) > CATEGORICAL_MAX_CHARS:
        log.record("categorical_truncated", "anime.csv", column, [line], [joined[:80] + "…"])
        while cleaned and len("|".join(cleaned)) > CATEGORICAL_MAX_CHARS:
            cleaned.pop()
        joined = "|".join(cleaned)
    return joined or None


def creation_timestamp(record: AnimeRecord) -> int:
    """First airing in epoch seconds, MAL_LAUNCH when unknown, never negative (pre-1970 anime get 0)."""
    return max(0, record.first_airing_epoch)


def _cell(value: Any) -> Any:
    return "" if value is None else value


def write_items_csv(table: AnimeTable, sink: BinaryIO, log: RuleLog) -> int:
    """Write items.csv (header = the items schema's fields); returns the number of items written."""
    names = [f.name for f in items_fields(table.with_synopsis)]
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(names)
    for record in table.records:
        row = [
            record.anime_id,
            categorical_value(record.genres, log, "Genres", record.line),
            categorical_value(record.studios, log, "Studios", record.line),
            portable_text(record.type) if record.type else None,
            portable_text(record.source) if record.source else None,
            portable_text(record.age_rating) if record.age_rating else None,
            record.year,
            record.episodes,
            record.score,
            creation_timestamp(record),
        ]
        if table.with_synopsis:
            row.append(portable_text(record.synopsis) if record.synopsis else None)
        writer.writerow([_cell(value) for value in row])
    text.flush()
    text.detach()
    return len(table.records)


def catalog_entries(table: AnimeTable) -> dict[str, dict[str, Any]]:
    """catalog.json: ``{"<animeId>": {title, englishTitle, genres, year, score, type, studios}}``."""
    return {
        str(record.anime_id): {
            "title": record.title,
            "englishTitle": record.english_title,
            "genres": list(record.genres),
            "year": record.year,
            "score": record.score,
            "type": record.type,
            "studios": list(record.studios),
        }
        for record in table.records
    }
