"""Is a directory a Kaggle drop the pipeline can take? Expected names, headers, sizes and row counts.

Every problem is collected and reported together (:class:`DropVerificationError`); nothing is uploaded unless the
whole drop passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from anime_recommender.pipeline.drop import CONFIG_FILE, INTERACTION_FILES
from anime_recommender.prepare_data.csv_input import read_header
from anime_recommender.prepare_data.errors import DataValidationError
from anime_recommender.prepare_data.storage import LocalStorage
from kaggle_drop.dataset import DROP_FILES, FULL_SIZE_SHARE, LAST_FILE
from kaggle_drop.scan import ScannedFile, scan_file


class DropVerificationError(Exception):
    """The directory is not a drop the pipeline can take; ``problems`` says why, one line each."""

    def __init__(self, directory: Path, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{directory} is not a complete Kaggle drop; nothing was uploaded:\n{lines}")


@dataclass(frozen=True)
class VerifiedDrop:
    """The files to upload (in upload order: ``anime.csv`` last) and what the directory holds besides."""

    directory: Path
    files: list[ScannedFile]
    ignored: list[str]


def upload_order(names: list[str]) -> list[str]:
    """Sorted names, ``anime.csv`` last (its upload is the one that starts the retraining)."""
    return sorted(names, key=lambda name: (name == LAST_FILE, name))


def verify_drop(directory: Path, full_size: bool = True, progress: bool = True) -> VerifiedDrop:
    """Check ``directory`` holds a Kaggle drop; with ``full_size``, that each file has the full dataset's rows."""
    if not directory.is_dir():
        raise DropVerificationError(directory, [f"{directory} is not a directory"])
    present = {path.name for path in directory.iterdir() if path.is_file()}
    known = {spec.name: spec for spec in DROP_FILES}
    problems: list[str] = []
    if LAST_FILE not in present:
        problems.append(f"{LAST_FILE} is missing (the catalog; the drop cannot run without it)")
    if not present & set(INTERACTION_FILES):
        problems.append(f"no interactions file: the drop needs {' and/or '.join(INTERACTION_FILES)}")
    storage = LocalStorage(directory)
    for name in sorted(present & set(known)):
        columns = known[name].columns
        if columns is None:
            continue
        try:
            read_header(storage, columns)
        except DataValidationError as error:
            problems.append(str(error).removesuffix(" The drop was not imported."))
    if problems:
        raise DropVerificationError(directory, problems)

    chosen = upload_order([name for name in present if name in known or name == CONFIG_FILE])
    scanned = [scan_file(directory / name, progress) for name in chosen]
    for file in scanned:
        spec = known.get(file.name)
        if full_size and spec is not None and file.rows < spec.full_rows * FULL_SIZE_SHARE:
            problems.append(
                f"{file.name} has {file.rows:,} data rows; the full dataset has {spec.full_rows:,} (a truncated "
                "download? download it again; for a sample drop pass --allow-small)"
            )
    if problems:
        raise DropVerificationError(directory, problems)
    ignored = sorted(path.name for path in directory.iterdir() if path.name not in chosen)
    return VerifiedDrop(directory, scanned, ignored)
