"""Placeholder until the filter grammar lands (issue 5): accepts nothing."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class FilterExpression:
    """A parsed filter expression."""

    def evaluate(self, context: object, filter_values: Mapping[str, str]) -> np.ndarray:
        """Boolean mask over ``context.item_ids``."""
        raise NotImplementedError


def parse_filter(expression: str) -> FilterExpression:
    """Parse a Personalize filter expression."""
    from personalize_local.filters import FilterSyntaxError

    raise FilterSyntaxError("filters are not implemented yet", 0)
