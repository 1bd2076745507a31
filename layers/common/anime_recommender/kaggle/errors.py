"""The one fatal error of the data-preparation step."""

from __future__ import annotations


class DataValidationError(Exception):
    """The drop cannot be prepared; nothing was imported.

    The message is one human paragraph naming the file, the column and what was found: the state machine puts it
    into the operator's notification as is (the class name becomes the Step Functions error name).
    """

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.column = column
