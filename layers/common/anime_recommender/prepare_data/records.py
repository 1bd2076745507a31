"""Decoded CSV text → records with their first line, each either good or classified by a structural rule.

Structural rules, checked in this order (their ids are rules of :mod:`rules`):

* ``blank_row``: the line is empty;
* ``unclosed_quote`` (quoted files only): a quoted field runs over a line break where none is allowed (any column
  but a file's textual one), over more than ``MAX_RECORD_LINES`` lines, over a line that starts like a record of
  its own (``<digits>,`` when the file's first column is an id), or to a record of the wrong width. Only the
  record's first line is rejected; reading starts again at the next line, so a stray quote never swallows the
  records after it;
* ``nul_byte``: the record holds a NUL byte;
* ``ragged_row``: the record has a different number of fields than the header.

Unquoted files (the interaction files, numbers only) are split per physical line on commas: a quote there is just
a character of a field, so it cannot join lines either.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_RECORD_LINES = 16  # a textual field may hold line breaks, but a record never spans more lines than this
_RECORD_START = re.compile(r'"?[0-9]+"?,')  # how a line of a file whose first column is an id begins


@dataclass(frozen=True)
class Record:
    """One record: its first line, its fields, and the structural rule it breaks (None: a good record).

    ``column`` is the index of the offending field when one can be named; ``text`` is what goes into reports.
    """

    line: int
    fields: list[str]
    problem: str | None = None
    column: int | None = None
    text: str = ""


def physical_lines(text: str) -> list[str]:
    """The lines of LF-normalised ``text`` (a final line break does not start another line)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _nul_field(fields: list[str]) -> int | None:
    return next((index for index, value in enumerate(fields) if "\x00" in value), None)


def _classified(line: int, fields: list[str], width: int, text: str) -> Record:
    """A one-line (or accepted multi-line) record: blank, NUL, ragged or good."""
    if not fields:
        return Record(line, fields, "blank_row", None, "")
    nul = _nul_field(fields)
    if nul is not None:
        return Record(line, fields, "nul_byte", nul, text)
    if len(fields) != width:
        return Record(line, fields, "ragged_row", None, text)
    return Record(line, fields)


def iter_unquoted(lines: Iterable[str], first_line: int, width: int) -> Iterator[Record]:
    """One record per physical line, split on commas (quotes are ordinary characters)."""
    for offset, text in enumerate(lines):
        yield _classified(first_line + offset, text.split(",") if text else [], width, text)


def iter_quoted(
    lines: list[str], first_line: int, width: int, multiline_columns: frozenset[int], *, id_first: bool = False
) -> Iterator[Record]:
    """RFC-4180 records (Python's ``csv``); a broken quote rejects one line and reading resynchronises after it.

    ``multiline_columns`` are the field indexes whose values may hold line breaks; ``id_first``: the first column
    is an id, so a line starting with ``<digits>,`` cannot be the continuation of a quoted value.
    """
    start = 0
    while start < len(lines):
        reader = csv.reader(f"{line}\n" for line in itertools.islice(lines, start, None))
        base = start
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error:  # e.g. a field beyond csv's size limit: an unclosed quote ran on and on
                yield _unclosed(lines, start, first_line, None)
                start += 1
                break
            end = base + reader.line_num
            multiline = end - start > 1 or any("\n" in value for value in fields)  # or a quote open at the end
            if multiline and not _spans_correctly(fields, width, lines[start + 1 : end], multiline_columns, id_first):
                yield _unclosed(lines, start, first_line, _first_multiline_field(fields))
                start += 1
                break
            yield _classified(first_line + start, fields, width, "\n".join(lines[start:end]))
            start = end


def _spans_correctly(
    fields: list[str], width: int, continuation: list[str], multiline_columns: frozenset[int], id_first: bool
) -> bool:
    """Whether a record spanning several lines is a real one (see the module docstring)."""
    if len(fields) != width or len(continuation) >= MAX_RECORD_LINES:
        return False
    if id_first and any(_RECORD_START.match(line) for line in continuation):
        return False
    return all(index in multiline_columns for index, value in enumerate(fields) if "\n" in value)


def _first_multiline_field(fields: list[str]) -> int | None:
    return next((index for index, value in enumerate(fields) if "\n" in value), None)


def _unclosed(lines: list[str], start: int, first_line: int, column: int | None) -> Record:
    return Record(first_line + start, [], "unclosed_quote", column, lines[start])
