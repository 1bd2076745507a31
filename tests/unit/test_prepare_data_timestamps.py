"""First-airing parsing and the deterministic synthetic timestamps."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from anime_recommender.prepare_data.timestamps import (
    MAL_LAUNCH,
    epoch_seconds,
    pair_hash,
    parse_aired_start,
    parse_premiered,
    synthesize_timestamps,
    user_partition,
    window_bounds,
)


@pytest.mark.parametrize(
    ("aired", "expected"),
    [
        ("Apr 3, 1998 to Apr 24, 1999", date(1998, 4, 3)),
        ("Sep 1, 2001", date(2001, 9, 1)),
        ("Oct 20, 1999 to ?", date(1999, 10, 20)),
        ("Jun, 1984", date(1984, 6, 1)),
        ("Feb, 1992 to Feb, 1996", date(1992, 2, 1)),
        ("2003", date(2003, 1, 1)),
        ("2006 to ?", date(2006, 1, 1)),
        ("1977 to Jun 6, 2012", date(1977, 1, 1)),
        ("Unknown", None),
        ("Feb 30, 2001", None),
        ("Foo 3, 2001", None),
        ("sometime in 1999", None),
    ],
)
def test_parse_aired_start(aired: str, expected: date | None) -> None:
    assert parse_aired_start(aired) == expected


@pytest.mark.parametrize(
    ("premiered", "expected"),
    [
        ("Spring 1998", date(1998, 4, 1)),
        ("Winter 2021", date(2021, 1, 1)),
        ("Fall 2010", date(2010, 10, 1)),
        ("Summer 2000", date(2000, 7, 1)),
        ("Unknown", None),
        ("Monsoon 2001", None),
    ],
)
def test_parse_premiered(premiered: str, expected: date | None) -> None:
    assert parse_premiered(premiered) == expected


def test_windows_never_start_before_airing_or_mal() -> None:
    snapshot = epoch_seconds(date(2021, 7, 13))
    airing = np.array(
        [epoch_seconds(date(1917, 1, 1)), epoch_seconds(date(2010, 1, 1)), epoch_seconds(date(2022, 1, 8))]
    )
    low, high = window_bounds(airing, snapshot)
    assert low.tolist() == [epoch_seconds(MAL_LAUNCH), airing[1], airing[2]]
    assert high.tolist() == [snapshot, snapshot, airing[2]]  # aired after the snapshot: a zero-width window


def test_timestamps_are_deterministic_chunk_independent_and_in_bounds() -> None:
    rng = np.random.default_rng(7)
    users = rng.integers(0, 400_000, 50_000)
    items = rng.integers(1, 50_000, 50_000)
    low = rng.integers(0, 1_500_000_000, 50_000)
    high = low + rng.integers(0, 200_000_000, 50_000)
    whole = synthesize_timestamps(users, items, low, high)
    pieces = np.concatenate(
        [
            synthesize_timestamps(users[s], items[s], low[s], high[s])
            for s in (slice(0, 1), slice(1, 777), slice(777, None))
        ]
    )
    assert np.array_equal(whole, pieces)
    assert np.array_equal(whole, synthesize_timestamps(users.copy(), items.copy(), low, high))
    assert np.all((low <= whole) & (whole <= high))
    position = (whole - low) / np.maximum(high - low, 1)
    assert 0.48 < position[high > low].mean() < 0.52  # uniform within the window
    assert np.histogram(position, bins=10, range=(0, 1))[0].min() > 4000


def test_pair_hash_depends_on_both_ids_and_order() -> None:
    a = pair_hash(np.array([1, 2, 1]), np.array([2, 1, 3]))
    assert len(set(a.tolist())) == 3


def test_user_partition_is_stable_and_in_range() -> None:
    users = np.arange(10_000)
    parts = user_partition(users, 7)
    assert parts.min() == 0 and parts.max() == 6
    assert np.array_equal(parts, user_partition(users[::-1], 7)[::-1])
    assert np.bincount(parts).min() > 1200
