"""A first-order item-to-item transition model: which item users interact with right after another one.

Used by the v2 recipes (User-Personalization-v2 and Personalized-Ranking-v2 are transformer models over the
user's interaction sequence on AWS, https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-user-personalization-v2.html)
as a sequence-aware component blended into the collaborative-filtering score: the next-item probabilities of the
last :data:`RECENT_EVENTS` items of a history, the newest weighing most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from personalize_local.recipes.building_blocks import item_columns, sorted_codes

RECENT_EVENTS = 5
#: Weight of the k-th most recent event (0 = newest) is 0.5 ** (k / RECENT_HALF_LIFE).
RECENT_HALF_LIFE = 1.0


def transition_matrix(interactions: pd.DataFrame, item_ids: np.ndarray) -> sp.csr_matrix:
    """Row-normalised (items × items) P(next = j | current = i) over consecutive events of each user (by TIMESTAMP).

    Repeats of the same item are skipped; rows of items never followed by another stay empty.
    """
    n = len(item_ids)
    if len(interactions) < 2 or n == 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    users, _ = sorted_codes(interactions["USER_ID"])
    items = item_columns(interactions["ITEM_ID"], item_ids)
    order = np.lexsort((interactions["TIMESTAMP"].to_numpy(dtype=np.int64), users))
    u, it = users[order], items[order]
    a, b = it[:-1], it[1:]
    keep = (u[:-1] == u[1:]) & (a >= 0) & (b >= 0) & (a != b)
    counts = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (a[keep], b[keep])), shape=(n, n))
    counts.sum_duplicates()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    return sp.diags((1.0 / totals).astype(np.float32)).dot(counts).tocsr().astype(np.float32)


def next_item_scores(transitions: sp.csr_matrix, history_codes: np.ndarray) -> np.ndarray:
    """Transition scores (items,) of a history (item positions, oldest first), scaled so the maximum is 1."""
    n = transitions.shape[0]
    recent = history_codes[-RECENT_EVENTS:][::-1]
    if len(recent) == 0:
        return np.zeros(n, dtype=np.float64)
    weights = 0.5 ** (np.arange(len(recent)) / RECENT_HALF_LIFE)
    scores = np.asarray(transitions[recent].T @ weights).ravel().astype(np.float64)
    top = scores.max() if len(scores) else 0.0
    return scores / top if top > 0 else scores


def blend_transitions(
    raw: np.ndarray, transitions: sp.csr_matrix | None, history_codes: np.ndarray, weight: float
) -> np.ndarray:
    """``raw`` scores plus ``weight`` × the history's :func:`next_item_scores` (unchanged when off or empty)."""
    if transitions is None or weight <= 0 or len(history_codes) == 0:
        return raw
    return raw + weight * next_item_scores(transitions, history_codes)
