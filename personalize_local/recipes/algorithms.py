"""The collaborative-filtering building blocks behind User-Personalization: EASE (closed form) and iALS.

Both score a user from their history alone (a weighted item vector), so new users and live events need no
retraining: EASE multiplies the history by its item-item weight matrix, iALS folds the user in with
``implicit``'s ``recalculate_user`` (one least-squares solve against the fixed item factors).
"""

from __future__ import annotations

import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from personalize_local.recipes.building_blocks import all_cores_blas, gram

#: What ``implicit`` warns (RuntimeWarning, from implicit.utils) when BLAS may run several threads.
BLAS_THREADS_WARNING = r"(OpenBLAS|Intel MKL BLAS|BLAS library \S+) is configured to use \d+ threads"


def silence_blas_threads_warning() -> None:
    """Ignore ``implicit``'s BLAS-threads RuntimeWarning, and only that one.

    We do what it asks (one BLAS thread around its calls, ``_single_threaded_blas``), but solution versions train in
    worker threads of the server, and OpenBLAS ignores a limit set from a worker thread once the main thread has set
    one (docs/personalize-local.md, "What it does not do"). The warning would then reach users of ``make demo`` on
    every training while the results are unaffected. One process-wide limit set before the threads start is no
    option either: the server sets its serving limit there, and EASE's inversion at training wants all cores.
    """
    warnings.filterwarnings("ignore", message=BLAS_THREADS_WARNING, category=RuntimeWarning, module=r"implicit\.")


silence_blas_threads_warning()

# EASE inverts a dense n×n matrix (O(n³): ~15 s at 5k items, minutes beyond 10k on 2 cores): use it only below this.
EASE_MAX_ITEMS = 12_000
# Below this size a single BLAS thread inverts faster than several (thread start-up dominates).
SMALL_MATRIX = 2500


def physical_memory_bytes() -> int:
    """Total RAM of this machine (0 when unknown)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def ease_feasible(n_items: int) -> bool:
    """Whether EASE fits: at most :data:`EASE_MAX_ITEMS` items and its matrices within a third of RAM."""
    memory = physical_memory_bytes()
    return n_items <= EASE_MAX_ITEMS and (memory == 0 or 3 * 8 * n_items**2 < memory / 3)


class ScoringCore(ABC):
    """Raw (pre-softmax) item scores from weighted user histories."""

    kind: str

    @abstractmethod
    def score_batch(self, histories: sp.csr_matrix) -> np.ndarray:
        """Dense (users × items) raw scores for the rows of ``histories`` (weights over items)."""

    def score_one(self, positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Raw scores (items,) for one history given as item positions and weights."""
        n_items = self.n_items
        row = sp.csr_matrix(
            (weights.astype(np.float32), positions.astype(np.int32), np.array([0, len(positions)])),
            shape=(1, n_items),
        )
        return self.score_batch(row)[0]

    @property
    @abstractmethod
    def n_items(self) -> int:
        """Catalogue size."""

    @abstractmethod
    def arrays(self) -> dict[str, np.ndarray]:
        """What to persist."""


class EaseCore(ScoringCore):
    """Steck's EASE: ``B = I - P / diag(P)`` with ``P = (XᵀX + λI)⁻¹``, zero diagonal; scores = history · B.

    Only items with training interactions take part (the others would have all-zero rows and columns), so the
    dense matrices are (active × active) even when the Items dataset lists many more items.
    """

    kind = "ease"

    def __init__(self, active: np.ndarray, weights: np.ndarray, n_items: int) -> None:
        self.active = active.astype(np.int64)
        self.weights = weights
        self._n_items = n_items

    @classmethod
    def fit(cls, cooccurrence: CoOccurrence, lambda_factor: float, degree_exponent: float = 0.0) -> EaseCore:
        """Closed-form fit from the item co-occurrence (Gram) matrix.

        ``degree_exponent`` γ fits EASE on the column-normalised matrix ``X·D^-γ`` (D = item interaction counts),
        which predicts popular items less eagerly and raises coverage; γ = 0 is plain EASE. λ is
        ``lambda_factor`` times the mean diagonal of the (normalised) Gram matrix. With fewer users than active
        items the inverse comes from the users' side (:func:`ease_inverse_low_rank`): the same matrix, computed
        in O(users · items²) instead of O(items³).
        """
        active = cooccurrence.active
        counts = cooccurrence.counts.astype(np.float64)
        scale = np.power(np.maximum(counts, 1.0), -degree_exponent) if degree_exponent else np.ones_like(counts)
        lam = lambda_factor * float(np.mean(counts * scale**2)) if len(active) else 0.0
        if cooccurrence.low_rank:
            p = ease_inverse_low_rank(cooccurrence.rows, scale, lam)
        else:
            g = cooccurrence.matrix.astype(np.float64)
            if degree_exponent:
                g *= scale[:, None]
                g *= scale[None, :]
            g[np.diag_indices_from(g)] += lam
            with threadpool_limits(limits=1, user_api="blas") if len(active) < SMALL_MATRIX else all_cores_blas():
                p = np.linalg.inv(g)
            del g
        p /= -np.diag(p).copy()  # in place: B = -P / diag(P), zero diagonal
        p[np.diag_indices_from(p)] = 0.0
        return cls(active, p.astype(np.float32), cooccurrence.n_items)

    @property
    def n_items(self) -> int:
        """Catalogue size."""
        return self._n_items

    def score_batch(self, histories: sp.csr_matrix) -> np.ndarray:
        """``histories @ B`` (zero for inactive items)."""
        out = np.zeros((histories.shape[0], self._n_items), dtype=np.float32)
        out[:, self.active] = np.asarray(histories.tocsc()[:, self.active] @ self.weights, dtype=np.float32)
        return out

    def score_one(self, positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted sum of the history items' rows of B."""
        out = np.zeros(self._n_items, dtype=np.float32)
        rows = np.searchsorted(self.active, positions)
        rows = np.clip(rows, 0, max(len(self.active) - 1, 0))
        known = (len(self.active) > 0) & (self.active[rows] == positions) if len(positions) else np.zeros(0, bool)
        if np.any(known):
            out[self.active] = weights[known].astype(np.float32) @ self.weights[rows[known]]
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """The active items and their weight matrix."""
        return {
            "ease_active": self.active,
            "ease_weights": self.weights,
            "ease_n_items": np.array([self._n_items]),
        }


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """implicit parallelises itself and warns when BLAS is multi-threaded too: limit BLAS for the call only."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


class IalsCore(ScoringCore):
    """Hu–Koren–Volinsky implicit ALS from the ``implicit`` library; users folded in with ``recalculate_user``.

    One user at a time (every request) is folded in with numpy instead: the same least-squares problem as
    ``implicit``'s (``(YᵀY + λI + Yᵤᵀ(Cᵤ − I)Yᵤ) xᵤ = YᵤᵀCᵤ1``, ``Cᵤ = α·weights``) as one small matrix product and one
    dense solve, about three times faster for one user than the library's per-user loop (tested equal to it).
    """

    kind = "ials"

    def __init__(self, item_factors: np.ndarray, factors: int, regularization: float, alpha: float) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        with _single_threaded_blas():  # implicit checks the BLAS configuration when the model is made
            self.model = AlternatingLeastSquares(
                factors=factors, regularization=regularization, alpha=alpha, num_threads=1
            )
        self.model.item_factors = np.ascontiguousarray(item_factors, dtype=np.float32)
        self.model.user_factors = np.zeros((0, item_factors.shape[1]), dtype=np.float32)
        _ = self.model.YtY  # computed once here, so serving threads only read it
        self.factors, self.regularization, self.alpha = factors, regularization, alpha
        factors64 = self.model.item_factors.astype(np.float64)
        self._regularised_gram = factors64.T @ factors64 + regularization * np.eye(factors64.shape[1])

    @classmethod
    def fit(
        cls,
        matrix: sp.csr_matrix,
        factors: int,
        regularization: float,
        alpha: float,
        iterations: int,
        seed: int,
        initial_item_factors: np.ndarray | None = None,
    ) -> IalsCore:
        """Fit on a (users × items) confidence matrix.

        Only the items with interactions are fitted (an item nobody interacted with would get a zero factor after
        the first sweep anyway); the others keep zero factors. A catalogue with many never-interacted items —
        17.5k titles of which 5.6k are rated in a small data set — then costs what its rated items cost, and the
        fitted factors do not depend on how many such items the catalogue lists.

        ``initial_item_factors`` (items × ``factors``, the catalogue's order) warm-starts the sweeps: the first one
        solves the users against them (``implicit`` keeps factors that are already set); an all-zero row (an item
        the start did not know) starts from ``implicit``'s small random values.
        """
        from implicit.cpu.als import AlternatingLeastSquares

        csr = matrix.tocsr().astype(np.float32)
        active = np.flatnonzero(csr.getnnz(axis=0) > 0)
        with _single_threaded_blas():
            model = AlternatingLeastSquares(
                factors=factors,
                regularization=regularization,
                alpha=alpha,
                iterations=iterations,
                random_state=seed,
                num_threads=0,
            )
            if initial_item_factors is not None:
                start = np.array(initial_item_factors[active], dtype=np.float32)
                unknown = ~start.any(axis=1)
                start[unknown] = np.random.default_rng(seed).random((int(unknown.sum()), factors), np.float32) * 0.01
                model.item_factors = start
                model.user_factors = np.zeros((csr.shape[0], factors), dtype=np.float32)
            model.fit(csr[:, active].tocsr(), show_progress=False)
        fitted = np.asarray(model.item_factors, dtype=np.float32)
        item_factors = np.zeros((csr.shape[1], fitted.shape[1]), dtype=np.float32)
        item_factors[active] = fitted
        return cls(item_factors, factors, regularization, alpha)

    @property
    def n_items(self) -> int:
        """Catalogue size."""
        return self.model.item_factors.shape[0]

    def score_batch(self, histories: sp.csr_matrix) -> np.ndarray:
        """Fold every row in, then dot with the item factors."""
        n = histories.shape[0]
        if n == 0:
            return np.zeros((0, self.n_items), dtype=np.float32)
        users = self.model.recalculate_user(np.arange(n), histories.tocsr().astype(np.float32))
        return np.asarray(users @ self.model.item_factors.T, dtype=np.float32)

    def score_one(self, positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Fold one history in (numpy least squares, see the class doc), then dot with the item factors."""
        item_factors = self.model.item_factors
        if len(positions) == 0:
            return np.zeros(item_factors.shape[0], dtype=np.float32)
        history = item_factors[positions].astype(np.float64)
        confidence = self.alpha * weights.astype(np.float64)
        system = self._regularised_gram + (history.T * (confidence - 1.0)) @ history
        user = np.linalg.solve(system, history.T @ confidence)
        return item_factors @ user.astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        """Item factors and the parameters fold-in needs."""
        return {
            "ials_item_factors": self.model.item_factors,
            "ials_params": np.array([self.factors, self.regularization, self.alpha], dtype=np.float64),
        }


def load_core(kind: str, arrays: dict[str, np.ndarray]) -> ScoringCore:
    """Rebuild a core saved with :meth:`ScoringCore.arrays`."""
    if kind == "ease":
        return EaseCore(arrays["ease_active"], arrays["ease_weights"], int(arrays["ease_n_items"][0]))
    factors, regularization, alpha = arrays["ials_params"].tolist()
    return IalsCore(arrays["ials_item_factors"], int(factors), regularization, alpha)


def ease_inverse_low_rank(rows: sp.csr_matrix, scale: np.ndarray, lam: float) -> np.ndarray:
    """``(YᵀY + λI)⁻¹`` for ``Y = rows · diag(scale)`` through the Woodbury identity (float64, dense).

    ``(YᵀY + λI)⁻¹ = (I − Yᵀ (YYᵀ + λI)⁻¹ Y) / λ``: one (users × users) solve and one (items × users × items)
    product, exact up to rounding. Worth it when the users are fewer than the items (a small data set with a large
    catalogue: 298 users × 5.6k rated items take about a second instead of half a minute per inversion).
    """
    y = np.asarray(rows.multiply(scale[None, :]).toarray(), dtype=np.float64)
    with all_cores_blas():
        inner = y @ y.T
        inner[np.diag_indices_from(inner)] += lam
        solved = np.linalg.solve(inner, y)  # (YYᵀ + λI)⁻¹ Y
        p = y.T @ solved
    np.negative(p, out=p)
    p[np.diag_indices_from(p)] += 1.0
    p /= lam
    return p


@dataclass(frozen=True)
class CoOccurrence:
    """A binary (users × items) matrix restricted to the items with interactions, for EASE.

    ``active``: those items' positions in the catalogue; ``rows``: the matrix over them (CSR); ``matrix``: its
    Gram matrix ``XᵀX``, computed on first use — never when ``low_rank`` (fewer users than items) lets EASE work
    from ``rows`` directly.
    """

    active: np.ndarray
    rows: sp.csr_matrix
    n_items: int

    @property
    def counts(self) -> np.ndarray:
        """The Gram diagonal (users per active item for binary input)."""
        return np.asarray(self.rows.multiply(self.rows).sum(axis=0), dtype=np.float64).ravel()

    @property
    def low_rank(self) -> bool:
        """Whether the users are fewer than the active items (EASE then inverts from the users' side)."""
        return 0 < self.rows.shape[0] < len(self.active)

    @cached_property
    def matrix(self) -> np.ndarray:
        """``XᵀX`` over the active items (dense float32)."""
        return gram(self.rows)


def co_occurrence(matrix: sp.csr_matrix) -> CoOccurrence:
    """What EASE is fitted from (binary user × item input), over the active items only."""
    active = np.flatnonzero(matrix.getnnz(axis=0) > 0)
    return CoOccurrence(active, matrix.tocsc()[:, active].tocsr(), matrix.shape[1])
