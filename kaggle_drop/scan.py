"""One pass over a local file: its size, data rows and SHA-256 (shown as a progress bar for big files)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

CHUNK_BYTES = 16 * 1024 * 1024
#: Smaller files are read in a blink: no progress bar for them.
PROGRESS_MIN_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ScannedFile:
    """A local file as the upload sees it."""

    name: str
    path: Path
    size: int
    rows: int
    sha256: str


def scan_file(path: Path, progress: bool = True) -> ScannedFile:
    """Size, number of data rows (lines after the header) and SHA-256 of ``path``, read once (a progress bar for
    big files when ``progress``)."""
    digest = hashlib.sha256()
    newlines = 0
    last = b"\n"
    size = path.stat().st_size
    with (
        open(path, "rb") as handle,
        tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=f"reading {path.name}",
            disable=not progress or size < PROGRESS_MIN_BYTES,
        ) as bar,
    ):
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
            bar.update(len(chunk))
    lines = newlines + (0 if last == b"\n" else 1)
    return ScannedFile(path.name, path, size, max(lines - 1, 0), digest.hexdigest())
