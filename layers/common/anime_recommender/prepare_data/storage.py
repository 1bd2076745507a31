"""Where a drop is read from and the prepared files are written to: a small interface, local files included.

The transform only sees :class:`Storage`; :class:`LocalStorage` (a directory) serves tests, the benchmark and the
CLI, and ``s3_storage.S3Storage`` serves the Lambda. Writers are transactional: the object appears only when the
``with`` block ends without an exception, so a failed run never leaves a half-written output behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol


class Storage(Protocol):
    """A flat namespace of files (an S3 prefix, a local directory) addressed by relative names."""

    def size(self, name: str) -> int | None:
        """Size in bytes of ``name``, or None when it does not exist."""

    def read_head(self, name: str, length: int) -> bytes:
        """The first ``length`` bytes (fewer when the file is shorter)."""

    @contextmanager
    def open_read(self, name: str) -> Iterator[BinaryIO]:
        """A binary stream of the whole file (read sequentially)."""

    @contextmanager
    def open_write(self, name: str, content_type: str = "text/csv") -> Iterator[BinaryIO]:
        """A binary sink; the file is published only if the block exits cleanly, discarded otherwise."""

    def uri(self, name: str) -> str:
        """A URI naming the file (``s3://bucket/key`` or ``file:///path``)."""


class LocalStorage:
    """:class:`Storage` over a local directory (tests, benchmark, command line)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def size(self, name: str) -> int | None:
        """Size in bytes of ``name``, or None when missing."""
        path = self.root / name
        return path.stat().st_size if path.is_file() else None

    def read_head(self, name: str, length: int) -> bytes:
        """The first ``length`` bytes of ``name``."""
        with open(self.root / name, "rb") as handle:
            return handle.read(length)

    @contextmanager
    def open_read(self, name: str) -> Iterator[BinaryIO]:
        """Open ``name`` for reading."""
        with open(self.root / name, "rb") as handle:
            yield handle

    @contextmanager
    def open_write(self, name: str, content_type: str = "text/csv") -> Iterator[BinaryIO]:
        """Write to a temporary file next to ``name`` and rename it into place on success."""
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                yield handle
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def uri(self, name: str) -> str:
        """``file://`` URI of ``name``."""
        return (self.root / name).resolve().as_uri()
