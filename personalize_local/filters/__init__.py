"""Personalize filter expressions: parse at CreateFilter, evaluate at GetRecommendations.

Contract used by the service layer (implemented in ``parser.py`` / ``evaluator.py`` of this package):

* ``parse_filter(expression) -> FilterExpression`` raises :class:`FilterSyntaxError` (with ``position``, the
  0-based character offset) for anything Personalize's CreateFilter would reject.
* ``FilterExpression.evaluate(context, filter_values) -> np.ndarray`` returns a boolean mask over
  ``context.item_ids`` (True = may be recommended). It raises :class:`FilterValueError` when ``filterValues``
  is wrong (an INCLUDE placeholder missing, a malformed value list).
"""

from __future__ import annotations

from personalize_local.filters.context import FilterContext, FilterSyntaxError, FilterValueError, UserEvent
from personalize_local.filters.parser import FilterExpression, parse_filter

__all__ = [
    "FilterContext",
    "FilterExpression",
    "FilterSyntaxError",
    "FilterValueError",
    "UserEvent",
    "parse_filter",
]
