"""The sequence-aware components of User-Personalization (v1 and v2) and Personalized-Ranking.

AWS's models are sequence models — v1 is HRNN-based ("takes ordered user histories and automatically weights
them", https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-hrnn.html), v2 a transformer over the
user's interaction sequence (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-user-personalization-v2.html).
Locally two components are added to the collaborative-filtering score, each with a weight chosen on validation
users (0 = off):

* first-order item-to-item transitions: the next-item probabilities of the last :data:`RECENT_EVENTS` items of a
  history, the newest weighing most (:func:`transition_matrix`, :func:`next_item_scores`);
* the late-interaction lift: how much likelier an item is than an average one to be among a user's newest
  interactions (:func:`late_interaction_lift`) — where in a history an item tends to come.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    return _transitions(*histories_in_order(interactions, item_ids), len(item_ids))


def histories_in_order(
    interactions: pd.DataFrame,
    item_ids: np.ndarray,
    rows: np.ndarray | None = None,
    user_codes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every interaction's (user code, item position in ``item_ids``, -1 if absent), ordered by user then TIMESTAMP:
    the one sort both components read (at full size, 58 M rows of string ids: the costly part).

    ``rows`` (boolean, one per interaction) keeps only some interactions, without copying the frame; ``user_codes``
    (one integer per interaction, e.g. ``InteractionMatrix.rows``) saves coding the user ids again.
    """
    users = sorted_codes(interactions["USER_ID"])[0] if user_codes is None else np.asarray(user_codes)
    items = item_columns(interactions["ITEM_ID"], item_ids)
    timestamps = interactions["TIMESTAMP"].to_numpy(dtype=np.int64)
    if rows is not None:
        users, items, timestamps = users[rows], items[rows], timestamps[rows]
    order = np.lexsort((timestamps, users))
    return users[order], items[order]


def _transitions(u: np.ndarray, it: np.ndarray, n: int) -> sp.csr_matrix:
    """:func:`transition_matrix` of histories already in order (:func:`histories_in_order`)."""
    if len(u) < 2 or n == 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    a, b = it[:-1], it[1:]
    keep = (u[:-1] == u[1:]) & (a >= 0) & (b >= 0) & (a != b)
    counts = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (a[keep], b[keep])), shape=(n, n))
    counts.sum_duplicates()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    return sp.diags((1.0 / totals).astype(np.float32)).dot(counts).tocsr().astype(np.float32)


def next_item_scores(transitions: sp.csr_matrix, history_codes: np.ndarray) -> np.ndarray:
    """Transition scores (items,) of a history (item positions, oldest first), scaled so the maximum is 1."""
    recent = history_codes[-RECENT_EVENTS:][::-1]
    if len(recent) == 0:
        return np.zeros(transitions.shape[0], dtype=np.float64)
    scores = np.asarray(transitions[recent].T @ _recency_weights(np.arange(len(recent)))).astype(np.float64)
    return _scaled_to_max(scores)


def next_item_scores_many(transitions: sp.csr_matrix, histories: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`next_item_scores` of every history, as one (histories × items) matrix.

    Row h of ``W @ transitions``, with W[h] the recency weights of history h's last :data:`RECENT_EVENTS` items
    (newest first, a repeated item once per occurrence), is the weighted sum of their transition rows, added up in
    the same order as for one history alone (the same floats).
    """
    n = transitions.shape[0]
    recent = [np.asarray(h)[-RECENT_EVENTS:][::-1] for h in histories]
    lengths = np.array([len(r) for r in recent], dtype=np.int64)
    indptr = np.r_[0, np.cumsum(lengths)]
    age = np.arange(indptr[-1]) - np.repeat(indptr[:-1], lengths)
    weights = sp.csr_matrix(
        (_recency_weights(age), np.concatenate([np.empty(0, np.int64), *recent]), indptr), shape=(len(recent), n)
    )
    return _scaled_to_max(np.asarray((weights @ transitions).toarray(), dtype=np.float64))


def _recency_weights(age: np.ndarray) -> np.ndarray:
    """Weight of the event ``age`` events before the newest (0 = newest) in the transition scores."""
    return 0.5 ** (age / RECENT_HALF_LIFE)


def _scaled_to_max(scores: np.ndarray) -> np.ndarray:
    """``scores`` (one row, or rows × items) divided row by row by the row's maximum when that is positive (a
    matrix in place)."""
    if scores.ndim == 1:
        top = scores.max() if len(scores) else 0.0
        return scores / top if top > 0 else scores
    top = scores.max(axis=1, keepdims=True) if scores.shape[1] else np.zeros((len(scores), 1))
    np.divide(scores, top, out=scores, where=top > 0)
    return scores


#: Share of each user's newest interactions that count as "late" (Personalize's hold-out share).
LATE_SHARE = 0.1
#: Pseudo-interactions pulling an item's late share towards the overall share (items seen a few times only).
LATE_SMOOTHING = 10.0


def late_interaction_lift(interactions: pd.DataFrame, item_ids: np.ndarray) -> np.ndarray:
    """Per item, the log of how much likelier it is than an average interaction to be among a user's newest ones.

    An interaction is *late* when it is among the newest :data:`LATE_SHARE` of its user's interactions (by
    TIMESTAMP, at least one per user). ``lift_i = log(p_i / p)`` with ``p_i`` item i's late share smoothed towards
    the overall share ``p`` by :data:`LATE_SMOOTHING` pseudo-interactions: what a sequence model learns about
    where in a history an item tends to come (new releases come late, classics early). Items without
    interactions get the lowest lift, so adding it never lifts them above trained items.
    """
    return _late_lift(*histories_in_order(interactions, item_ids), len(item_ids))


def _late_lift(u: np.ndarray, it: np.ndarray, n: int) -> np.ndarray:
    """:func:`late_interaction_lift` of histories already in order (:func:`histories_in_order`)."""
    if len(u) == 0 or n == 0:
        return np.zeros(n, dtype=np.float64)
    starts = np.r_[0, np.flatnonzero(np.diff(u)) + 1]
    sizes = np.diff(np.r_[starts, len(u)])
    size_of_row = np.repeat(sizes, sizes)
    from_end = np.repeat(starts + sizes, sizes) - np.arange(len(u)) - 1  # 0 = the user's newest interaction
    late = from_end < np.maximum(1, np.floor(LATE_SHARE * size_of_row + 0.5))
    known = it >= 0
    total = np.bincount(it[known], minlength=n).astype(np.float64)
    late_total = np.bincount(it[known & late], minlength=n).astype(np.float64)
    overall = late_total.sum() / total.sum() if total.sum() else LATE_SHARE
    lift = np.log((late_total + LATE_SMOOTHING * overall) / (total + LATE_SMOOTHING) / overall)
    if (total > 0).any():
        lift[total == 0] = lift[total > 0].min()
    return lift


@dataclass(frozen=True)
class SequenceComponents:
    """The sequence-aware parts a score can add: next-item transitions and the late-interaction lift."""

    transitions: sp.csr_matrix | None = None
    late_lift: np.ndarray | None = None

    @classmethod
    def fit(
        cls,
        interactions: pd.DataFrame,
        item_ids: np.ndarray,
        *,
        transitions: bool = True,
        late_lift: bool = True,
        rows: np.ndarray | None = None,
        user_codes: np.ndarray | None = None,
    ) -> SequenceComponents:
        """The components asked for (both by default) from ``interactions`` (those ``rows`` selects), sorted into
        histories once (see :func:`histories_in_order` for ``rows`` and ``user_codes``)."""
        if not (transitions or late_lift):
            return cls()
        u, it = histories_in_order(interactions, item_ids, rows, user_codes)
        n = len(item_ids)
        return cls(_transitions(u, it, n) if transitions else None, _late_lift(u, it, n) if late_lift else None)

    def apply(
        self, raw: np.ndarray, history_codes: np.ndarray, transition_weight: float, late_weight: float
    ) -> np.ndarray:
        """``raw`` plus the weighted transition scores of the history and the weighted late-interaction lift."""
        on = self.transitions is not None and transition_weight > 0 and len(history_codes) > 0
        return self._added(
            raw, next_item_scores(self.transitions, history_codes) if on else None, transition_weight, late_weight
        )

    def apply_many(
        self,
        raw: np.ndarray,
        histories: Sequence[np.ndarray],
        transition_weight: float,
        late_weight: float,
        next_scores: np.ndarray | None = None,
    ) -> np.ndarray:
        """:meth:`apply` for every row of ``raw`` (one per history); ``next_scores``: the histories'
        :func:`next_item_scores_many` when already known. ``raw`` itself when both components are off."""
        on = self.transitions is not None and transition_weight > 0
        if on and next_scores is None:
            next_scores = next_item_scores_many(self.transitions, histories)
        return self._added(raw, next_scores if on else None, transition_weight, late_weight)

    def _added(
        self, raw: np.ndarray, next_scores: np.ndarray | None, transition_weight: float, late_weight: float
    ) -> np.ndarray:
        """``raw`` + ``transition_weight`` × ``next_scores`` (when given) + ``late_weight`` × the lift (when on)."""
        out = raw if next_scores is None else raw + transition_weight * next_scores
        if self.late_lift is not None and late_weight > 0:
            out = out + late_weight * self.late_lift
        return out
