"""What the Kaggle dataset is: its reference, the pinned version and the files a drop is made of."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from anime_recommender.pipeline.drop import CATALOG_FILE
from anime_recommender.prepare_data.files import ANIME, ANIMELIST, RATING_COMPLETE, SYNOPSIS, KaggleFile

DATASET = "hernan4444/anime-recommendation-database-2020"
#: The dataset version downloaded unless ``--version`` says otherwise (Kaggle keeps every version).
DATASET_VERSION = 7


@dataclass(frozen=True)
class DropFile:
    """One CSV of the dataset: the columns the pipeline reads (None: uploaded as is) and its full-size row count."""

    name: str
    columns: KaggleFile | None
    full_rows: int


DROP_FILES: tuple[DropFile, ...] = (
    DropFile(ANIME.name, ANIME, 17_562),
    DropFile(RATING_COMPLETE.name, RATING_COMPLETE, 57_633_278),
    DropFile(ANIMELIST.name, ANIMELIST, 109_224_747),
    DropFile(SYNOPSIS.name, SYNOPSIS, 16_214),
    DropFile("watching_status.csv", None, 5),
)
#: A drop is complete with the catalog and at least one interactions file; the catalog goes last (docs/pipeline.md).
LAST_FILE = CATALOG_FILE
#: The full dataset's files may differ a little between versions: fewer rows than this share of the numbers above
#: means a truncated download (or a sample), not another version.
FULL_SIZE_SHARE = 0.9


def dataset_ref(version: int | None) -> str:
    """The ``owner/slug[/version]`` string the Kaggle API takes."""
    return DATASET if version is None else f"{DATASET}/{version}"


def default_download_dir(version: int = DATASET_VERSION) -> Path:
    """Where ``python -m kaggle_drop`` downloads a version: ``.kaggle-data/v<version>`` in the repository."""
    return Path(__file__).resolve().parents[1] / ".kaggle-data" / f"v{version}"


def real_data_dir() -> Path:
    """Where tools look for real Kaggle files: ``$KAGGLE_DATA_DIR``, else the default download directory."""
    configured = os.environ.get("KAGGLE_DATA_DIR")
    return Path(configured) if configured else default_download_dir()
