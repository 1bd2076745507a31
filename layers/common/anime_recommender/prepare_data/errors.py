"""The one fatal error of the data-preparation step, and the place where reading errors become it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


class DataValidationError(Exception):
    """The drop cannot be prepared; nothing was imported.

    The message is one human paragraph naming the file, the line, the column and what was found: the state machine
    puts it into the operator's notification as is (the class name becomes the Step Functions error name).
    ``line`` (1-based, the header is line 1) and ``column`` (a header name) are None when the problem has none.
    """

    def __init__(
        self, message: str, *, file: str | None = None, column: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.column = column
        self.line = line

    def as_report(self) -> dict[str, str | int | None]:
        """The ``error`` object of report.json."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }


def fatal(file: str, text: str, *, line: int | None = None, column: str | None = None) -> DataValidationError:
    """A :class:`DataValidationError` about ``file`` whose message ends with the standard closing sentence."""
    return DataValidationError(f"{file}: {text} The drop was not imported.", file=file, column=column, line=line)


# Errors the parsing libraries raise on input they cannot read. Anything else is a bug or a storage failure and is
# not dressed up as bad data.
INPUT_ERRORS: tuple[type[BaseException], ...] = (csv.Error, UnicodeError, pa.ArrowInvalid, EOFError)


@contextmanager
def reading(file: str) -> Iterator[None]:
    """Turn a parsing library's error while reading ``file`` into a :class:`DataValidationError` naming it."""
    try:
        yield
    except INPUT_ERRORS as error:
        raise fatal(
            file, f"the file could not be read as CSV ({type(error).__name__}: {error}); no line could be named."
        ) from error
