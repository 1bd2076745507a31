"""Files under the data directory: bulk dataset data as Parquet, trained models as directories."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

_TEMP_SUFFIX = ".tmp"
_BASE_PREFIX = "before-"


class DataFiles:
    """Paths and atomic reads/writes of the Parquet data and model directories.

    Temporary files (an import's downloaded objects, a Parquet file before its rename) live under the data
    directory and are removed when the job using them ends; those of a process killed mid-job are removed when the
    next one opens the directory (:meth:`sweep_temporary`).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "datasets").mkdir(parents=True, exist_ok=True)
        (root / "models").mkdir(parents=True, exist_ok=True)
        self.sweep_temporary()

    def scratch_dir(self) -> Path:
        """Where running jobs keep temporary files (emptied at startup)."""
        path = self.root / "tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def sweep_temporary(self) -> list[Path]:
        """Remove the temporary files a killed process left behind; the paths removed."""
        stale = [*self.scratch_dir().iterdir(), *(self.root / "datasets").glob(f"*/.*{_TEMP_SUFFIX}")]
        for path in stale:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return stale

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
        tmp = path.with_name(f".{uuid.uuid4().hex}{_TEMP_SUFFIX}")
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def bulk_before_import(self, dataset_id: str, job_key: str) -> pd.DataFrame | None:
        """The bulk data as it was when the import ``job_key`` first ran (None: there was none).

        An INCREMENTAL import appends to this base, not to the current bulk data, so an import resumed after a
        crash that had already written its output replaces that output instead of appending its rows twice. The
        base is a hard link to the bulk file of the time (``write_bulk`` replaces the file, never rewrites it);
        bases of earlier imports are dropped when a later import takes its own.
        """
        folder = self._bulk_path(dataset_id).parent
        folder.mkdir(parents=True, exist_ok=True)
        base, absent = folder / f"{_BASE_PREFIX}{job_key}.parquet", folder / f"{_BASE_PREFIX}{job_key}.none"
        if not base.exists() and not absent.exists():
            for earlier in folder.glob(f"{_BASE_PREFIX}*"):
                earlier.unlink(missing_ok=True)
            bulk = self._bulk_path(dataset_id)
            if bulk.exists():
                os.link(bulk, base)
            else:
                absent.touch()
        return pd.read_parquet(base) if base.exists() else None

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
