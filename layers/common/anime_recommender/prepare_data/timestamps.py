"""First-airing dates and the deterministic synthetic interaction timestamps.

The Kaggle data has no interaction times. Each (user, anime) pair gets a time drawn uniformly from the anime's
window ``[max(first airing, MAL_LAUNCH), max(snapshot, that)]`` with a counter-based hash of the pair as the
random number, so a pair always gets the same time: across runs, chunk sizes, partition counts and machines.

Consequence to keep in mind: the order of one user's interactions is random. Personalize's "newest 10% of each
test user's interactions" hold-out is therefore a random 10% hold-out on this data (as it was for the seed).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import numpy as np

MAL_LAUNCH = date(2004, 11, 1)
"""MyAnimeList opened in November 2004: no list entry is older. Lower bound of every window, and the fallback
first-airing date when neither Aired nor Premiered gives one."""

DEFAULT_SNAPSHOT_DATE = date(2021, 7, 13)
"""Upper bound of every window: the day the dataset's current anime.csv was published (its newest anime with
completions aired 2021-03-14, so the lists are at least that recent and no entry can be later than this)."""

TIMESTAMP_SEED = 0x5EED_2020
"""Salt of the timestamp hash; changing it re-draws every timestamp (and therefore every hold-out)."""

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}
_SEASON_MONTH = {"Winter": 1, "Spring": 4, "Summer": 7, "Fall": 10}
_DAY_MONTH_YEAR = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Z][a-z]{2}), (\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_SEASON = re.compile(r"^(Winter|Spring|Summer|Fall) (\d{4})$")
UNKNOWN_VALUES = frozenset({"", "Unknown", "Not available"})


def parse_aired_start(aired: str) -> date | None:
    """First day of an ``Aired`` value: ``Apr 3, 1998 to Apr 24, 1999`` → 1998-04-03; ``Jun, 1984`` → 1984-06-01;
    ``2003`` → 2003-01-01. None when it is none of those shapes (``Unknown`` included)."""
    start = aired.split(" to ", 1)[0].strip()
    try:
        if match := _DAY_MONTH_YEAR.match(start):
            return date(int(match[3]), _MONTHS[match[1]], int(match[2]))
        if match := _MONTH_YEAR.match(start):
            return date(int(match[2]), _MONTHS[match[1]], 1)
        if match := _YEAR.match(start):
            return date(int(match[1]), 1, 1)
    except (KeyError, ValueError):
        return None
    return None


def parse_premiered(premiered: str) -> date | None:
    """First day of a ``Premiered`` season: ``Spring 1998`` → 1998-04-01. None when not a season."""
    if match := _SEASON.match(premiered.strip()):
        return date(int(match[2]), _SEASON_MONTH[match[1]], 1)
    return None


def epoch_seconds(day: date) -> int:
    """Unix time of midnight UTC at the start of ``day`` (negative before 1970)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised on uint64 (wrap-around arithmetic is intended)."""
    z = values.astype(np.uint64, copy=True)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def pair_hash(users: np.ndarray, items: np.ndarray, seed: int = TIMESTAMP_SEED) -> np.ndarray:
    """A 64-bit hash of each (user, item) pair of non-negative int64 ids."""
    with np.errstate(over="ignore"):
        golden = np.uint64(0x9E3779B97F4A7C15)
        first = _mix64(users.astype(np.uint64) + np.uint64(seed) * golden)
        return _mix64(first ^ (items.astype(np.uint64) * golden + golden))


def user_partition(users: np.ndarray, partitions: int) -> np.ndarray:
    """Partition index (0..partitions-1) of each user id: every row of one user lands in the same partition."""
    with np.errstate(over="ignore"):
        return (_mix64(users.astype(np.uint64)) % np.uint64(partitions)).astype(np.int32)


def window_bounds(first_airing: np.ndarray, snapshot: int) -> tuple[np.ndarray, np.ndarray]:
    """Per anime (epoch seconds of first airing, MAL_LAUNCH when unknown): the [low, high] timestamp window."""
    low = np.maximum(first_airing.astype(np.int64), epoch_seconds(MAL_LAUNCH))
    high = np.maximum(low, np.int64(snapshot))
    return low, high


def synthesize_timestamps(users: np.ndarray, items: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Uniform draw in [low, high] (inclusive, whole seconds) per row, seeded by the (user, item) hash."""
    unit = (pair_hash(users, items) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    span = (high - low + 1).astype(np.float64)
    return np.minimum(low + np.floor(unit * span).astype(np.int64), high)
