"""Files under the data directory: bulk dataset data as Parquet, trained models as directories."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pandas as pd


class DataFiles:
    """Paths and atomic reads/writes of the Parquet data and model directories."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "datasets").mkdir(parents=True, exist_ok=True)
        (root / "models").mkdir(parents=True, exist_ok=True)

    def _bulk_path(self, dataset_id: str) -> Path:
        return self.root / "datasets" / dataset_id / "bulk.parquet"

    def read_bulk(self, dataset_id: str) -> pd.DataFrame | None:
        """The dataset's bulk-imported records, or None before the first import."""
        path = self._bulk_path(dataset_id)
        return pd.read_parquet(path) if path.exists() else None

    def write_bulk(self, dataset_id: str, frame: pd.DataFrame) -> None:
        """Replace the dataset's bulk data atomically (write a temp file, then rename)."""
        path = self._bulk_path(dataset_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)

    def delete_dataset(self, dataset_id: str) -> None:
        """Remove a deleted dataset's files."""
        shutil.rmtree(self.root / "datasets" / dataset_id, ignore_errors=True)

    def model_dir(self, version_id: str) -> Path:
        """Where a solution version's trained model lives."""
        return self.root / "models" / version_id

    def training_cache_dir(self) -> Path:
        """Where results shared between solution versions live (see ``personalize_local.training_cache``)."""
        return self.root / "training-cache"

    def delete_model(self, version_id: str) -> None:
        """Remove a deleted solution version's model."""
        shutil.rmtree(self.model_dir(version_id), ignore_errors=True)
