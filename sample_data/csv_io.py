"""Writers for the Kaggle CSV dialect: fast streamed integer tables and small text tables.

Both produce what the real files contain: UTF-8, LF line endings, a final newline, QUOTE_MINIMAL quoting
(``csv.writer`` with ``lineterminator="\\n"`` reproduces every real file byte for byte). Files are written under a
temporary name and renamed into place by ``commit`` so an interrupted run never leaves a half-written file behind
under the real name.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

PARTIAL_SUFFIX = ".partial"


def partial_path(path: Path) -> Path:
    """The temporary name a file is written under until ``commit``."""
    return path.with_name(path.name + PARTIAL_SUFFIX)


def commit(path: Path) -> None:
    """Atomically move the finished temporary file to its real name."""
    os.replace(partial_path(path), path)


class IntCsvWriter:
    """Streams integer columns to a CSV file chunk by chunk (pyarrow's C++ writer: millions of rows per second).

    Integers need no quoting, so pyarrow's output equals ``csv.writer``'s; the header is written as plain text to
    avoid pyarrow's quoted header names.
    """

    def __init__(self, path: Path, header: Sequence[str], dtypes: Sequence[np.dtype]) -> None:
        """Open ``path``'s temporary file and write the header line."""
        self.path = path
        self.header = tuple(header)
        self._schema = pa.schema(
            [pa.field(name, pa.from_numpy_dtype(np.dtype(t))) for name, t in zip(header, dtypes, strict=True)]
        )
        self._sink = pa.OSFile(str(partial_path(path)), "wb")
        self._sink.write((",".join(header) + "\n").encode())
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 20)
        self._writer = pa_csv.CSVWriter(self._sink, self._schema, write_options=options)
        self.rows = 0
        self._closed = False

    def write(self, columns: Sequence[np.ndarray]) -> None:
        """Append one chunk; ``columns`` follow the header order."""
        arrays = [
            pa.array(np.asarray(col, dtype=field.type.to_pandas_dtype()))
            for col, field in zip(columns, self._schema, strict=True)
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self.rows += len(columns[0])

    def close(self) -> None:
        """Flush and close the temporary file (``commit`` renames it); closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        try:
            self._writer.close()
        finally:
            self._sink.close()

    def abort(self) -> None:
        """Close and delete the temporary file after a failure."""
        try:
            self.close()
        finally:
            partial_path(self.path).unlink(missing_ok=True)


def write_text_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a small CSV with ``csv.writer`` in the Kaggle dialect to the temporary name; returns the row count."""
    count = 0
    with open(partial_path(path), "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
