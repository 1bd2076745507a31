"""The generated anime catalogue: descriptive anime.csv columns plus the latent popularity and quality.

The catalogue mixes the embedded real titles (``famous.FAMOUS_TITLES``, real MAL_IDs and descriptive columns) with
synthetic anime whose MAL_IDs are unique draws from the real id range. Rows are kept in MAL_ID order, like the
real anime.csv.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sample_data import vocab
from sample_data.famous import FAMOUS_TITLES
from sample_data.formats import (
    UNKNOWN,
    format_aired,
    format_duration,
    format_premiered,
    join_list,
)
from sample_data.names import make_titles

GENRE_NAMES: tuple[str, ...] = tuple(vocab.GENRE_COUNTS)
STUDIO_NAMES: tuple[str, ...] = tuple(vocab.STUDIO_COUNTS)
MAX_MAL_ID = 48456  # the largest anime_id in the real rating_complete.csv
COLD_SHARE = 0.028  # 690 of 17,562 real anime (3.9%) have no row in rating_complete.csv; airing ones add ~1%
# Popularity curve: weight = (rank + offset) ** -alpha over the non-cold anime, ranked by a latent score.
POPULARITY_ALPHA = 1.5
POPULARITY_OFFSET = 8.0
# Latent quality of the famous titles from their real Score, fitted so their generated Score lands near the real.
FAMOUS_SCORE_CENTRE = 7.3
FAMOUS_SCORE_SCALE = 0.5
_TYPE_POPULARITY = {"TV": 1.2, "Movie": 0.6, "ONA": 0.0, "OVA": -0.1, "Special": -0.4, "Music": -1.4, "Unknown": -1.5}


@dataclass
class Catalog:
    """Anime in MAL_ID order: descriptive columns as final strings plus numeric latents for the simulator."""

    mal_id: np.ndarray  # int64
    name: list[str]
    english_name: list[str]
    japanese_name: list[str]
    genres: list[list[str]]  # in the order the Genres field lists them; ["Unknown"] when missing
    genre_matrix: np.ndarray  # bool (n_anime, len(GENRE_NAMES))
    studio_index: np.ndarray  # int64 index into STUDIO_NAMES of the first studio, -1 when Unknown
    anime_type: list[str]
    episodes: np.ndarray  # int64, 0 = Unknown
    aired: list[str]
    premiered: list[str]
    producers: list[str]
    licensors: list[str]
    studios: list[str]
    source: list[str]
    duration: list[str]
    rating: list[str]
    popularity: np.ndarray  # float64 sampling weight, 0 for cold anime
    quality: np.ndarray  # float64 latent quality (about N(0, 1)); shifts every user's rating of the anime
    is_cold: np.ndarray  # bool: never rated, only planned
    is_hentai: np.ndarray  # bool: left out of anime_with_synopsis.csv
    is_famous: np.ndarray  # bool: one of the embedded real titles

    @property
    def size(self) -> int:
        """Number of anime."""
        return int(self.mal_id.size)


def _weighted_choice(rng: np.random.Generator, table: dict[str, int] | tuple[tuple[int, int], ...], n: int) -> list:
    """``n`` draws from a value→count table (dict) or a tuple of (value, weight) pairs."""
    pairs = list(table.items()) if isinstance(table, dict) else list(table)
    weights = np.array([w for _, w in pairs], dtype=np.float64)
    picks = rng.choice(len(pairs), size=n, p=weights / weights.sum())
    return [pairs[i][0] for i in picks]


def _draw_by_type(rng: np.random.Generator, tables: dict, types: list[str]) -> np.ndarray:
    """One draw per anime from the (value, weight) table of its type, vectorised per type."""
    out = np.zeros(len(types), dtype=np.int64)
    kinds = np.array(types)
    for kind, table in tables.items():
        rows = np.flatnonzero(kinds == kind)
        if rows.size:
            out[rows] = _weighted_choice(rng, table, rows.size)
    return out


def _distinct_names(rng: np.random.Generator, table: dict[str, int], counts: np.ndarray) -> list[list[str]]:
    """Per anime, ``counts[i]`` distinct names drawn in proportion to their real frequency (Gumbel top-k)."""
    names = list(table)
    log_w = np.log(np.array(list(table.values()), dtype=np.float64))
    order = np.argsort(-(log_w[None, :] + rng.gumbel(size=(counts.size, len(names)))), axis=1)
    return [[names[j] for j in order[i, : counts[i]]] for i in range(counts.size)]


def _draw_years(rng: np.random.Generator, n: int) -> np.ndarray:
    """Start years by inverse-CDF interpolation of the real Aired start-year quantiles."""
    probs, years = zip(*vocab.YEAR_QUANTILES, strict=True)
    return np.floor(np.interp(rng.random(n), probs, years)).astype(np.int64)


def _draw_genres(rng: np.random.Generator, n: int) -> list[list[str]]:
    """Genre lists with the real count distribution and genre frequencies; 60% listed alphabetically."""
    counts = np.array(_weighted_choice(rng, tuple(vocab.GENRES_PER_ANIME.items()), n))
    picked = _distinct_names(rng, vocab.GENRE_COUNTS, counts)
    unknown = rng.random(n) < vocab.UNKNOWN_GENRES_SHARE
    alphabetical = rng.random(n) < vocab.ALPHABETICAL_GENRES_SHARE
    return [[UNKNOWN] if unknown[i] else sorted(g) if alphabetical[i] else g for i, g in enumerate(picked)]


def _age_rating(rng: np.random.Generator, genres: list[str]) -> str:
    """Rating strings correlated with genres as in the real file (Hentai→Rx, Kids→G/PG, Ecchi→mostly R+)."""
    roll = float(rng.random())
    if "Hentai" in genres:
        return "Rx - Hentai"
    if "Kids" in genres:
        return "G - All Ages" if roll < 0.75 else "PG - Children"
    if "Ecchi" in genres:
        return (
            "R+ - Mild Nudity"
            if roll < 0.58
            else "PG-13 - Teens 13 or older"
            if roll < 0.91
            else "R - 17+ (violence & profanity)"
        )
    for limit, value in (
        (0.47, "PG-13 - Teens 13 or older"),
        (0.76, "G - All Ages"),
        (0.83, "PG - Children"),
        (0.92, "R - 17+ (violence & profanity)"),
        (0.96, "R+ - Mild Nudity"),
    ):
        if roll < limit:
            return value
    return UNKNOWN


def _dates(rng: np.random.Generator, year: int, anime_type: str, episodes: int, airing: bool) -> tuple[str, str]:
    """Aired and Premiered strings for one anime (shapes and shares from the real Aired column)."""
    roll = float(rng.random())
    if roll < 0.018:  # 309 real rows say Unknown
        return UNKNOWN, UNKNOWN
    tv_season = anime_type == "TV" and rng.random() < 0.8  # TV seasons mostly start in Jan/Apr/Jul/Oct
    month = int(rng.choice([1, 4, 7, 10])) if tv_season else int(rng.integers(1, 13))
    start = dt.date(year, month, int(rng.integers(1, 29)))
    weeks = episodes if anime_type in ("TV", "ONA") else max(1, episodes) * int(rng.integers(2, 9))
    end = start + dt.timedelta(days=7 * max(0, weeks - 1))
    single = episodes <= 1 and not airing
    precision = "day"
    if roll < 0.093:  # 1,319 year-only + 227 month-only rows, mostly old or obscure titles
        precision = "year"
    elif roll < 0.106:
        precision = "month"
    aired = format_aired(start, None if single else end, airing=airing, precision=precision)
    premiered = UNKNOWN
    if anime_type == "TV" and precision == "day" and rng.random() < 0.95:
        premiered = format_premiered(start)
    return aired, premiered


def build_catalog(rng: np.random.Generator, n_anime: int) -> Catalog:
    """Draw the catalogue: famous real titles (up to a quarter of it) plus synthetic anime with unique MAL_IDs."""
    famous = FAMOUS_TITLES[: min(len(FAMOUS_TITLES), max(1, n_anime // 4))]
    n_synth = n_anime - len(famous)
    famous_ids = {t.mal_id for t in famous}
    pool = np.setdiff1d(np.arange(1, MAX_MAL_ID + 1), np.fromiter(famous_ids, dtype=np.int64))
    synth_ids = np.sort(rng.choice(pool, size=n_synth, replace=False))
    # Newer MAL_IDs were mostly added for newer anime: sort drawn years along the ids, with noise.
    years_sorted = np.sort(_draw_years(rng, n_synth))
    order_key = np.arange(n_synth) + rng.normal(0.0, 0.12 * n_synth, n_synth)
    synth_years = np.empty(n_synth, dtype=np.int64)
    synth_years[np.argsort(order_key, kind="stable")] = years_sorted
    types = _weighted_choice(rng, vocab.TYPE_COUNTS, n_synth)
    titles = make_titles(rng, types, {t.name for t in famous})
    genres = _draw_genres(rng, n_synth)

    episodes = _draw_by_type(rng, vocab.EPISODES_BY_TYPE, types)
    seconds = _draw_by_type(rng, vocab.SECONDS_BY_TYPE, types)
    airing = np.isin(types, ["TV", "ONA"]) & (synth_years >= 2020) & (rng.random(n_synth) < 0.35)
    episodes_known = ~airing & (rng.random(n_synth) > 0.009)  # 143 finished real anime still say Unknown
    n_studios = np.where(rng.random(n_synth) < vocab.UNKNOWN_STUDIOS_SHARE, 0, 1)
    n_studios[
        (n_studios == 1) & (rng.random(n_synth) < vocab.MULTI_STUDIO_SHARE / (1 - vocab.UNKNOWN_STUDIOS_SHARE))
    ] = 2
    studios = _distinct_names(rng, vocab.STUDIO_COUNTS, n_studios)
    n_producers = np.array(_weighted_choice(rng, vocab.PRODUCERS_PER_ANIME, n_synth))
    n_producers[rng.random(n_synth) < vocab.UNKNOWN_PRODUCERS_SHARE] = 0
    producers = _distinct_names(rng, vocab.PRODUCER_COUNTS, n_producers)
    n_licensors = 1 + (rng.random(n_synth) < 0.1)
    n_licensors[rng.random(n_synth) < vocab.UNKNOWN_LICENSORS_SHARE] = 0
    licensors = _distinct_names(rng, vocab.LICENSOR_COUNTS, n_licensors)
    sources = _weighted_choice(rng, vocab.SOURCE_COUNTS, n_synth)
    music_source = (np.array(types) == "Music") & (rng.random(n_synth) < 0.2)
    japanese_unknown = rng.random(n_synth) < 0.003
    duration_unknown = rng.random(n_synth) < 0.03

    rows: list[dict] = []
    for i in range(n_synth):
        anime_type = types[i]
        year = int(synth_years[i])
        aired, premiered = _dates(rng, year, anime_type, int(episodes[i]), bool(airing[i]))
        known_episodes = int(episodes[i]) if episodes_known[i] else 0
        rows.append(
            {
                "mal_id": int(synth_ids[i]),
                "name": titles[i].name,
                "english": titles[i].english,
                "japanese": UNKNOWN if japanese_unknown[i] else titles[i].japanese,
                "genres": genres[i],
                "type": anime_type,
                "episodes": known_episodes,
                "aired": aired,
                "premiered": premiered,
                "producers": join_list(producers[i]),
                "licensors": join_list(licensors[i]),
                "studios": join_list(studios[i]),
                "source": "Music" if music_source[i] else sources[i],
                # Real rows with Unknown episodes never say "per ep." (One Piece: "24 min.").
                "duration": UNKNOWN if duration_unknown[i] else format_duration(int(seconds[i]), known_episodes),
                "rating": _age_rating(rng, genres[i]),
                "year": year,
                "famous_rank": -1,
            }
        )
    for rank, t in enumerate(famous):
        rows.append(
            {
                "mal_id": t.mal_id,
                "name": t.name,
                "english": t.english_name,
                "japanese": t.japanese_name,
                "genres": t.genres.split(", "),
                "type": t.type,
                "episodes": 0 if t.episodes == UNKNOWN else int(t.episodes),
                "aired": t.aired,
                "premiered": t.premiered,
                "producers": t.producers,
                "licensors": t.licensors,
                "studios": t.studios,
                "source": t.source,
                "duration": t.duration,
                "rating": t.rating,
                "year": 0,
                "famous_rank": rank,
                "real_score": t.real_score,
            }
        )
    rows.sort(key=lambda r: r["mal_id"])
    return _finish(rng, rows)


def _finish(rng: np.random.Generator, rows: list[dict]) -> Catalog:
    """Compute the latent popularity/quality, the cold set and the English-name gaps; pack into a Catalog."""
    n = len(rows)
    genre_pos = {g: j for j, g in enumerate(GENRE_NAMES)}
    genre_matrix = np.zeros((n, len(GENRE_NAMES)), dtype=bool)
    for i, r in enumerate(rows):
        for g in r["genres"]:
            if g in genre_pos:
                genre_matrix[i, genre_pos[g]] = True
    is_hentai = genre_matrix[:, genre_pos["Hentai"]].copy()
    famous_rank = np.array([r["famous_rank"] for r in rows], dtype=np.int64)
    is_famous = famous_rank >= 0
    studio_pos = {s: j for j, s in enumerate(STUDIO_NAMES)}
    studio_index = np.array([studio_pos.get(r["studios"].split(", ")[0], -1) for r in rows], dtype=np.int64)

    # Latent popularity: type and genre effects plus noise; the famous titles sit on top in their real order.
    latent = rng.normal(0.0, 1.0, n) + np.array([_TYPE_POPULARITY[r["type"]] for r in rows]) - 0.8 * is_hentai
    latent[is_famous] = 100.0 - famous_rank[is_famous] * 0.01
    # Cold anime: the newest synthetic titles (still airing or upcoming) are mostly the ones nobody rated yet.
    years = np.array([r["year"] for r in rows], dtype=np.float64)
    n_cold = max(2, round(COLD_SHARE * n))
    cold_key = np.where(is_famous, -np.inf, years + rng.normal(0.0, 4.0, n))
    is_cold = np.zeros(n, dtype=bool)
    is_cold[np.argsort(-cold_key, kind="stable")[:n_cold]] = True
    latent[is_cold] = -np.inf
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(-latent, kind="stable")] = np.arange(n)
    popularity = np.where(is_cold, 0.0, (rank + POPULARITY_OFFSET) ** -POPULARITY_ALPHA)

    # Latent quality: more popular anime are liked more (real Score rises with Members); famous titles follow
    # their real Score.
    log_pop = np.log(np.where(is_cold, POPULARITY_OFFSET + n, rank + POPULARITY_OFFSET))
    quality = -0.5 * (log_pop - log_pop.mean()) / (log_pop.std() + 1e-9) + rng.normal(0.0, 0.85, n)
    real_scores = np.array([r.get("real_score", np.nan) for r in rows])
    quality[is_famous] = np.clip((real_scores[is_famous] - FAMOUS_SCORE_CENTRE) / FAMOUS_SCORE_SCALE, -2.0, 3.0)

    # English names: real popular anime nearly always have one (13% Unknown above 100k members, 73% below 1k).
    english = [r["english"] for r in rows]
    p_unknown = 0.13 + 0.85 * (rank / max(1, n - 1)) ** 0.85  # 60% Unknown overall, as in the real file
    for i in np.flatnonzero((rng.random(n) < p_unknown) & ~is_famous):
        english[i] = UNKNOWN
    return Catalog(
        mal_id=np.array([r["mal_id"] for r in rows], dtype=np.int64),
        name=[r["name"] for r in rows],
        english_name=english,
        japanese_name=[r["japanese"] for r in rows],
        genres=[r["genres"] for r in rows],
        genre_matrix=genre_matrix,
        studio_index=studio_index,
        anime_type=[r["type"] for r in rows],
        episodes=np.array([r["episodes"] for r in rows], dtype=np.int64),
        aired=[r["aired"] for r in rows],
        premiered=[r["premiered"] for r in rows],
        producers=[r["producers"] for r in rows],
        licensors=[r["licensors"] for r in rows],
        studios=[r["studios"] for r in rows],
        source=[r["source"] for r in rows],
        duration=[r["duration"] for r in rows],
        rating=[r["rating"] for r in rows],
        popularity=popularity,
        quality=quality,
        is_cold=is_cold,
        is_hentai=is_hentai,
        is_famous=is_famous,
    )
