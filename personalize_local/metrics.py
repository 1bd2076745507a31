"""Solution-version metrics computed the way Amazon Personalize computes them (reference §2).

Protocol (``GetSolutionMetrics``):

1. Users with at least two interactions are eligible for testing; ``round(10%)`` of *all* users (at least one,
   at most the eligible ones) are drawn with a seeded RNG as test users. Everyone else is a training user.
2. The recipe trains on the training users' interactions only (plus the Items/Users datasets).
3. For each test user, interactions are sorted by TIMESTAMP (stable): the newest ``max(1, round(10% of n))``
   are the truth (their distinct items), the older ones are the input history.
4. Each test user gets 25 recommendations from the model:

   * USER_PERSONALIZATION: ``model.recommend(input history, 25)`` without filter or exploration;
   * PERSONALIZED_RANKING: ``model.rank(input history, every item not in it)``, first 25 (``rank_unseen``);
   * RELATED_ITEMS: ``model.related(most recent input item, 25)``.

5. Per user: ``precision_at_K`` = hits in the top K / K; ``mean_reciprocal_rank_at_25`` = 1 / rank of the first
   hit (0 without one); ``normalized_discounted_cumulative_gain_at_K`` with Personalize's normalisation: the
   ideal DCG is built from the hits that were found (h hits in the top K → ideal = hits at ranks 1..h), with
   weight ``1/log(1 + rank)``. Averages over test users, rounded to 4 decimals.
6. ``coverage`` = distinct items in all test users' top-25 lists / distinct items in Interactions ∪ Items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from personalize_local.idcodes import sorted_codes

TOP_K = 25
#: The list lengths precision and NDCG are reported at (GetSolutionMetrics: ``..._at_5``, ``_at_10``, ``_at_25``).
CUTOFFS = (5, 10, 25)
#: Every key this engine reports for a custom solution version, in reporting order: coverage, then what
#: :func:`ranking_metrics` computes (the pipeline's contract holds the same tuple; a test keeps them equal).
METRIC_KEYS: tuple[str, ...] = (
    "coverage",
    f"mean_reciprocal_rank_at_{TOP_K}",
    *(f"normalized_discounted_cumulative_gain_at_{k}" for k in CUTOFFS),
    *(f"precision_at_{k}" for k in CUTOFFS),
)
Holdout = Literal["newest_10_percent", "last_item"]


@dataclass(frozen=True)
class TestUser:
    """One held-out user: the input history (oldest first) and the truth items."""

    user_id: str
    history: list[str]
    truth: frozenset[str]


@dataclass(frozen=True)
class EvaluationSplit:
    """Personalize's split: the training users' interactions and the test users."""

    train: pd.DataFrame
    test_users: list[TestUser]


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def choose_test_users(user_column: pd.Series, seed: int = 0) -> np.ndarray:
    """Boolean mask over the rows of ``user_column``: the rows of the test users (steps 1 of the module doc)."""
    codes, ids = sorted_codes(user_column)
    sizes = np.bincount(codes[codes >= 0], minlength=len(ids))
    eligible = np.flatnonzero(sizes >= 2)  # codes: the same shuffle as of the ids themselves, without object isin
    n_test = min(len(eligible), max(1, _round_half_up(0.1 * len(ids))))
    rng = np.random.default_rng(seed)
    is_test_user = np.zeros(len(ids), dtype=bool)
    is_test_user[rng.permutation(eligible)[:n_test]] = True
    return (codes >= 0) & is_test_user[np.maximum(codes, 0)] if len(ids) else np.zeros(len(codes), dtype=bool)


def test_users_of(rows: pd.DataFrame, holdout: Holdout = "newest_10_percent") -> list[TestUser]:
    """The test users (input history, truth) of ``rows`` (all interactions of the test users), by user id."""
    codes, ids = sorted_codes(rows["USER_ID"])
    order = np.lexsort((rows["TIMESTAMP"].to_numpy(dtype=np.int64), codes))  # stable: ties keep input order
    items = np.asarray(rows["ITEM_ID"].astype(str).to_numpy(), dtype=object)[order]
    user_of_row = codes[order]
    bounds = np.flatnonzero(np.diff(user_of_row)) + 1
    test_users: list[TestUser] = []
    for start, end in zip(np.r_[0, bounds], np.r_[bounds, len(order)], strict=True):
        if end <= start:
            continue
        history = items[start:end].tolist()
        n = len(history)
        n_truth = 1 if holdout == "last_item" else min(n - 1, max(1, _round_half_up(0.1 * n)))
        test_users.append(TestUser(ids[user_of_row[start]], history[: n - n_truth], frozenset(history[n - n_truth :])))
    return test_users


def split_users(interactions: pd.DataFrame, seed: int = 0, holdout: Holdout = "newest_10_percent") -> EvaluationSplit:
    """Split ``interactions`` into training users and test users (input history / truth), as in the module doc."""
    frame = interactions.reset_index(drop=True)
    is_test = choose_test_users(frame["USER_ID"], seed)
    train = frame.loc[~is_test].reset_index(drop=True)
    return EvaluationSplit(train, test_users_of(frame.loc[is_test, ["USER_ID", "ITEM_ID", "TIMESTAMP"]], holdout))


def ranking_metrics(recommended: Sequence[str], truth: frozenset[str] | set[str]) -> dict[str, float]:
    """Unrounded per-user metrics of one top-25 list (all keys of :data:`METRIC_KEYS` except coverage)."""
    rel = np.array([item in truth for item in list(recommended)[:TOP_K]], dtype=bool)
    out: dict[str, float] = {}
    hits = np.flatnonzero(rel)
    out[f"mean_reciprocal_rank_at_{TOP_K}"] = 1.0 / (int(hits[0]) + 1) if len(hits) else 0.0
    for k in CUTOFFS:
        out[f"normalized_discounted_cumulative_gain_at_{k}"] = ndcg_personalize(rel, k)
    for k in CUTOFFS:
        out[f"precision_at_{k}"] = float(rel[:k].sum()) / k
    return out


def ndcg_personalize(relevance: Sequence[bool] | np.ndarray, k: int) -> float:
    """NDCG@k with Personalize's normalisation: the ideal DCG places the hits found in the top k at ranks 1..h."""
    rel = np.asarray(relevance, dtype=float)[:k]
    weights = 1.0 / np.log(1.0 + np.arange(1, len(rel) + 1))
    dcg = float((rel * weights).sum())
    n_hits = int(rel.sum())
    if n_hits == 0:
        return 0.0
    return dcg / float(weights[:n_hits].sum())


def ndcg_standard(relevance: Sequence[bool] | np.ndarray, n_relevant: int, k: int) -> float:
    """Textbook NDCG@k (ideal = min(n_relevant, k) hits at the top), for comparison with the quirk above."""
    rel = np.asarray(relevance, dtype=float)[:k]
    weights = 1.0 / np.log(1.0 + np.arange(1, k + 1))
    ideal = float(weights[: min(n_relevant, k)].sum())
    return float((rel * weights[: len(rel)]).sum()) / ideal if ideal else 0.0


def aggregate(
    lists: Sequence[Sequence[str]], truths: Sequence[frozenset[str]], n_catalog_items: int
) -> dict[str, float]:
    """Personalize's metric map (4 decimals) from per-user top-25 lists, their truths and the catalogue size."""
    totals = dict.fromkeys(METRIC_KEYS[1:], 0.0)
    recommended: set[str] = set()
    for recs, truth in zip(lists, truths, strict=True):
        recommended.update(list(recs)[:TOP_K])
        for key, value in ranking_metrics(recs, truth).items():
            totals[key] += value
    n = max(1, len(lists))
    out = {"coverage": round(len(recommended) / n_catalog_items, 4) if n_catalog_items else 0.0}
    out.update({key: round(value / n, 4) for key, value in totals.items()})
    return {key: out[key] for key in METRIC_KEYS}
