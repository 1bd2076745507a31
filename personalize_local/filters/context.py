"""The errors and request context of filter expressions (re-exported by :mod:`personalize_local.filters`)."""

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
