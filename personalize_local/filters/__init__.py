"""Personalize filter expressions: parse at CreateFilter, evaluate at GetRecommendations.

Contract used by the service layer (implemented in ``parser.py`` / ``evaluator.py`` of this package):

* ``parse_filter(expression) -> FilterExpression`` raises :class:`FilterSyntaxError` (with ``position``, the
  0-based character offset) for anything Personalize's CreateFilter would reject.
* ``FilterExpression.evaluate(context, filter_values) -> np.ndarray`` returns a boolean mask over
  ``context.item_ids`` (True = may be recommended). It raises :class:`FilterValueError` when ``filterValues``
  is wrong (an INCLUDE placeholder missing, a malformed value list).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


class FilterSyntaxError(ValueError):
    """An expression CreateFilter rejects; ``position`` is where the problem starts."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.position = position


class FilterValueError(ValueError):
    """``filterValues`` that do not fit the filter (GetRecommendations → InvalidInputException)."""


@dataclass(frozen=True)
class UserEvent:
    """One interaction of the current user, bulk or streamed: what Interactions.EVENT_TYPE filters look at."""

    item_id: str
    event_type: str
    timestamp: int


@dataclass
class FilterContext:
    """Everything a filter may look at for one request."""

    item_ids: np.ndarray  # object array of str: the candidate items, in mask order
    items: pd.DataFrame | None = None  # Items dataset (+ PutItems), indexed by ITEM_ID (str)
    user_events: Sequence[UserEvent] = field(default_factory=list)  # the user's history, oldest first
    user: Mapping[str, object] | None = None  # the current user's row of the Users dataset
    current_item: Mapping[str, object] | None = None  # the item of a RELATED_ITEMS request


from personalize_local.filters.parser import FilterExpression, parse_filter  # noqa: E402

__all__ = [
    "FilterContext",
    "FilterExpression",
    "FilterSyntaxError",
    "FilterValueError",
    "UserEvent",
    "parse_filter",
]
