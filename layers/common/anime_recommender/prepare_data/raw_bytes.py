"""What a file's raw bytes say before it is parsed: compression, encoding, line endings, NUL bytes.

Policy (docs/hostile-input.md, "Prepare step"):

* compressed files (gzip, zip, bzip2, xz, zstd, 7-Zip) are recognised by their magic bytes and refused by name;
* UTF-16 and UTF-32 (with a byte-order mark, or UTF-16 without one, recognised by its NUL bytes every other byte)
  are refused by name; a UTF-8 BOM is skipped; anything else must be UTF-8;
* line breaks are LF, CRLF or a bare CR (old Mac), in any mix: each of them ends one line, the way Python's
  universal newlines count them, so line numbers are the ones an editor shows;
* a NUL byte elsewhere is not an encoding: in the header it is fatal, in a data row it rejects that row.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

from anime_recommender.prepare_data.errors import fatal

_COMPRESSED = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SNIFF_BYTES = 256


def check_text_file(file: str, head: bytes) -> int:
    """Refuse compressed and UTF-16/32 files by name; return the length of a UTF-8 BOM to skip (0 or 3)."""
    reason = _not_utf8_text(head)
    if reason is not None:
        raise fatal(file, reason, line=1)
    return len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0


def _not_utf8_text(head: bytes) -> str | None:
    """Why a file starting with ``head`` is not UTF-8 text, or None."""
    save_again = "but this step reads UTF-8 (with or without BOM); save it again as UTF-8."
    for magic, label in _COMPRESSED:
        if head.startswith(magic):
            return (
                f"the file is {label}-compressed (it starts with the {label} magic bytes {magic.hex(' ')}); this "
                "step reads plain CSV: upload the uncompressed file."
            )
    for bom, label in _WIDE_BOMS:
        if head.startswith(bom):
            return f"the file is {label} encoded (it starts with a {label} byte-order mark), {save_again}"
    if _looks_utf16(head[:_SNIFF_BYTES]):
        return (
            f"the file is UTF-16 encoded without a byte-order mark (every other byte of its start is NUL), {save_again}"
        )
    return None


def _looks_utf16(sample: bytes) -> bool:
    """ASCII text in UTF-16 has a NUL in every even (big endian) or odd (little endian) byte."""
    if len(sample) < 4:
        return False
    half = len(sample) // 2
    return any(sample[parity::2].count(0) >= 0.9 * half for parity in (0, 1))


def line_end(data: bytes, start: int) -> tuple[int, int] | None:
    """``(end of the line, start of the next)`` of the line starting at ``start``; None when no break follows."""
    lf = data.find(b"\n", start)
    cr = data.find(b"\r", start, lf if lf >= 0 else len(data))
    if cr >= 0:
        if cr + 1 == len(data):
            return None  # a CR at the very end may be the first half of a CRLF still to come
        return cr, cr + 2 if data[cr + 1 : cr + 2] == b"\n" else cr + 1
    return (lf, lf + 1) if lf >= 0 else None


def to_lf(data: bytes) -> bytes:
    """Every CRLF and bare CR as LF (a no-op, and free, for files that have none)."""
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def lf_chunks(stream: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    """Read ``stream`` to its end in chunks of about ``chunk_size`` with line breaks normalised to LF.

    A CR at the end of a chunk waits for the next one, so a CRLF split between two reads stays one line break.
    """
    pending = b""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            if pending:
                yield b"\n"
            return
        data = pending + chunk if pending else chunk
        pending = b""
        if data.endswith(b"\r"):
            data, pending = data[:-1], b"\r"
        if data:
            yield to_lf(data)
