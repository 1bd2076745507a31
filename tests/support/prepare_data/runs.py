"""Running the prepare step on one generated drop (tests/support/prepare_data/strategies.py), on local files or any
other storage, the way the fuzz tests of both tiers do: every rule relaxed to let small drops through."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings

from anime_recommender.prepare_data import DataValidationError, LocalStorage, PrepareOptions, Storage, prepare_drop
from tests.support.prepare_data.strategies import Drop

#: The three datasets a successful run writes (beside rejected.csv and report.json).
DATASETS = ("interactions.csv", "items.csv", "catalog.json")
#: Generated drops are large and slow to build: no deadline, no health check on their size.
FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def run_prepare(drop: Drop, source: Storage, destination: Storage, work_dir: Path) -> DataValidationError | None:
    """Prepare ``drop`` from ``source`` into ``destination``; the fatal error, or None when it was prepared."""
    options = PrepareOptions(
        min_interactions=1, min_users_with_two_interactions=0, block_size=drop.block_size, work_dir=str(work_dir)
    )
    try:
        prepare_drop(source, destination, options, drop_id="fuzz")
    except DataValidationError as error:
        return error
    return None


def prepare_locally(drop: Drop, root: Path) -> tuple[DataValidationError | None, Path]:
    """Write ``drop``'s files under ``root/drop`` and prepare them into ``root/out``; (fatal error or None, out)."""
    source, out = root / "drop", root / "out"
    source.mkdir()
    for name, data in drop.files.items():
        (source / name).write_bytes(data)
    return run_prepare(drop, LocalStorage(source), LocalStorage(out), root), out
