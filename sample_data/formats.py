"""The exact Kaggle file formats: headers, CSV dialect and the value formatters for anime.csv.

Every rule here was checked against the real files of the Kaggle "Anime Recommendation Database 2020"
(hernan4444/anime-recommendation-database-2020; ``python -m kaggle_drop`` downloads it) and the dataset author's
GitHub mirror Hernan4444/MyAnimeList-Database (full anime.csv, 500-line samples of the two big files):

- All five files are UTF-8, LF line endings, and round-trip byte-for-byte through Python's ``csv.writer`` with
  ``lineterminator="\\n"`` and the default QUOTE_MINIMAL (fields are quoted only when they hold a comma, a quote or a
  newline; quotes are doubled). Every file ends with a newline except ``watching_status.csv``.
- ``watching_status.csv`` is 88 bytes with the header ``status, description`` (a space before ``description``) and
  no final newline (byte-identical copy of the author's file).
- Missing values in anime.csv are the string ``Unknown``; there is no empty field and no ``Not available``.
- Multi-valued fields (Genres, Producers, Licensors, Studios) are joined with ", " (comma + space).
"""

from __future__ import annotations

import datetime as dt

UNKNOWN = "Unknown"
LIST_SEPARATOR = ", "

# Header of the real anime.csv (current Kaggle version, "Genres"; an older upload said "Genders").
ANIME_HEADER: tuple[str, ...] = (
    "MAL_ID",
    "Name",
    "Score",
    "Genres",
    "English name",
    "Japanese name",
    "Type",
    "Episodes",
    "Aired",
    "Premiered",
    "Producers",
    "Licensors",
    "Studios",
    "Source",
    "Duration",
    "Rating",
    "Ranked",
    "Popularity",
    "Members",
    "Favorites",
    "Watching",
    "Completed",
    "On-Hold",
    "Dropped",
    "Plan to Watch",
    "Score-10",
    "Score-9",
    "Score-8",
    "Score-7",
    "Score-6",
    "Score-5",
    "Score-4",
    "Score-3",
    "Score-2",
    "Score-1",
)
# The current Kaggle anime_with_synopsis.csv header (kaggle-latest-head/ copy): "Genres" and the misspelt
# "sypnopsis". The May-2021 upload said "Genders" instead of "Genres".
SYNOPSIS_HEADER: tuple[str, ...] = ("MAL_ID", "Name", "Score", "Genres", "sypnopsis")
RATING_COMPLETE_HEADER: tuple[str, ...] = ("user_id", "anime_id", "rating")
ANIMELIST_HEADER: tuple[str, ...] = ("user_id", "anime_id", "rating", "watching_status", "watched_episodes")

# watching_status.csv, byte for byte (88 bytes, no final newline).
WATCHING_STATUS_BYTES = b"status, description\n1,Currently Watching\n2,Completed\n3,On Hold\n4,Dropped\n6,Plan to Watch"
WATCHING = 1
COMPLETED = 2
ON_HOLD = 3
DROPPED = 4
PLAN_TO_WATCH = 6  # there is no status 5 in the real data

# MAL's placeholder synopsis (709 real rows; note the space before the final period).
NO_SYNOPSIS = (
    "No synopsis information has been added to this title. Help improve our database by adding a synopsis here ."
)

# The seven values of the real Rating column (besides Unknown), with their exact spelling.
AGE_RATINGS: tuple[str, ...] = (
    "G - All Ages",
    "PG - Children",
    "PG-13 - Teens 13 or older",
    "R - 17+ (violence & profanity)",
    "R+ - Mild Nudity",
    "Rx - Hentai",
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Premiered season by start month; the real file maps Jan-Mar to Winter, Apr-Jun Spring, Jul-Sep Summer,
# Oct-Dec Fall (1,348 "Spring"+"Apr" rows, 1,179 "Fall"+"Oct", ...).
_SEASONS = ("Winter",) * 3 + ("Spring",) * 3 + ("Summer",) * 3 + ("Fall",) * 3


def join_list(values: list[str] | tuple[str, ...]) -> str:
    """Join a multi-valued field the way the real file does (``Action, Adventure``), ``Unknown`` when empty."""
    return LIST_SEPARATOR.join(values) if values else UNKNOWN


def format_date(day: dt.date) -> str:
    """``Apr 3, 1998``: abbreviated month, day without a leading zero, comma, year (real Aired values)."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def format_month(day: dt.date) -> str:
    """``Apr, 2005``: the real file's month-precision dates (227 rows of shape ``Mon, N``)."""
    return f"{_MONTHS[day.month - 1]}, {day.year}"


def format_aired(start: dt.date | None, end: dt.date | None, *, airing: bool, precision: str = "day") -> str:
    """Format the Aired column.

    Shapes in the real file (counts of 17,562): ``Apr 3, 1998 to Apr 24, 1999`` (7,739), ``Sep 1, 2001`` (7,253),
    ``2005`` (1,319), ``Oct 4, 2020 to ?`` (381, still airing), ``Unknown`` (309), ``Apr, 2005`` (227),
    ``2021 to ?`` (77). ``precision`` is ``day``, ``month`` or ``year``.
    """
    if start is None:
        return UNKNOWN
    if precision == "year":
        first = str(start.year)
    elif precision == "month":
        first = format_month(start)
    else:
        first = format_date(start)
    if airing:
        return f"{first} to ?"
    if end is None or end == start:
        return first
    last = str(end.year) if precision == "year" else format_month(end) if precision == "month" else format_date(end)
    return f"{first} to {last}"


def format_premiered(start: dt.date | None) -> str:
    """``Spring 1998`` from the first air date (only TV series have one in the real file; others ``Unknown``)."""
    if start is None:
        return UNKNOWN
    return f"{_SEASONS[start.month - 1]} {start.year}"


def format_duration(seconds_per_episode: int, episodes: int) -> str:
    """Format the Duration column.

    Real shapes: ``24 min. per ep.``, ``2 min.``, ``1 hr. 55 min.``, ``30 sec.``, ``1 hr.``, ``1 hr. 2 min. per ep.``.
    ``per ep.`` appears exactly when the anime has more than one episode (8,576 of 8,665 multi-episode rows).
    """
    hours, rest = divmod(seconds_per_episode, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        text = f"{hours} hr. {minutes} min." if minutes else f"{hours} hr."
    elif minutes:
        text = f"{minutes} min."
    else:
        text = f"{seconds} sec."
    return f"{text} per ep." if episodes > 1 else text


def format_score(value: float | None) -> str:
    """``8.78``, ``6.3``, ``8.0``: Python's shortest repr of the score rounded to 2 decimals (real Score column)."""
    return UNKNOWN if value is None else repr(round(float(value), 2))


def format_float_count(value: int) -> str:
    """``229170.0``: Ranked and Score-N columns are floats in the real file; a zero count is ``Unknown`` there."""
    return UNKNOWN if value <= 0 else f"{int(value)}.0"
