"""Reading Kaggle CSV files: header checks (fatal) and streaming blocks of rows with exact line numbers.

Interaction files are read in blocks of whole lines. A block made only of digits, commas and line breaks (all
blocks of a clean Kaggle file) is parsed by pyarrow straight to int64 columns: as fast as pyarrow's own reader.
Any other block (quotes, letters, signs, blank or ragged lines, ...) is parsed exactly, one physical line per row
(:mod:`records`), which knows every row's line. Both paths produce the same :class:`IntBlock`, so validation is
shared and the result never depends on where block boundaries fall. Line breaks are LF, CRLF or a bare CR
(:mod:`raw_bytes`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from anime_recommender.prepare_data.errors import fatal
from anime_recommender.prepare_data.files import ID_COLUMNS, KaggleFile
from anime_recommender.prepare_data.raw_bytes import check_text_file, lf_chunks, line_end, to_lf
from anime_recommender.prepare_data.records import Record, iter_quoted, iter_unquoted, physical_lines
from anime_recommender.prepare_data.storage import Storage
from anime_recommender.prepare_data.values import parse_id, parse_int

HEAD_BYTES = 64 * 1024
MAX_METADATA_BYTES = 256 * 1024 * 1024  # anime.csv / anime_with_synopsis.csv, read whole (~40x the real ones)
MAX_LINE_BYTES = 1024 * 1024  # an interaction row is ~20 bytes; a longer "line" is not a row of this file
_CLEAN_BYTES = b"0123456789,\n"
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class CsvHeader:
    """A checked header: every header name, where each needed column is, and where the data starts."""

    file: KaggleFile
    names: tuple[str, ...]
    positions: dict[str, int]
    data_offset: int
    size: int

    @property
    def width(self) -> int:
        """Number of fields every row must have."""
        return len(self.names)


def read_header(storage: Storage, kaggle_file: KaggleFile) -> CsvHeader:
    """Check that ``kaggle_file`` exists, is non-empty, uncompressed UTF-8 CSV and names every needed column; else
    fatal."""
    name = kaggle_file.name
    size = storage.size(name)
    if size is None:
        raise fatal(name, "the file is missing from the drop.")
    if size == 0:
        raise fatal(name, "the file is empty (0 bytes); upload it again from the Kaggle dataset.")
    head = storage.read_head(name, HEAD_BYTES)
    offset = check_text_file(name, head)
    bounds = line_end(head, offset)
    if bounds is None:
        if size > len(head):
            raise fatal(name, f"the first line is longer than {HEAD_BYTES} bytes, so it is not a CSV header.", line=1)
        bounds = (len(head) - 1, len(head)) if head.endswith(b"\r") else (len(head), len(head))
    end, data_offset = bounds
    header_bytes = head[offset:end]
    if b"\x00" in header_bytes:
        raise fatal(
            name,
            f"the header (line 1) holds a NUL byte at byte {header_bytes.index(0) + 1}, so it is not a CSV header; "
            "the file is binary or damaged.",
            line=1,
        )
    try:
        header_text = header_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = header_bytes[error.start]
        raise fatal(
            name,
            f"the header is not UTF-8: byte 0x{bad:02x} at byte {error.start + offset + 1} of line 1 cannot be "
            "decoded (the file looks Latin-1/Windows-1252 encoded); save it again as UTF-8.",
            line=1,
        ) from None
    names = tuple(field.strip() for field in next(csv.reader([header_text]), []))
    positions: dict[str, int] = {}
    missing: list[str] = []
    for column, accepted in kaggle_file.columns.items():
        found = next((names.index(alias) for alias in accepted if alias in names), None)
        if found is None:
            missing.append(" or ".join(repr(alias) for alias in accepted))
        else:
            positions[column] = found
    if missing:
        found_text = ", ".join(repr(n) for n in names) or "nothing"
        hint = ""
        if len(names) == 1:
            for delimiter, label in _OTHER_DELIMITERS.items():
                if delimiter in names[0]:
                    hint = f" The header is a single column containing {label}s: the file looks {label}-separated, "
                    hint += "but Kaggle files are comma-separated."
                    break
        raise fatal(
            name,
            f"the header is missing the column(s) {', '.join(missing)}; found {found_text} in line 1.{hint}",
            column=missing[0],
            line=1,
        )
    if data_offset >= size or (size <= len(head) and not head[data_offset:].strip()):
        raise fatal(name, "the file has a header but no data rows.")
    return CsvHeader(kaggle_file, names, positions, data_offset, size)


def iter_line_blocks(stream: BinaryIO, header: CsvHeader, block_size: int) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(line number of the block's first line, bytes, number of line breaks)`` for blocks of whole lines
    after the header, with every line break (LF, CRLF, bare CR) as LF."""
    skipped = 0
    while skipped < header.data_offset:
        piece = stream.read(header.data_offset - skipped)
        if not piece:
            return
        skipped += len(piece)
    line = 2
    carry = b""
    for chunk in lf_chunks(stream, block_size):
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > MAX_LINE_BYTES:
                raise fatal(
                    header.file.name,
                    f"line {line} is longer than {MAX_LINE_BYTES} bytes without a line break, so it is not a row "
                    "of this file (is it binary or damaged?).",
                    line=line,
                )
            carry = data
            continue
        block, carry = (data, b"") if cut == len(data) else (data[:cut], data[cut:])
        breaks = block.count(b"\n")
        yield line, block, breaks
        line += breaks
    if carry:
        yield line, carry, carry.count(b"\n")


@dataclass
class IntBlock:
    """The structurally good rows of one block: their lines and int64 columns (``ok`` False = not an integer)."""

    lines: np.ndarray
    values: dict[str, np.ndarray]
    ok: dict[str, np.ndarray]
    raw: dict[str, list[str]] | None  # the original text (exact path only); None: text is str(value) or ""

    def raw_values(self, column: str, index: np.ndarray) -> list[str]:
        """Original text of ``column`` at row positions ``index`` (for reports)."""
        if self.raw is not None:
            texts = self.raw[column]
            return [texts[i] for i in index]
        values, ok = self.values[column], self.ok[column]
        return [str(values[i]) if ok[i] else "" for i in index]


@dataclass
class StructuralIssues:
    """Records of a block that are not rows (blank, NUL byte, ragged: exact path only), in line order."""

    records: list[Record]


def parse_int_block(
    block: bytes, first_line: int, header: CsvHeader, breaks: int | None = None
) -> tuple[IntBlock, StructuralIssues]:
    """Parse the needed columns of a block as integers, by the fast path when the block is clean.

    ``breaks`` is the block's number of line breaks when the caller already counted them.
    """
    if breaks is None:
        breaks = block.count(b"\n")
    fast = _parse_clean_block(block, first_line, header, breaks + (0 if block.endswith(b"\n") else 1))
    if fast is not None:
        return fast, StructuralIssues([])
    return _parse_exact_block(block, first_line, header)


def _parse_clean_block(block: bytes, first_line: int, header: CsvHeader, lines: int) -> IntBlock | None:
    if block.translate(None, _CLEAN_BYTES):
        return None
    wanted = [header.names[i] for i in header.positions.values()]
    if len(set(header.names)) != len(header.names):
        return None  # duplicate header names: let the exact path pick columns by position
    try:
        table = pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(column_names=list(header.names)),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.int64()),
                null_values=[""],
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # ragged row or a number beyond int64: the exact path reports it
    rows = table.num_rows
    if rows != lines:
        return None  # a blank line was skipped: the exact path reports it
    values: dict[str, np.ndarray] = {}
    ok: dict[str, np.ndarray] = {}
    for column, position in header.positions.items():
        array = table.column(header.names[position]).combine_chunks()
        if array.null_count:  # empty fields
            ok[column] = array.is_valid().to_numpy(zero_copy_only=False)
            array = array.fill_null(0)
        else:
            ok[column] = np.ones(rows, dtype=bool)
        values[column] = array.to_numpy()
    lines = np.arange(first_line, first_line + rows, dtype=np.int64)
    return IntBlock(lines, values, ok, None)


def decode_utf8(block: bytes, first_line: int, header: CsvHeader) -> str:
    """Decode an LF-normalised block; a non-UTF-8 byte is fatal and names its line, column and byte."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = block.rfind(b"\n", 0, error.start) + 1
        line = first_line + block.count(b"\n", 0, error.start)
        prefix = block[line_start : error.start].decode("utf-8")
        index = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
        column = header.names[index] if index < header.width else None
        raise fatal(
            header.file.name,
            f"line {line} is not UTF-8: byte 0x{block[error.start]:02x} (byte {error.start - line_start + 1} of the "
            f"line, column {column or index + 1}) cannot be decoded (the file looks Latin-1/Windows-1252 encoded); "
            "save it again as UTF-8.",
            line=line,
            column=column,
        ) from None


def _parse_exact_block(block: bytes, first_line: int, header: CsvHeader) -> tuple[IntBlock, StructuralIssues]:
    text = decode_utf8(block, first_line, header)
    issues = StructuralIssues([])
    lines: list[int] = []
    raw: dict[str, list[str]] = {column: [] for column in header.positions}
    for record in iter_unquoted(physical_lines(text), first_line, header.width):
        if record.problem is not None:
            issues.records.append(record)
            continue
        lines.append(record.line)
        for column, position in header.positions.items():
            raw[column].append(record.fields[position])
    values: dict[str, np.ndarray] = {}
    ok: dict[str, np.ndarray] = {}
    for column, texts in raw.items():
        parse = parse_id if column in ID_COLUMNS else parse_int
        parsed = [parse(t) for t in texts]
        ok[column] = np.fromiter((p is not None for p in parsed), dtype=bool, count=len(parsed))
        values[column] = np.fromiter((p or 0 for p in parsed), dtype=np.int64, count=len(parsed))
    return IntBlock(np.asarray(lines, dtype=np.int64), values, ok, raw), issues


def read_exact_table(storage: Storage, header: CsvHeader) -> Iterator[Record]:
    """Every record of a small metadata file (anime.csv, anime_with_synopsis.csv) with exact line numbers.

    These files are read whole (the real ones are 6-7 MB), so one far larger than that is refused before it is read.
    """
    if header.size > MAX_METADATA_BYTES:
        raise fatal(
            header.file.name,
            f"the file is {header.size} bytes; this metadata file is read whole and may be at most "
            f"{MAX_METADATA_BYTES} bytes (the Kaggle file is about 7 MB). Is it the right file?",
        )
    with storage.open_read(header.file.name) as stream:
        data = stream.read()
    text = decode_utf8(to_lf(data[header.data_offset :]), 2, header)
    multiline = frozenset(header.positions[column] for column in header.file.textual)
    id_first = bool(header.names) and header.names[0] in ID_COLUMNS
    yield from iter_quoted(physical_lines(text), 2, header.width, multiline, id_first=id_first)


def column_name(header: CsvHeader, index: int | None) -> str | None:
    """The header name of field ``index`` (None when there is none)."""
    return header.names[index] if index is not None and index < header.width else None


def needed_fields(fields: Sequence[str], header: CsvHeader) -> dict[str, str]:
    """The needed columns of one good record, by canonical name."""
    return {column: fields[position] for column, position in header.positions.items()}
