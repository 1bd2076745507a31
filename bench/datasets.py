"""Benchmark data: a Kaggle-format directory → Personalize training data, through the pipeline's own preparation.

The demo sample (``sample_data.generate.generate_dataset("demo", …)``) or real Kaggle files go through
``anime_recommender.prepare_data.prepare.prepare_drop`` — the same code the pipeline's prepare_data step runs — with
only ``anime.csv`` (+ ``anime_with_synopsis.csv``) and ``rating_complete.csv``, so the interactions are the
RATING events with the pipeline's synthetic timestamps, as in the seed's Personalize run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from personalize_local.recipes.base import TrainingData

KAGGLE_FILES = ("anime.csv", "anime_with_synopsis.csv", "rating_complete.csv")
#: The real rows bench/quality.py measures: users 0..this of rating_complete.csv (about 50k ratings), with the
#: whole anime.csv catalogue (17.5k titles, about 5.6k of them rated by these users).
REAL_MAX_USER_ID = 346
_CHUNK_ROWS = 2_000_000


def prepare_kaggle_dir(kaggle_dir: Path, work: Path, max_user_id: int | None = None) -> TrainingData:
    """Run the pipeline's preparation on ``kaggle_dir`` (ratings only) and load the result.

    ``max_user_id``: only the ratings of users ``0..max_user_id`` of ``rating_complete.csv`` take part.
    """
    from anime_recommender.prepare_data.prepare import prepare_drop
    from anime_recommender.prepare_data.storage import LocalStorage

    source = work / "drop"
    out = work / "prepared"
    source.mkdir(parents=True)
    out.mkdir(parents=True)
    for name in KAGGLE_FILES:
        if not (kaggle_dir / name).is_file():
            continue
        if name == "rating_complete.csv" and max_user_id is not None:
            first_users(kaggle_dir / name, source / name, max_user_id)
        else:
            os.symlink((kaggle_dir / name).resolve(), source / name)
    prepare_drop(LocalStorage(source), LocalStorage(out))
    interactions = pd.read_csv(out / "interactions.csv", dtype={"USER_ID": str, "ITEM_ID": str})
    interactions = interactions[interactions["EVENT_TYPE"] == "RATING"].reset_index(drop=True)
    items = pd.read_csv(out / "items.csv", dtype={"ITEM_ID": str})
    return TrainingData(interactions, items)


def first_users(ratings: Path, out: Path, max_user_id: int) -> None:
    """Copy the rows of users ``0..max_user_id`` of a ``rating_complete.csv`` (read in chunks) to ``out``."""
    header = True
    for chunk in pd.read_csv(ratings, chunksize=_CHUNK_ROWS):
        kept = chunk[pd.to_numeric(chunk["user_id"], errors="coerce") <= max_user_id]
        kept.to_csv(out, mode="w" if header else "a", header=header, index=False)
        header = False


def demo_data(size: str = "demo", seed: int = 2020) -> TrainingData:
    """The generated sample of ``size``, prepared like a real drop."""
    from sample_data.generate import generate_dataset

    with tempfile.TemporaryDirectory() as tmp:
        kaggle = Path(tmp) / "kaggle"
        generate_dataset(size, kaggle, seed=seed)
        return prepare_kaggle_dir(kaggle, Path(tmp))


def real_data(kaggle_dir: Path, max_user_id: int | None = None) -> TrainingData:
    """Real Kaggle files from ``kaggle_dir`` (only users ``0..max_user_id`` when given), prepared like a real drop."""
    with tempfile.TemporaryDirectory() as tmp:
        return prepare_kaggle_dir(kaggle_dir, Path(tmp), max_user_id)


def describe(data: TrainingData) -> str:
    """One line: users, items, interactions."""
    inter = data.interactions
    n_items = len(set(inter["ITEM_ID"]) | set(data.items["ITEM_ID"] if data.items is not None else []))
    users, rated = inter["USER_ID"].nunique(), inter["ITEM_ID"].nunique()
    return f"{users:,} users, {rated:,} rated items ({n_items:,} in catalogue), {len(inter):,} ratings"
