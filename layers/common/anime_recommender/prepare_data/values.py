"""Integer syntax of the Kaggle files: one rule for every user and anime id, one for the other integer columns."""

from __future__ import annotations

MAX_ID = 10**18 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_MAX_DIGITS = 19  # after leading zeros; longer cannot be an int64 (and int() of a huge string is slow)


def _digits(text: str) -> int | None:
    """The value of a non-empty string of ASCII digits (leading zeros allowed), None for anything else."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0")
    return int(significant or "0") if len(significant) <= _MAX_DIGITS else None


def _unquoted(text: str) -> str:
    """``"7"`` → ``7``: one pair of double quotes around a number is accepted in every file."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def parse_id(text: str) -> int | None:
    """A user id, anime id or MAL_ID: ASCII digits only, 0…10^18−1, optionally in one pair of double quotes.

    No sign (``-0`` is not user 0), no spaces, no decimals, no non-ASCII digits. None when invalid.
    """
    value = _digits(_unquoted(text))
    return value if value is not None and value <= MAX_ID else None


def parse_int(text: str) -> int | None:
    """A signed int64 (ratings, watching status: the range rules then say whether it is allowed). None when invalid."""
    text = _unquoted(text)
    negative = text.startswith("-")
    value = _digits(text[1:] if negative else text)
    if value is None:
        return None
    value = -value if negative else value
    return value if _INT64_MIN <= value <= _INT64_MAX else None
