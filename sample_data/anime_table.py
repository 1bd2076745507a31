"""anime.csv and anime_with_synopsis.csv rows: catalogue columns plus statistics from the generated lists.

The statistics columns are derived from what the generator actually wrote, scaled up to MyAnimeList's audience
(the real columns count all MAL members, not only the dataset's users):
- Watching/Completed/On-Hold/Dropped/Plan to Watch = status counts in animelist.csv x a per-anime scale; Members is
  their sum (true for all 17,562 real rows); the most-listed anime gets the real top Members (2,589,552) and the
  scale follows MAL's steeper audience curve (see ``anime_rows``).
- Score-10..Score-1 = rating counts (any status, rating != 0) x the same scale, written as floats (``229170.0``) and
  ``Unknown`` when zero, as in the real file; Score = the mean generated rating (``8.78``; real Scores equal their
  histogram mean within ~0.05), ``Unknown`` below 100 scores (no real scored anime has fewer than 101).
- Ranked = rank by Score among rated, non-Hentai anime (real: every Rx - Hentai row is unranked), float format.
- Popularity = rank by Members (1 = most members), an integer; Favorites ~ a quarter of the 10-ratings.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sample_data.catalog import Catalog
from sample_data.formats import UNKNOWN, format_float_count, format_score, join_list
from sample_data.synopsis import make_synopsis

REAL_TOP_MEMBERS = 2_589_552  # Death Note, the most-listed anime in the real anime.csv
MEMBERS_EXPONENT = 1.5
MIN_SCORED_USERS = 100


class AnimeStats:
    """Per-anime counters accumulated chunk by chunk while the lists are written."""

    def __init__(self, n_anime: int) -> None:
        """Zeroed counters for ``n_anime`` catalogue rows."""
        self.status = np.zeros((n_anime, 5), dtype=np.int64)  # slots: watching, completed, on hold, dropped, planned
        self.scores = np.zeros((n_anime, 10), dtype=np.int64)  # ratings 1..10

    def add(self, items: np.ndarray, slots: np.ndarray, ratings: np.ndarray) -> None:
        """Count one chunk of list rows."""
        n = self.status.shape[0]
        self.status += np.bincount(items * 5 + slots, minlength=n * 5).reshape(n, 5)
        rated = ratings > 0
        self.scores += np.bincount(items[rated] * 10 + ratings[rated] - 1, minlength=n * 10).reshape(n, 10)


def anime_rows(catalog: Catalog, stats: AnimeStats, rng: np.random.Generator) -> tuple[list[list[str]], list[str]]:
    """All anime.csv rows (MAL_ID order) and the Score string of each anime."""
    n = catalog.size
    listed = stats.status.sum(axis=1)
    # MAL's audience is far more concentrated than list counts: real Members run from 1 to 2.59M with a median of
    # 2,065. Members = top x (listed / most listed) ** MEMBERS_EXPONENT reproduces that spread; every count of the
    # anime is scaled by the same factor, so the status and score proportions stay those of the generated lists.
    share = listed / max(1, int(listed.max()))
    factor = np.where(listed > 0, REAL_TOP_MEMBERS * share**MEMBERS_EXPONENT / np.maximum(listed, 1), 0.0)
    status = np.rint(stats.status * factor[:, None]).astype(np.int64)
    # A few members outside the dataset's users (people who only added it to their list), so nothing has zero.
    status[:, 4] += np.rint(rng.lognormal(2.5, 1.0, n)).astype(np.int64) + 1
    members = status.sum(axis=1)
    score_counts = np.rint(stats.scores * factor[:, None]).astype(np.int64)
    n_scored = stats.scores.sum(axis=1)
    mean_score = (stats.scores * np.arange(1, 11)).sum(axis=1) / np.maximum(n_scored, 1)
    # MAL shows a Score only from MIN_SCORED_USERS scores on (real: every scored anime has >= 101 in Score-N).
    has_score = score_counts.sum(axis=1) >= MIN_SCORED_USERS
    favorites = np.rint(score_counts[:, 9] * 0.25 * rng.uniform(0.5, 1.5, n)).astype(np.int64)

    rankable = has_score & ~catalog.is_hentai
    ranked = np.zeros(n, dtype=np.int64)
    order = np.flatnonzero(rankable)[np.lexsort((catalog.mal_id[rankable], -mean_score[rankable]))]
    ranked[order] = np.arange(1, order.size + 1)
    popularity = np.empty(n, dtype=np.int64)
    popularity[np.lexsort((catalog.mal_id, -members))] = np.arange(1, n + 1)

    scores = [format_score(mean_score[i]) if has_score[i] else UNKNOWN for i in range(n)]
    rows = []
    for i in range(n):
        rows.append(
            [
                str(catalog.mal_id[i]),
                catalog.name[i],
                scores[i],
                join_list(catalog.genres[i]),
                catalog.english_name[i],
                catalog.japanese_name[i],
                catalog.anime_type[i],
                str(catalog.episodes[i]) if catalog.episodes[i] > 0 else UNKNOWN,
                catalog.aired[i],
                catalog.premiered[i],
                catalog.producers[i],
                catalog.licensors[i],
                catalog.studios[i],
                catalog.source[i],
                catalog.duration[i],
                catalog.rating[i],
                format_float_count(ranked[i]),
                str(popularity[i]),
                str(members[i]),
                str(favorites[i]),
                *(str(v) for v in status[i]),
                *(format_float_count(v) for v in score_counts[i, ::-1]),
            ]
        )
    return rows, scores


def synopsis_rows(catalog: Catalog, scores: list[str], rng: np.random.Generator) -> Iterator[list[str]]:
    """anime_with_synopsis.csv rows: every anime without the Hentai genre (as in the real file), MAL_ID order."""
    for i in range(catalog.size):
        if catalog.is_hentai[i]:
            continue
        word = catalog.english_name[i] if catalog.english_name[i] != UNKNOWN else catalog.name[i]
        yield [
            str(catalog.mal_id[i]),
            catalog.name[i],
            scores[i],
            join_list(catalog.genres[i]),
            make_synopsis(rng, catalog.genres[i], word.split(":")[0].split(" ")[-1]),
        ]
