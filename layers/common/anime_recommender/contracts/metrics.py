"""The offline metric keys: what GetSolutionMetrics returns for every custom recipe.

The pipeline reads them (primary metric, promotion gate, notification table, reports); Personalize Local computes
them. Personalize Local stays independent of the layer, so it keeps its own tuple, which a test holds equal to
this one.
"""

from __future__ import annotations

#: Every key of ``GetSolutionMetrics``' ``metrics`` for a custom solution version, in reporting order.
METRIC_KEYS: tuple[str, ...] = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
)
