"""Contextual metadata (e.g. DEVICE) for User-Personalization and Personalized-Ranking.

AWS: "Contextual metadata is interactions data you collect on a user's browsing context (such as device, location)
at the time of an event"; it is passed at request time as ``context={"DEVICE": "mobile"}`` and used by
USER_PERSONALIZATION and PERSONALIZED_RANKING recipes
(https://docs.aws.amazon.com/personalize/latest/dg/contextual-metadata.html). How AWS uses it is not published.

Local model: for every categorical context column ``K`` and value ``v``, the item distribution under that value,
smoothed towards the overall distribution, ``p(j | K=v) = (n_vj + m·p_j) / (n_v + m)`` with ``m`` = number of items.
A request's log-probabilities get ``Σ_K log p(j | K=v_K) − log p(j)`` added: the naive-Bayes combination
``p(j | user, context) ∝ p(j | user) · p(j | context) / p(j)``. Where a value says nothing about items the lift is
about zero; unknown columns or values add nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from personalize_local.recipes.building_blocks import id_strings, item_columns

#: Interactions columns that are not context (reserved by Personalize or not categorical request context).
RESERVED_COLUMNS = frozenset(
    {"USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "IMPRESSION", "RECOMMENDATION_ID", "EVENT_ID"}
)
#: A column with more distinct values than this is not treated as categorical context.
MAX_CONTEXT_VALUES = 100


def context_columns(interactions: pd.DataFrame) -> list[str]:
    """The categorical (string) non-reserved columns of ``interactions`` with at most MAX_CONTEXT_VALUES values."""
    out = []
    for column in interactions.columns:
        if column.upper() in RESERVED_COLUMNS or pd.api.types.is_numeric_dtype(interactions[column]):
            continue
        if 0 < interactions[column].nunique(dropna=True) <= MAX_CONTEXT_VALUES:
            out.append(column)
    return out


@dataclass(frozen=True)
class ContextModel:
    """Per context column: its values and a (values × items) matrix of log-lifts."""

    columns: tuple[str, ...]
    values: tuple[np.ndarray, ...]  # object arrays of str, one per column
    lifts: tuple[np.ndarray, ...]  # float32 (n_values, n_items), one per column

    @classmethod
    def fit(cls, interactions: pd.DataFrame, item_ids: np.ndarray) -> ContextModel | None:
        """Lifts of every context column of ``interactions`` over ``item_ids``; None when there is no context."""
        columns = context_columns(interactions)
        if not columns:
            return None
        n_items = len(item_ids)
        items = item_columns(interactions["ITEM_ID"], item_ids)
        overall = np.bincount(items[items >= 0], minlength=n_items).astype(np.float64)
        p_all = (overall + 1.0) / (overall.sum() + n_items)
        values_out, lifts_out = [], []
        for column in columns:
            value_codes, value_names = pd.factorize(interactions[column].astype("string"))
            ok = (value_codes >= 0) & (items >= 0)
            counts = np.zeros((len(value_names), n_items), dtype=np.float64)
            np.add.at(counts, (value_codes[ok], items[ok]), 1.0)
            smoothed = (counts + n_items * p_all) / (counts.sum(axis=1, keepdims=True) + n_items)
            lifts_out.append((np.log(smoothed) - np.log(p_all)).astype(np.float32))
            values_out.append(id_strings(value_names))
        return cls(tuple(columns), tuple(values_out), tuple(lifts_out))

    def lift(self, context: Mapping[str, str] | None) -> np.ndarray | None:
        """Summed log-lift (items,) of the request ``context``; None when no key/value is known."""
        if not context:
            return None
        by_upper = {str(k).upper(): str(v) for k, v in context.items()}
        total = None
        for column, values, lifts in zip(self.columns, self.values, self.lifts, strict=True):
            value = by_upper.get(column.upper())
            if value is None:
                continue
            hit = np.flatnonzero(values == value)
            if len(hit):
                total = lifts[hit[0]].astype(np.float64) if total is None else total + lifts[hit[0]]
        return total

    def arrays(self) -> dict[str, np.ndarray]:
        """What to persist (prefix ``context_``)."""
        out: dict[str, np.ndarray] = {"context_columns": np.asarray(self.columns, dtype=object)}
        for i, (values, lifts) in enumerate(zip(self.values, self.lifts, strict=True)):
            out[f"context_values_{i}"] = values
            out[f"context_lifts_{i}"] = lifts
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> ContextModel | None:
        """Rebuild from :meth:`arrays` (None when nothing was saved)."""
        if "context_columns" not in arrays:
            return None
        columns = tuple(str(c) for c in arrays["context_columns"].tolist())
        values = tuple(arrays[f"context_values_{i}"] for i in range(len(columns)))
        lifts = tuple(arrays[f"context_lifts_{i}"] for i in range(len(columns)))
        return cls(columns, values, lifts)
