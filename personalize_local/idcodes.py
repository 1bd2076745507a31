"""Integer codes for id columns (user and item ids), shared by the recipes and the metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd


def id_strings(values: pd.Index | np.ndarray) -> np.ndarray:
    """Ids (a small array of uniques) as an object array of ``str``."""
    return np.asarray(pd.Index(values).astype(str), dtype=object)


def sorted_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a (large) id column into its sorted unique ids: ``(codes per row, sorted ids as str)``.

    The column is hashed once (``pd.factorize``, fast on Arrow-backed strings); only the uniques become Python
    strings. Missing ids get code -1.
    """
    codes, uniques = pd.factorize(column)
    ids = id_strings(uniques)
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    mapped = np.where(codes >= 0, rank[np.maximum(codes, 0)] if len(ids) else -1, -1)
    return mapped.astype(np.int32 if len(ids) < 2**31 else np.int64), ids[order]
