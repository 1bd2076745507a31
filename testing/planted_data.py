"""Interactions with a KNOWN planted structure, for recipe tests and benchmarks (seeded, numpy only).

* ``n_genres`` genres; item ``i`` has primary genre ``i % n_genres`` (and sometimes a second one).
* Each user has one favourite genre; a share ``taste_strength`` of their interactions are items of that genre,
  the rest are drawn from the whole catalogue; both by a Zipf-like popularity.
* Items come in *series*: item ``2k`` and ``2k + 1`` (same genre) are always watched together, one right after
  the other, so their co-occurrence is planted.
* The last ``n_new_items`` items are new: created a day before the latest interaction and (almost) never
  interacted with — what exploration must surface.
* Every item has a SYNOPSIS: filler words plus words of its primary genre's vocabulary (``g<genre>w<k>``), so text
  similarity recovers the genres.
* With ``device_context``, each interaction has a DEVICE: ``tv`` for items of :data:`TV_GENRES`, ``mobile`` for the
  others, each flipped with probability 0.1 — context that predicts what is watched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = 86400
TV_GENRES = (0, 1)
_FILLER = ("story", "world", "young", "friends", "journey", "secret", "school", "city", "power", "life", "team")


@dataclass(frozen=True)
class PlantedData:
    """Generated frames plus the planted ground truth."""

    interactions: pd.DataFrame  # USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE
    items: pd.DataFrame  # ITEM_ID, GENRES, CREATION_TIMESTAMP
    user_genre: dict[str, int]  # user → favourite genre
    item_genre: dict[str, int]  # item → primary genre
    new_items: list[str]


def planted_interactions(
    n_users: int = 400,
    n_items: int = 200,
    n_genres: int = 5,
    per_user: int = 30,
    taste_strength: float = 0.85,
    n_new_items: int = 10,
    seed: int = 0,
    device_context: bool = False,
) -> PlantedData:
    """Generate a :class:`PlantedData` (see the module doc)."""
    rng = np.random.default_rng(seed)
    n_old = n_items - n_new_items
    item_genre = np.arange(n_items) // 2 % n_genres  # series members share a genre
    popularity = 1.0 / (1.0 + rng.permutation(n_old // 2).repeat(2)[:n_old]) ** 0.7
    start = 1_600_000_000
    rows: list[tuple[str, str, int]] = []
    user_genre: dict[str, int] = {}
    for u in range(n_users):
        genre = int(rng.integers(n_genres))
        user_genre[f"u{u}"] = genre
        own = np.flatnonzero(item_genre[:n_old] == genre)
        p_own = popularity[own] / popularity[own].sum()
        p_all = popularity / popularity.sum()
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < per_user and len(seen) < n_old:
            pick = int(rng.choice(own, p=p_own) if rng.random() < taste_strength else rng.choice(n_old, p=p_all))
            series = [pick - pick % 2, pick - pick % 2 + 1]
            for item in series:
                if item < n_old and item not in seen:
                    seen.add(item)
                    chosen.append(item)
        t = start + int(rng.integers(0, 30 * DAY))
        for item in chosen[:per_user]:
            t += int(rng.integers(60, DAY))
            rows.append((f"u{u}", str(item), t))
    interactions = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])
    interactions["EVENT_TYPE"] = "RATING"
    if device_context:
        on_tv = np.isin(item_genre[interactions["ITEM_ID"].astype(int).to_numpy()], TV_GENRES)
        flip = rng.random(len(interactions)) < 0.1
        interactions["DEVICE"] = np.where(on_tv ^ flip, "tv", "mobile")
    latest = int(interactions["TIMESTAMP"].max())
    created = np.full(n_items, start - 365 * DAY, dtype=np.int64)
    created[n_old:] = latest - DAY
    genre_names = [f"G{g}" for g in range(n_genres)]
    items = pd.DataFrame(
        {
            "ITEM_ID": [str(i) for i in range(n_items)],
            "GENRES": [
                genre_names[g] + (f"|{genre_names[(g + 1) % n_genres]}" if i % 7 == 0 else "")
                for i, g in enumerate(item_genre)
            ],
            "CREATION_TIMESTAMP": created,
            "SYNOPSIS": [synopsis(rng, int(g)) for g in item_genre],
        }
    )
    return PlantedData(
        interactions,
        items,
        user_genre,
        {str(i): int(g) for i, g in enumerate(item_genre)},
        [str(i) for i in range(n_old, n_items)],
    )


def synopsis(rng: np.random.Generator, genre: int, length: int = 24) -> str:
    """A generated description: half filler words, half words of ``genre``'s vocabulary (seeded)."""
    words = [f"g{genre}w{k}" for k in rng.integers(0, 12, length // 2)]
    words += [str(w) for w in rng.choice(_FILLER, length - length // 2)]
    return " ".join(str(w) for w in rng.permutation(words)).capitalize() + "."
