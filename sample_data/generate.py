"""Deterministic generator of the Kaggle "Anime Recommendation Database 2020" files.

``generate_dataset("demo", out_dir)`` writes anime.csv, rating_complete.csv, animelist.csv, watching_status.csv and
anime_with_synopsis.csv in the exact Kaggle format (see ``formats``). The lists are simulated chunk by chunk of
users and streamed to disk, so memory stays flat even for the full 109M-row animelist.csv. The same size and seed
always give byte-identical files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from sample_data.anime_table import AnimeStats, anime_rows, synopsis_rows
from sample_data.catalog import Catalog, build_catalog
from sample_data.csv_io import IntCsvWriter, commit, partial_path, write_text_csv
from sample_data.formats import (
    ANIME_HEADER,
    ANIMELIST_HEADER,
    COMPLETED,
    RATING_COMPLETE_HEADER,
    SYNOPSIS_HEADER,
    WATCHING_STATUS_BYTES,
)
from sample_data.interactions import ChunkRows, ItemSampler, calibrate, simulate_chunk
from sample_data.sizes import size_spec
from sample_data.users import Users, build_users

FILE_NAMES = ("anime.csv", "rating_complete.csv", "animelist.csv", "watching_status.csv", "anime_with_synopsis.csv")
Progress = Callable[[int, int, int], None]  # (users done, users total, animelist rows written)


@dataclass
class GeneratedDataset:
    """What was written, with the planted structure kept for tests (it is never written to the CSV files)."""

    size: str
    seed: int
    out_dir: Path
    files: dict[str, Path]
    n_anime: int
    n_users: int  # users with at least one animelist.csv row
    n_rating_users: int  # users with at least one rating_complete.csv row
    n_ratings: int  # rating_complete.csv rows
    n_animelist_rows: int
    anime_ids: np.ndarray  # every MAL_ID in anime.csv
    cold_anime_ids: np.ndarray  # anime that never get a rating (they can be planned)
    famous_anime_ids: np.ndarray  # the embedded real titles in this catalogue
    user_favourite_genres: dict[int, tuple[str, ...]] = field(repr=False)  # planted tastes, strongest first
    user_favourite_studio: dict[int, str | None] = field(repr=False)
    catalog: Catalog = field(repr=False)
    users: Users = field(repr=False)
    seconds: float = 0.0


def _write_chunk(animelist: IntCsvWriter, ratings: IntCsvWriter, rows: ChunkRows, done: np.ndarray) -> None:
    """Append one chunk to animelist.csv and its completed, rated rows to rating_complete.csv."""
    animelist.write([rows.user_id, rows.anime_id, rows.rating, rows.status, rows.watched_episodes])
    ratings.write([rows.user_id[done], rows.anime_id[done], rows.rating[done]])


def generate_dataset(
    size: str,
    out_dir: str | Path,
    seed: int = 2020,
    *,
    n_users: int | None = None,
    progress: Progress | None = None,
) -> GeneratedDataset:
    """Write the five Kaggle files for ``size`` (tiny | demo | full) into ``out_dir``; same seed → same bytes.

    ``n_users`` overrides the size's user count (benchmarks time a slice of ``full`` this way); ``progress`` is
    called after every chunk of users.

    Files are written under temporary names and renamed when complete; on failure the temporary files are removed
    and existing files of an earlier run are left untouched.
    """
    started = time.perf_counter()
    spec = size_spec(size)
    if n_users is not None:
        if n_users < 1:
            raise ValueError(f"n_users must be at least 1, got {n_users}")
        spec = replace(spec, n_users=n_users)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    streams = np.random.SeedSequence(seed).spawn(5)
    catalog_rng, users_rng, calibration_rng, table_rng = (np.random.default_rng(s) for s in streams[:4])
    chunk_seeds = streams[4]

    catalog = build_catalog(catalog_rng, spec.n_anime)
    users = build_users(users_rng, spec, catalog)
    sampler = ItemSampler(catalog)
    model = calibrate(calibration_rng, sampler, catalog, spec)
    stats = AnimeStats(catalog.size)
    paths = {name: out / name for name in FILE_NAMES}

    writers: list[IntCsvWriter] = []
    rating_users = listed_rows = 0
    # Writing a chunk (pyarrow, GIL released) overlaps with simulating the next one; one writer thread keeps the
    # chunks in order and at most two chunks are alive at a time, so memory stays flat.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sample-data-writer")
    try:
        animelist = IntCsvWriter(
            paths["animelist.csv"], ANIMELIST_HEADER, [np.int32, np.int32, np.int8, np.int8, np.int32]
        )
        writers.append(animelist)
        ratings = IntCsvWriter(paths["rating_complete.csv"], RATING_COMPLETE_HEADER, [np.int32, np.int32, np.int8])
        writers.append(ratings)
        pending: Future | None = None
        starts = range(0, users.size, spec.chunk_users)
        for start, chunk_seed in zip(starts, chunk_seeds.spawn(len(starts)), strict=True):
            stop = min(start + spec.chunk_users, users.size)
            rows = simulate_chunk(np.random.default_rng(chunk_seed), sampler, catalog, users, model, start, stop)
            stats.add(rows.item, rows.slot, rows.rating)
            # rating_complete.csv = the animelist.csv rows with watching_status 2 (Completed) and rating != 0.
            done = (rows.status == COMPLETED) & (rows.rating > 0)
            rating_users += int(np.unique(rows.user_id[done]).size)
            listed_rows += rows.user_id.size
            if pending is not None:
                pending.result()
            pending = executor.submit(_write_chunk, animelist, ratings, rows, done)
            if progress is not None:
                progress(stop, users.size, listed_rows)
        if pending is not None:
            pending.result()
        for writer in writers:
            writer.close()
        table, scores = anime_rows(catalog, stats, table_rng)
        write_text_csv(paths["anime.csv"], ANIME_HEADER, table)
        write_text_csv(paths["anime_with_synopsis.csv"], SYNOPSIS_HEADER, synopsis_rows(catalog, scores, table_rng))
        partial_path(paths["watching_status.csv"]).write_bytes(WATCHING_STATUS_BYTES)
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        for writer in writers:
            writer.abort()
        for path in paths.values():
            partial_path(path).unlink(missing_ok=True)
        raise
    executor.shutdown(wait=True)
    for path in paths.values():
        commit(path)

    return GeneratedDataset(
        size=spec.name,
        seed=seed,
        out_dir=out,
        files=paths,
        n_anime=catalog.size,
        n_users=users.size,
        n_rating_users=rating_users,
        n_ratings=ratings.rows,
        n_animelist_rows=animelist.rows,
        anime_ids=catalog.mal_id.copy(),
        cold_anime_ids=catalog.mal_id[catalog.is_cold],
        famous_anime_ids=catalog.mal_id[catalog.is_famous],
        user_favourite_genres={int(u): users.favourite_genre_names(i) for i, u in enumerate(users.user_id)},
        user_favourite_studio={int(u): users.favourite_studio_name(i) for i, u in enumerate(users.user_id)},
        catalog=catalog,
        users=users,
        seconds=time.perf_counter() - started,
    )
