"""Vectorised simulation of animelist.csv rows for a chunk of users.

Model (per user, per list entry):
- *which anime*: a mixture of "pick by a favourite genre" (share ``genre_strength``), "pick by the favourite studio"
  (``studio_strength``), "pick anything" and a small share of "plan an upcoming (cold) anime"; inside each component
  the anime is drawn in proportion to its Zipf-like popularity. Draws are de-duplicated per user.
- *how much they like it*: a latent z = user bias + anime quality + taste affinity + noise, cut into the ratings
  1..10 at thresholds calibrated so completed-and-rated rows follow the real rating_complete.csv distribution.
- *status*: plan-to-watch, watching, on hold, dropped (much likelier when z is low) or completed; the rating is
  shown (non-zero) with the per-status probability measured on the real animelist.csv rows.
All work is numpy over the whole chunk; nothing loops over users or rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sample_data.catalog import GENRE_NAMES, STUDIO_NAMES, Catalog
from sample_data.formats import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING
from sample_data.sizes import SizeSpec
from sample_data.users import Users, build_users

STATUS_CODES = np.array([WATCHING, COMPLETED, ON_HOLD, DROPPED, PLAN_TO_WATCH], dtype=np.int64)
# Status slots 0..4 map to STATUS_CODES; the real files list each user's rows grouped by status in this order.
SLOT_WATCHING, SLOT_COMPLETED, SLOT_ON_HOLD, SLOT_DROPPED, SLOT_PLANNED = range(5)
# Shares of animelist.csv rows by status. rating_complete (57.6M) / animelist (109.2M) = 0.53 in the real data; the
# author's 499-row sample has 47% plan-to-watch, 40% completed (3 users only).
PLANNED_SHARE = 0.29
WATCHING_SHARE = 0.075
ON_HOLD_SHARE = 0.05
DROP_SHARE_LOW = 0.3  # among watched entries the user dislikes (z in the bottom LOW_Z_QUANTILE)
DROP_SHARE = 0.02  # among the others
LOW_Z_QUANTILE = 0.12
# P(rating != 0) by status, from the real animelist.csv sample: completed 93.6%, watching 57%, on hold 22%,
# dropped 33%, plan to watch 0%.
RATED_SHARE = np.array([0.57, 0.936, 0.22, 0.33, 0.0])
# Target distribution of ratings 1..10 in rating_complete.csv. Shape from the 50,278 real rows we hold (mean 7.62,
# std 1.76: 0.7%, 0.9%, 1.3%, 2.5%, 5.3%, 10.4%, 21.0%, 25.7%, 18.0%, 14.3%), nudged so the moments equal those
# published for the whole 57.6M-row file: mean 7.51, std 1.70, quartiles 7/8/9.
REAL_RATING_SHARES = np.array([0.006, 0.008, 0.013, 0.026, 0.058, 0.115, 0.225, 0.262, 0.172, 0.115])
COLD_PICK_SHARE = 0.004  # list entries that plan an upcoming anime nobody could rate yet
OVERSAMPLE = 1.3  # draws per wanted list entry before de-duplication
CALIBRATION_USERS = 3000
FLAT_EXPONENT = 0.7  # popularity ** this = the flatter curve heavy users' extra picks follow


@dataclass
class ChunkRows:
    """The animelist.csv rows of one chunk of users, in file order."""

    user_id: np.ndarray
    item: np.ndarray  # catalogue row index
    anime_id: np.ndarray
    rating: np.ndarray
    status: np.ndarray
    watched_episodes: np.ndarray
    slot: np.ndarray  # status slot 0..4


@dataclass
class RatingModel:
    """Thresholds that turn latent z into statuses and ratings; calibrated once per dataset."""

    low_z: float
    thresholds: np.ndarray  # 9 cut points: rating = 1 + number of thresholds below z


def _alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table: (keep probability, alias index) so a draw costs O(1) instead of a binary search."""
    n = weights.size
    scaled = weights * (n / weights.sum())
    keep = np.ones(n)
    alias = np.arange(n)
    small = [int(i) for i in np.flatnonzero(scaled < 1.0)]
    large = [int(i) for i in np.flatnonzero(scaled >= 1.0)]
    while small and large:
        s, big = small.pop(), large.pop()
        keep[s], alias[s] = scaled[s], big
        scaled[big] -= 1.0 - scaled[s]
        (small if scaled[big] < 1.0 else large).append(big)
    return keep, alias  # leftovers keep probability 1 (floating-point rounding only)


class ItemSampler:
    """Draws anime for many users at once from per-component distributions (alias tables laid end to end)."""

    def __init__(self, catalog: Catalog) -> None:
        """Build one segment per genre, per studio, global, flat global, and one for the cold anime."""
        n_genres, n_studios = len(GENRE_NAMES), len(STUDIO_NAMES)
        self.global_segment = n_genres + n_studios
        self.flat_segment = self.global_segment + 1
        self.cold_segment = self.global_segment + 2
        warm = ~catalog.is_cold
        members = [catalog.genre_matrix[:, g] & warm for g in range(n_genres)]
        members += [(catalog.studio_index == s) & warm for s in range(n_studios)]
        members += [warm, warm, catalog.is_cold]
        items, keeps, aliases = [], [], []
        self.segment_size = np.zeros(len(members), dtype=np.int64)
        self.segment_start = np.zeros(len(members), dtype=np.int64)
        offset = 0
        for seg, mask in enumerate(members):
            idx = np.flatnonzero(mask)
            self.segment_start[seg], self.segment_size[seg] = offset, idx.size
            if idx.size == 0:
                continue
            w = catalog.popularity[idx]
            if seg == self.flat_segment:  # heavy users dig deep into the long tail
                w = w**FLAT_EXPONENT
            elif seg == self.cold_segment:
                w = np.ones(idx.size)
            keep, alias = _alias_table(w)
            items.append(idx)
            keeps.append(keep)
            aliases.append(alias + offset)
            offset += idx.size
        self.items = np.concatenate(items)
        self.keep = np.concatenate(keeps)
        self.alias = np.concatenate(aliases)

    def draw(self, rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
        """One catalogue row per entry of ``segment`` (each segment must be non-empty)."""
        spot = rng.random(segment.size) * self.segment_size[segment]
        slot = np.minimum(spot.astype(np.int64), self.segment_size[segment] - 1)
        column = self.segment_start[segment] + slot
        # The fractional part of the same uniform decides between the slot and its alias.
        chosen = np.where(spot - slot < self.keep[column], column, self.alias[column])
        return self.items[chosen]


def _choose_segments(rng: np.random.Generator, sampler: ItemSampler, users: Users, rows: np.ndarray) -> np.ndarray:
    """Mixture component of each draw (``rows`` = user row per draw)."""
    r = rng.random(rows.size)
    q = users.genre_strength[rows]
    s = users.studio_strength[rows]
    seg = np.full(rows.size, sampler.global_segment, dtype=np.int64)
    by_genre = (r >= COLD_PICK_SHARE) & (r < COLD_PICK_SHARE + q)
    which = (rng.random(rows.size)[:, None] > np.cumsum(users.favourite_weights[rows], axis=1)[:, :-1]).sum(axis=1)
    genre = users.favourite_genres[rows, which]
    seg = np.where(by_genre & (genre >= 0), genre, seg)
    by_studio = (r >= COLD_PICK_SHARE + q) & (r < COLD_PICK_SHARE + q + s)
    studio = users.favourite_studio[rows]
    seg = np.where(by_studio & (studio >= 0), len(GENRE_NAMES) + studio, seg)
    seg = np.where(r < COLD_PICK_SHARE, sampler.cold_segment, seg)
    return seg


def _distinct_in_draw_order(
    local_user: np.ndarray, item: np.ndarray, n_items: int, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated (user, anime) draws and keep at most ``wanted[user]`` per user, in draw order."""
    key = local_user * n_items + item
    _, first = np.unique(key, return_index=True)
    first.sort()
    users_kept, items_kept = local_user[first], item[first]
    starts = np.searchsorted(users_kept, np.arange(wanted.size))
    rank = np.arange(users_kept.size) - starts[users_kept]
    keep = rank < wanted[users_kept]
    return users_kept[keep], items_kept[keep]


def draw_lists(
    rng: np.random.Generator, sampler: ItemSampler, catalog: Catalog, users: Users, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray]:
    """The (user row, catalogue row) pairs of users ``start..stop-1``, grouped by user, in random order."""
    wanted = users.list_length[start:stop]
    draws = np.ceil(wanted * OVERSAMPLE).astype(np.int64) + 4
    local = np.repeat(np.arange(stop - start), draws)
    items = sampler.draw(rng, _choose_segments(rng, sampler, users, local + start))
    local, items = _distinct_in_draw_order(local, items, catalog.size, wanted)
    # Heavy users exhaust their tastes and the head of the curve: top them up from a flatter popularity curve.
    got = np.bincount(local, minlength=wanted.size)
    short = np.flatnonzero(got < wanted)
    if short.size:
        extra_n = (wanted[short] - got[short]) * 3 + 4
        extra_local = np.repeat(short, extra_n)
        extra_items = sampler.draw(rng, np.full(extra_local.size, sampler.flat_segment))
        all_local = np.concatenate([local, extra_local])
        all_items = np.concatenate([items, extra_items])
        order = np.argsort(all_local, kind="stable")
        local, items = _distinct_in_draw_order(all_local[order], all_items[order], catalog.size, wanted)
    return local + start, items


def latent_preference(rng: np.random.Generator, catalog: Catalog, users: Users, rows: np.ndarray, items: np.ndarray):
    """Latent liking z of each (user, anime) pair: bias + quality + genre/studio affinity + noise."""
    fav = users.favourite_genres[rows]
    has_genre = catalog.genre_matrix[items[:, None], np.maximum(fav, 0)] & (fav >= 0)
    affinity = (users.favourite_weights[rows] * has_genre).sum(axis=1)
    studio = users.favourite_studio[rows]
    affinity = affinity + 0.5 * ((studio >= 0) & (catalog.studio_index[items] == studio))
    return (
        0.55 * users.bias[rows] + 0.5 * catalog.quality[items] + 1.1 * affinity + 0.75 * rng.standard_normal(rows.size)
    )


def assign_status(rng: np.random.Generator, catalog: Catalog, items: np.ndarray, z: np.ndarray, low_z: float):
    """Status slot of each entry; dislikes are dropped more, cold anime are only planned, airing ones not done."""
    r = rng.random(z.size)
    drop = np.where(z < low_z, DROP_SHARE_LOW, DROP_SHARE)
    watched = 1.0 - PLANNED_SHARE
    slot = np.full(z.size, SLOT_COMPLETED, dtype=np.int64)
    slot = np.where(r < PLANNED_SHARE, SLOT_PLANNED, slot)
    w_lo = PLANNED_SHARE
    slot = np.where((r >= w_lo) & (r < w_lo + watched * WATCHING_SHARE), SLOT_WATCHING, slot)
    w_lo += watched * WATCHING_SHARE
    slot = np.where((r >= w_lo) & (r < w_lo + watched * ON_HOLD_SHARE), SLOT_ON_HOLD, slot)
    w_lo += watched * ON_HOLD_SHARE
    slot = np.where((r >= w_lo) & (r < w_lo + watched * drop), SLOT_DROPPED, slot)
    # Anime whose episode count is Unknown are still airing: MAL does not let a user complete them (the real
    # rating_complete.csv has no row for One Piece, MAL_ID 21, Episodes Unknown).
    slot = np.where((slot == SLOT_COMPLETED) & (catalog.episodes[items] == 0), SLOT_WATCHING, slot)
    return np.where(catalog.is_cold[items], SLOT_PLANNED, slot)


def calibrate(rng: np.random.Generator, sampler: ItemSampler, catalog: Catalog, spec: SizeSpec) -> RatingModel:
    """Fit the z cut points on a calibration population so completed, rated rows follow the real distribution.

    The population is drawn from ``spec`` with its own random stream, so the rating model does not depend on how
    many users are generated (a slice of ``full`` gets the thresholds of ``full``).
    """
    population = build_users(rng, replace(spec, n_users=CALIBRATION_USERS), catalog)
    rows, items = draw_lists(rng, sampler, catalog, population, 0, population.size)
    warm = ~catalog.is_cold[items]
    rows, items = rows[warm], items[warm]
    z = latent_preference(rng, catalog, population, rows, items)
    low_z = float(np.quantile(z, LOW_Z_QUANTILE))
    slot = assign_status(rng, catalog, items, z, low_z)
    done = z[slot == SLOT_COMPLETED]
    thresholds = np.quantile(done, np.cumsum(REAL_RATING_SHARES)[:-1])
    return RatingModel(low_z=low_z, thresholds=thresholds)


def simulate_chunk(
    rng: np.random.Generator,
    sampler: ItemSampler,
    catalog: Catalog,
    users: Users,
    model: RatingModel,
    start: int,
    stop: int,
) -> ChunkRows:
    """animelist.csv rows of users ``start..stop-1`` in file order (by user, then status 1,2,3,4,6)."""
    rows, items = draw_lists(rng, sampler, catalog, users, start, stop)
    z = latent_preference(rng, catalog, users, rows, items)
    slot = assign_status(rng, catalog, items, z, model.low_z)
    level = 1 + np.searchsorted(model.thresholds, z, side="right")
    rated = rng.random(z.size) < RATED_SHARE[slot]
    rating = np.where(rated, level, 0)
    episodes = catalog.episodes[items]
    partial = np.where(episodes > 0, np.floor(rng.random(z.size) * episodes), rng.integers(0, 60, z.size))
    watched = np.select([slot == SLOT_COMPLETED, slot == SLOT_PLANNED], [episodes, 0], default=partial.astype(np.int64))
    order = np.lexsort((slot, rows))  # stable: keeps draw order inside each (user, status) group
    return ChunkRows(
        user_id=users.user_id[rows[order]],
        item=items[order],
        anime_id=catalog.mal_id[items[order]],
        rating=rating[order],
        status=STATUS_CODES[slot[order]],
        watched_episodes=watched[order],
        slot=slot[order],
    )
