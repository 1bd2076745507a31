"""Standard open-source baselines for bench/quality.py, each tuned on the TRAINING users only.

Baselines: EASE (Steck 2019, closed form), and from ``implicit``: iALS (``AlternatingLeastSquares``), BPR
(``BayesianPersonalizedRanking``) and item-kNN (``nearest_neighbours.BM25Recommender`` / ``CosineRecommender``).
Each is used the way its library intends: fitted on a (users × items) matrix that holds the training users AND the
test users' input histories (their truth stays hidden), then asked for the test users' top 25 with their own items
filtered out. That is more than the recipes get (they never see test users during training), so a recipe that
matches a baseline here matches an optimistic baseline.

Related-items baselines (:class:`Related`, compared with ``aws-sims``): the same ``implicit`` models — item-kNN
cosine, BM25 and TF-IDF, and iALS item factors — asked ``model.similar_items(item, N)`` for the test user's most
recent history item (Personalize's RELATED_ITEMS protocol), the item itself left out and the list topped up to 25
with the training users' most-interacted items, as ``aws-sims`` tops up its own.

Grid search: every setting of a baseline's grid is scored on a validation split drawn from the training users
with Personalize's own protocol (:func:`~personalize_local.metrics.split_users` applied to the training users);
the setting with the best validation NDCG@10 (precision@5 for the related-items baselines: the SIMS goal's
accuracy measure) is then fitted once more and measured on the test users. The test users never choose anything.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from personalize_local.metrics import EvaluationSplit, aggregate, split_users
from personalize_local.recipes.algorithms import EaseCore, co_occurrence
from personalize_local.recipes.building_blocks import InteractionMatrix, ItemLookup, popularity_order, top_k
from personalize_local.recipes.user_personalization import histories_matrix

NDCG10 = "normalized_discounted_cumulative_gain_at_10"
P5 = "precision_at_5"
# implicit's BM25 weighting hands its own fit a COO matrix and then warns about it (implicit.utils.ParameterWarning)
warnings.filterwarnings("ignore", message="Method expects CSR input", module=r"implicit\.")
TOP = 25


class Baseline(Protocol):
    """A fitted-on-demand algorithm: ``top`` gives each query row's best items, its own items excluded (user-to-item)
    or the items related to the row's most recent item (related items)."""

    family: str
    setting: str

    def top(self, matrix: sp.csr_matrix, query_rows: np.ndarray, last_items: np.ndarray) -> np.ndarray:
        """(len(query_rows) × 25) item positions (-1 padding) after fitting on ``matrix``; ``last_items``: the
        position of each query row's most recent history item (-1 when unknown)."""


@dataclass
class Ease:
    """EASE with λ = ``lambda_factor`` × the mean item interaction count."""

    lambda_factor: float
    family: str = "EASE"
    setting: str = field(init=False)

    def __post_init__(self) -> None:
        self.setting = f"lambda={self.lambda_factor:g}x mean count"

    def top(self, matrix: sp.csr_matrix, query_rows: np.ndarray, last_items: np.ndarray) -> np.ndarray:
        """Scores ``history · B``, own items excluded."""
        core = EaseCore.fit(co_occurrence(matrix), self.lambda_factor)
        queries = matrix[query_rows]
        scores = core.score_batch(queries)
        return _top_unseen(scores, queries)


@dataclass
class Implicit:
    """One model class of ``implicit`` with fixed parameters, served by the library's own ``recommend``."""

    family: str
    params: dict[str, float]
    setting: str = field(init=False)
    fitted: object | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.setting = ", ".join(f"{k}={v:g}" for k, v in self.params.items())

    def _model(self):
        if self.family == "iALS":
            from implicit.cpu.als import AlternatingLeastSquares

            return AlternatingLeastSquares(**self.params, iterations=15, random_state=0, num_threads=0)
        if self.family == "BPR":
            from implicit.cpu.bpr import BayesianPersonalizedRanking

            return BayesianPersonalizedRanking(**self.params, iterations=100, random_state=0, num_threads=0)
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender, TFIDFRecommender

        if self.family == "item-kNN BM25":
            return BM25Recommender(**self.params, num_threads=0)
        if self.family == "item-kNN TF-IDF":
            return TFIDFRecommender(**self.params, num_threads=0)
        return CosineRecommender(**self.params, num_threads=0)

    def fit(self, matrix: sp.csr_matrix):
        """The ``implicit`` model fitted on ``matrix`` (kept as ``self.fitted`` for a later related-items use)."""
        with threadpool_limits(limits=1, user_api="blas"):  # implicit parallelises itself
            self.fitted = self._model()
            self.fitted.fit(matrix, show_progress=False)
        return self.fitted

    def top(self, matrix: sp.csr_matrix, query_rows: np.ndarray, last_items: np.ndarray) -> np.ndarray:
        """Fit the model, then ``recommend(rows, N=25, filter_already_liked_items=True)``."""
        model = self.fit(matrix)
        with threadpool_limits(limits=1, user_api="blas"):
            ids, _ = model.recommend(query_rows, matrix[query_rows], N=TOP, filter_already_liked_items=True)
        return np.asarray(ids)


@dataclass
class Related:
    """A related-items baseline: ``similar_items`` of an :class:`Implicit` model for the query row's most recent
    item, the item itself left out, topped up to 25 with the most-interacted items of the training rows (the rows
    that are not queries) — as ``aws-sims`` tops up its lists. ``reuse``: serve this already fitted model instead
    of fitting one."""

    model: Implicit
    reuse: object | None = None
    family: str = field(init=False)
    setting: str = field(init=False)

    def __post_init__(self) -> None:
        self.family = f"{self.model.family} similar_items"
        self.setting = self.model.setting

    def top(self, matrix: sp.csr_matrix, query_rows: np.ndarray, last_items: np.ndarray) -> np.ndarray:
        """``similar_items(last items, N=26)`` minus the item itself, then popular items not yet listed."""
        fitted = self.reuse if self.reuse is not None else self.model.fit(matrix)
        counts = matrix.getnnz(axis=0) - matrix[query_rows].getnnz(axis=0)  # users per item among training rows
        popular = popularity_order(counts, np.arange(matrix.shape[1]))
        out = np.full((len(query_rows), TOP), -1, dtype=np.int64)
        known = np.flatnonzero(last_items >= 0)
        similar = np.full((len(query_rows), TOP + 1), -1, dtype=np.int64)
        if len(known):
            with threadpool_limits(limits=1, user_api="blas"):
                ids, scores = fitted.similar_items(last_items[known], N=TOP + 1)
            ids = np.where(np.isfinite(scores) & (scores > -np.finfo(np.float32).max), ids, -1)
            similar[known] = ids
        for r in range(len(query_rows)):
            row = similar[r]
            picked = row[(row >= 0) & (row != last_items[r])][:TOP]
            listed = np.concatenate([picked, last_items[r : r + 1]])
            head = popular[: 2 * TOP + 1]  # enough: at most TOP + 1 items are already listed
            fill = head[~np.isin(head, listed)][: TOP - len(picked)]
            out[r, : len(picked)] = picked
            out[r, len(picked) : len(picked) + len(fill)] = fill
        return out


def _top_unseen(scores: np.ndarray, queries: sp.csr_matrix) -> np.ndarray:
    out = np.full((scores.shape[0], TOP), -1, dtype=np.int64)
    for r in range(scores.shape[0]):
        row = scores[r].astype(np.float64)
        row[queries.indices[queries.indptr[r] : queries.indptr[r + 1]]] = -np.inf
        picked = top_k(row, TOP)
        out[r, : len(picked)] = picked
    return out


def grids() -> dict[str, list[Baseline]]:
    """The small grid of every baseline family (about the settings their papers and docs suggest)."""
    return {
        "EASE": [Ease(f) for f in (0.25, 1.0, 4.0, 16.0)],
        "iALS": [
            Implicit("iALS", {"factors": f, "regularization": r, "alpha": a})
            for f, r, a in ((16, 1.0, 4.0), (64, 1.0, 4.0), (64, 1.0, 16.0), (128, 1.0, 16.0), (100, 0.01, 1.0))
        ],
        "BPR": [
            Implicit("BPR", {"factors": f, "learning_rate": lr, "regularization": 0.01})
            for f in (64, 128)
            for lr in (0.01, 0.05)
        ],
        "item-kNN BM25": [
            Implicit("item-kNN BM25", {"K": k, "K1": 1.2, "B": b}) for k in (50, 200) for b in (0.25, 0.75)
        ],
        "item-kNN cosine": [Implicit("item-kNN cosine", {"K": k}) for k in (50, 200)],
    }


def related_grids() -> dict[str, list[Baseline]]:
    """The small grid of every related-items baseline family (:class:`Related`)."""
    return {
        "item-kNN cosine similar_items": [Related(Implicit("item-kNN cosine", {"K": k})) for k in (50, 200)],
        "item-kNN BM25 similar_items": [
            Related(Implicit("item-kNN BM25", {"K": k, "K1": k1, "B": b}))
            for k in (50, 200)
            for k1, b in ((1.2, 0.75), (1.2, 0.25))
        ],
        "item-kNN TF-IDF similar_items": [Related(Implicit("item-kNN TF-IDF", {"K": k})) for k in (50, 200)],
        "iALS similar_items": [
            Related(Implicit("iALS", {"factors": f, "regularization": 1.0, "alpha": a}))
            for f, a in ((64, 4.0), (128, 16.0))
        ],
    }


def evaluate(baseline: Baseline, split: EvaluationSplit, item_ids: np.ndarray, n_catalog: int) -> dict[str, float]:
    """Personalize's metric map of ``baseline`` on ``split`` (fitted on training users + test histories)."""
    train = InteractionMatrix.build(split.train, item_ids).matrix
    lookup = ItemLookup(item_ids)
    histories, _ = histories_matrix(lookup, [u.history for u in split.test_users], len(item_ids), 0.0)
    matrix = sp.vstack([train, histories]).tocsr().astype(np.float32)
    query_rows = np.arange(train.shape[0], matrix.shape[0])
    last_items = np.array([lookup.get(u.history[-1]) if u.history else -1 for u in split.test_users], dtype=np.int64)
    top = baseline.top(matrix, query_rows, last_items)
    lists = [item_ids[row[row >= 0]].tolist() for row in top]
    return aggregate(lists, [u.truth for u in split.test_users], n_catalog)


@dataclass(frozen=True)
class Tuned:
    """A baseline family's chosen setting: its validation score (the metric ``chosen_by``), test metrics and seconds
    (grid + final)."""

    family: str
    setting: str
    validation_score: float
    metrics: dict[str, float]
    seconds: float
    chosen_by: str = NDCG10


def tune_and_measure(
    family: str,
    grid: list[Baseline],
    split: EvaluationSplit,
    item_ids: np.ndarray,
    n_catalog: int,
    seed: int,
    chosen_by: str = NDCG10,
) -> Tuned:
    """Choose the setting (best validation ``chosen_by``) on a validation split of the training users, then measure
    it on the test users."""
    start = time.perf_counter()
    validation = split_users(split.train, seed=seed)
    scored = [(evaluate(b, validation, item_ids, n_catalog)[chosen_by], i) for i, b in enumerate(grid)]
    best_score, best = max(scored, key=lambda s: (s[0], -s[1]))
    metrics = evaluate(grid[best], split, item_ids, n_catalog)
    return Tuned(family, grid[best].setting, best_score, metrics, time.perf_counter() - start, chosen_by)
