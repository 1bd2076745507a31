"""Reading Kaggle CSV files: header checks (fatal) and streaming blocks of rows with exact line numbers.

Interaction files are read in blocks of whole lines. A block made only of digits, commas and line breaks (all
blocks of a clean Kaggle file) is parsed by pyarrow straight to int64 columns: as fast as pyarrow's own reader.
Any other block (quotes, letters, signs, blank or ragged lines, ...) is parsed exactly with the ``csv`` module,
which knows every row's line. Both paths produce the same :class:`IntBlock`, so validation is shared and the
result never depends on where block boundaries fall.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from anime_recommender.kaggle.errors import DataValidationError
from anime_recommender.kaggle.files import KaggleFile
from anime_recommender.kaggle.storage import Storage

HEAD_BYTES = 64 * 1024
MAX_ID = 10**18 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_CLEAN_BYTES = b"0123456789,\r\n"
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


def _fatal(file: str, text: str, column: str | None = None) -> DataValidationError:
    return DataValidationError(f"{file}: {text} The drop was not imported.", file=file, column=column)


def read_header(storage: Storage, kaggle_file: KaggleFile) -> CsvHeader:
    """Check that ``kaggle_file`` exists, is non-empty UTF-8 CSV and names every needed column; else fatal."""
    name = kaggle_file.name
    size = storage.size(name)
    if size is None:
        raise _fatal(name, "the file is missing from the drop.")
    if size == 0:
        raise _fatal(name, "the file is empty (0 bytes); upload it again from the Kaggle dataset.")
    head = storage.read_head(name, HEAD_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head[:256]:
        raise _fatal(
            name,
            "the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark or holds NUL bytes), but this "
            "step reads UTF-8 (with or without BOM); save it again as UTF-8.",
        )
    offset = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    end = head.find(b"\n", offset)
    if end < 0 and size > len(head):
        raise _fatal(name, f"the first line is longer than {HEAD_BYTES} bytes, so it is not a CSV header.")
    header_bytes = head[offset : end if end >= 0 else len(head)]
    try:
        header_text = header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as error:
        bad = header_bytes[error.start]
        raise _fatal(
            name,
            f"the header is not UTF-8: byte 0x{bad:02x} at byte {error.start + offset + 1} of line 1 cannot be "
            "decoded (the file looks Latin-1/Windows-1252 encoded); save it again as UTF-8.",
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
        raise _fatal(
            name,
            f"the header is missing the column(s) {', '.join(missing)}; found {found_text} in line 1.{hint}",
            column=missing[0],
        )
    data_offset = end + 1 if end >= 0 else len(head)
    if data_offset >= size or (size <= len(head) and not head[data_offset:].strip()):
        raise _fatal(name, "the file has a header but no data rows.")
    return CsvHeader(kaggle_file, names, positions, data_offset, size)


def iter_line_blocks(stream: BinaryIO, header: CsvHeader, block_size: int) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(line number of the block's first line, bytes, number of line breaks)`` for blocks of whole lines
    after the header."""
    skipped = 0
    while skipped < header.data_offset:
        piece = stream.read(header.data_offset - skipped)
        if not piece:
            return
        skipped += len(piece)
    line = 2
    carry = b""
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            if carry:
                yield line, carry, carry.count(b"\n")
            return
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        block, carry = (data, b"") if cut == len(data) else (data[:cut], data[cut:])
        breaks = block.count(b"\n")
        yield line, block, breaks
        line += breaks


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
    """Rows of a block that are not rows: blank lines and rows of the wrong width (exact path only)."""

    blank_lines: list[int]
    ragged_lines: list[int]
    ragged_text: list[str]


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
        return fast, StructuralIssues([], [], [])
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


def decode_utf8(block: bytes, first_line: int, file: str) -> str:
    """Decode a block; a non-UTF-8 byte is fatal and names its line."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as error:
        line = first_line + block.count(b"\n", 0, error.start)
        raise _fatal(
            file,
            f"line {line} is not UTF-8: byte 0x{block[error.start]:02x} cannot be decoded (the file looks "
            "Latin-1/Windows-1252 encoded); save it again as UTF-8.",
        ) from None


def iter_exact_rows(
    text: str, first_line: int, width: int, *, quoted: bool, file: str
) -> Iterator[tuple[int, list[str] | None, list[str]]]:
    """Rows of ``text`` with their first line: ``(line, fields, [])`` for good rows, ``(line, None, fields)`` for
    blank (``fields == []``) or ragged rows.

    ``quoted=False`` (interaction files, numbers only) reads every physical line as one row, so a stray quote
    cannot swallow the lines after it and the result cannot depend on where a block ends.
    """
    if quoted:
        reader = csv.reader(io.StringIO(text, newline=""))
    else:
        physical = text.split("\n")
        if physical and physical[-1] == "":
            physical.pop()
        reader = csv.reader((line.removesuffix("\r") for line in physical), quoting=csv.QUOTE_NONE)
    consumed = 0
    while True:
        line = first_line + consumed
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _fatal(file, f"line {line} is not valid CSV ({error}).") from None
        consumed = reader.line_num
        if len(record) == width:
            yield line, record, []
        else:
            yield line, None, record


def _to_int(text: str) -> int | None:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    body = text[1:] if text.startswith("-") else text
    if not body or not body.isascii() or not body.isdigit():
        return None
    value = int(text)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _parse_exact_block(block: bytes, first_line: int, header: CsvHeader) -> tuple[IntBlock, StructuralIssues]:
    text = decode_utf8(block, first_line, header.file.name)
    issues = StructuralIssues([], [], [])
    lines: list[int] = []
    raw: dict[str, list[str]] = {column: [] for column in header.positions}
    for line, fields, bad in iter_exact_rows(text, first_line, header.width, quoted=False, file=header.file.name):
        if fields is None:
            if not bad:
                issues.blank_lines.append(line)
            else:
                issues.ragged_lines.append(line)
                issues.ragged_text.append(",".join(bad))
            continue
        lines.append(line)
        for column, position in header.positions.items():
            raw[column].append(fields[position])
    values: dict[str, np.ndarray] = {}
    ok: dict[str, np.ndarray] = {}
    for column, texts in raw.items():
        parsed = [_to_int(t) for t in texts]
        ok[column] = np.fromiter((p is not None for p in parsed), dtype=bool, count=len(parsed))
        values[column] = np.fromiter((p or 0 for p in parsed), dtype=np.int64, count=len(parsed))
    return IntBlock(np.asarray(lines, dtype=np.int64), values, ok, raw), issues


def read_exact_table(storage: Storage, header: CsvHeader) -> Iterator[tuple[int, list[str] | None, list[str]]]:
    """Every row of a small metadata file (anime.csv, anime_with_synopsis.csv) with exact line numbers."""
    with storage.open_read(header.file.name) as stream:
        data = stream.read()
    text = decode_utf8(data[header.data_offset :], 2, header.file.name)
    yield from iter_exact_rows(text, 2, header.width, quoted=True, file=header.file.name)


def needed_fields(fields: Sequence[str], header: CsvHeader) -> dict[str, str]:
    """The needed columns of one exact row, by canonical name."""
    return {column: fields[position] for column, position in header.positions.items()}
