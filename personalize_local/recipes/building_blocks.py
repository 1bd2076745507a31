"""Building blocks shared by the recipes: the item universe, interaction matrices, top-k, persistence."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from personalize_local.idcodes import id_strings, sorted_codes
from personalize_local.recipes.base import Scored, TrainingData

MODEL_JSON = "model.json"
ARRAYS_NPZ = "arrays.npz"


def item_universe(data: TrainingData) -> np.ndarray:
    """Every item a model may return: items with interactions plus items of the Items dataset, sorted (str)."""
    ids = id_strings(pd.unique(data.interactions["ITEM_ID"].dropna()))
    if data.items is not None and "ITEM_ID" in data.items.columns:
        ids = np.union1d(ids, id_strings(data.items["ITEM_ID"].dropna().to_numpy()))
    return np.sort(np.asarray(ids, dtype=object))


@dataclass(frozen=True)
class InteractionMatrix:
    """Interactions as a binary user × item CSR matrix (duplicates collapsed) over a fixed item universe.

    ``rows`` maps every input interaction to its matrix row (-1 when its item is outside the universe) and
    ``events_per_user`` counts each row's interactions before duplicates collapse, so callers can select
    interactions by user or compute repeat rates without touching the id strings again.
    """

    user_ids: np.ndarray  # object array of str, row order (sorted)
    item_ids: np.ndarray  # object array of str, column order
    matrix: sp.csr_matrix  # float32, 1.0 where the user interacted with the item
    rows: np.ndarray  # int32 per input interaction: its matrix row, -1 when dropped
    events_per_user: np.ndarray  # int64 per matrix row: interactions including repeats

    @classmethod
    def build(cls, interactions: pd.DataFrame, item_ids: np.ndarray) -> InteractionMatrix:
        """Binary matrix of ``interactions`` (USER_ID, ITEM_ID) over ``item_ids`` (items outside are dropped)."""
        user_codes, user_ids = sorted_codes(interactions["USER_ID"])
        cols = item_columns(interactions["ITEM_ID"], item_ids)
        keep = (cols >= 0) & (user_codes >= 0)
        present = np.bincount(user_codes[keep], minlength=len(user_ids)) > 0
        compact = np.cumsum(present) - 1  # old user code -> row among the users that keep an interaction
        rows = np.where(keep, compact[np.maximum(user_codes, 0)] if len(compact) else -1, -1).astype(np.int32)
        n_users = int(present.sum())
        matrix = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], cols[keep])),
            shape=(n_users, len(item_ids)),
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        events = np.bincount(rows[keep], minlength=n_users).astype(np.int64)
        return cls(np.asarray(user_ids[present], dtype=object), item_ids, matrix, rows, events)

    def item_user_counts(self) -> np.ndarray:
        """Number of unique users per item (int64)."""
        return np.asarray(self.matrix.getnnz(axis=0), dtype=np.int64)

    def interactions_of(self, users: np.ndarray) -> np.ndarray:
        """Boolean mask over the input interactions: those of the matrix rows where ``users`` (row mask) is true."""
        return (self.rows >= 0) & users[np.maximum(self.rows, 0)]


def item_columns(column: pd.Series, item_ids: np.ndarray) -> np.ndarray:
    """Position in ``item_ids`` of every row of an ITEM_ID ``column`` (-1 for ids outside it or missing)."""
    codes, uniques = pd.factorize(column)
    column_of = item_index(item_ids, id_strings(uniques))
    return np.where(codes >= 0, column_of[np.maximum(codes, 0)] if len(column_of) else -1, -1)


def item_index(item_ids: np.ndarray, wanted: Sequence[str] | np.ndarray) -> np.ndarray:
    """Positions of ``wanted`` in the sorted ``item_ids`` (-1 where absent)."""
    wanted_arr = np.asarray(wanted, dtype=object).astype(str)
    if len(item_ids) == 0 or len(wanted_arr) == 0:
        return np.full(len(wanted_arr), -1, dtype=np.int64)
    pos = np.searchsorted(item_ids.astype(str), wanted_arr)
    pos = np.clip(pos, 0, len(item_ids) - 1)
    found = item_ids[pos] == wanted_arr
    return np.where(found, pos, -1).astype(np.int64)


class ItemLookup:
    """Fast item-id → column lookups for serving (a dict built once per model)."""

    def __init__(self, item_ids: np.ndarray) -> None:
        self._index = {item: i for i, item in enumerate(item_ids.tolist())}

    def get(self, item_id: str) -> int:
        """Column of ``item_id`` or -1."""
        return self._index.get(str(item_id), -1)

    def codes(self, items: Sequence[str]) -> np.ndarray:
        """Columns of the known ``items``, in order, unknown ones dropped."""
        idx = self._index
        return np.fromiter((idx[i] for i in map(str, items) if i in idx), dtype=np.int64)


def popularity_order(counts: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
    """Item positions by descending count, ties broken by item id (item_ids is sorted, so by position)."""
    return np.lexsort((np.arange(len(counts)), -counts.astype(np.float64))).astype(np.int64)


def take_allowed(
    order: np.ndarray, allowed: np.ndarray | None, k: int, exclude: np.ndarray | None = None
) -> np.ndarray:
    """The first ``k`` positions of ``order`` that ``allowed`` permits and that are not in ``exclude``."""
    if k <= 0:
        return order[:0]
    keep = np.ones(len(order), dtype=bool) if allowed is None else allowed[order]
    if exclude is not None and len(exclude):
        keep &= ~np.isin(order, exclude)
    return order[keep][:k]


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``k`` highest ``scores`` among ``allowed`` ones, best first (ties: lower position first)."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    # every item scoring at least the k-th best, so a tie at the cut also breaks by position
    cut = -np.partition(-scores, k - 1)[k - 1] if k < len(scores) else -np.inf
    part = np.flatnonzero(scores >= cut)
    order = np.lexsort((part, -scores[part]))[:k]
    return part[order].astype(np.int64)


#: Rows the batched functions (:func:`top_k_rows`, the log-probabilities of User-Personalization's validation)
#: work on at once: a block of (rows × catalogue) float64 stays in the processor's cache at catalogue sizes.
ROW_BLOCK = 32


def row_blocks(n_rows: int, size: int = ROW_BLOCK) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` rows covering ``0..n_rows``."""
    return (slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size))


def top_k_rows(scores: np.ndarray, k: int) -> list[np.ndarray]:
    """:func:`top_k` of every row of a (rows × items) matrix, the same lists (ties: lower position first).

    Rows with at least ``k`` finite scores (all of them, in validation) are done together, a block of rows at a
    time (:func:`_top_k_full_rows`); other rows go through :func:`top_k` one at a time. Scores must not be NaN.
    """
    n_rows, n_items = scores.shape
    out = [np.empty(0, dtype=np.int64)] * n_rows
    if k <= 0 or n_rows == 0:
        return out
    together = np.isfinite(scores).sum(axis=1) >= k if k < n_items else np.zeros(n_rows, dtype=bool)
    for r in np.flatnonzero(~together).tolist():
        out[r] = top_k(scores[r], k)
    rows = np.flatnonzero(together)
    for block in row_blocks(len(rows)):
        chosen = rows[block]
        full = _top_k_full_rows(scores[chosen[0] : chosen[-1] + 1] if together.all() else scores[chosen], k)
        for r, positions in zip(chosen.tolist(), full, strict=True):
            out[r] = positions
    return out


def _top_k_full_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """(rows × k) positions of the ``k`` best scores per row (``k`` < items, every row with ≥ ``k`` finite).

    Candidates are the scores at or above a lower bound of each row's k-th best: the k-th best of the maxima of
    ``4k`` groups of consecutive items (k distinct items reach it). One max per group replaces a partition of the
    row, and the few candidates, ordered by score then position, hold the first k (ties at the cut included).
    """
    n_items = scores.shape[1]
    groups = min(n_items, 4 * k)
    maxima = np.maximum.reduceat(scores, (np.arange(groups) * n_items) // groups, axis=1)
    bound = np.partition(maxima, groups - k, axis=1)[:, groups - k]
    row, col = np.nonzero(scores >= bound[:, None])
    order = np.lexsort((col, -scores[row, col], row))
    row, col = row[order], col[order]
    starts = np.r_[0, np.flatnonzero(np.diff(row)) + 1]
    rank = np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)]))
    return col[rank < k].reshape(scores.shape[0], k).astype(np.int64)


def unscored(item_ids: np.ndarray, positions: np.ndarray) -> list[Scored]:
    """``positions`` as (item id, None) pairs."""
    return [(item_ids[p], None) for p in positions.tolist()]


def save_model(directory: Path, meta: Mapping[str, object], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``meta`` as JSON and ``arrays`` as one npz (string arrays stored as unicode, no pickle)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MODEL_JSON).write_text(json.dumps(meta, indent=1, sort_keys=True))
    stored = {name: (arr.astype(str) if arr.dtype == object else arr) for name, arr in arrays.items()}
    np.savez(directory / ARRAYS_NPZ, **stored)


def load_model(directory: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read back :func:`save_model`; unicode arrays come back as object arrays of str."""
    meta = json.loads((directory / MODEL_JSON).read_text())
    with np.load(directory / ARRAYS_NPZ, allow_pickle=False) as npz:
        arrays = {name: (npz[name].astype(object) if npz[name].dtype.kind == "U" else npz[name]) for name in npz.files}
    return meta, arrays


def save_sparse(directory: Path, name: str, matrix: sp.csr_matrix) -> None:
    """Write a CSR matrix as ``<name>.npz`` (scipy's format, no pickle)."""
    sp.save_npz(directory / f"{name}.npz", matrix.tocsr())


def load_sparse(directory: Path, name: str) -> sp.csr_matrix:
    """Read a matrix written by :func:`save_sparse`."""
    return sp.load_npz(directory / f"{name}.npz").tocsr()


@contextmanager
def all_cores_blas() -> Iterator[None]:
    """BLAS on every core for one large training product, even in a server that limits BLAS for its requests.

    threadpoolctl's limits are process-wide, so requests served meanwhile may use more BLAS threads until it ends.
    """
    with threadpool_limits(limits=os.cpu_count() or 1, user_api="blas"):
        yield


#: How many of the most-interacted items :func:`gram` treats as a dense block (multiplied with BLAS).
GRAM_DENSE_ITEMS = 3000
#: Users per accumulation step: each step holds its dense head block (rows × GRAM_DENSE_ITEMS float32) and the
#: tail × tail product of its users. On the full-size matrix (58 M ratings) 40k rows peaked at 4.5 GB traced, 10k at
#: 3.7 GB but took ~20% longer (measured on a busy machine); 20k sits between.
GRAM_ROWS_PER_CHUNK = 20_000


def gram(matrix: sp.csr_matrix, dense_items: int = GRAM_DENSE_ITEMS, rows_per_chunk: int = GRAM_ROWS_PER_CHUNK):
    """Dense item × item co-occurrence ``XᵀX`` (float32) of a (users × items) matrix, accumulated over user chunks.

    Interactions concentrate on few items (at full size the 3,000 most-interacted of 16.8k items hold 71% of them),
    so the work is split by item popularity: the popular block's products run as dense BLAS matrix products, the
    long tail's as sparse products, and the mixed block as sparse × dense. On the 58M-rating drop this does the
    same arithmetic as a plain sparse ``XᵀX`` in under half the time, and peak memory stays near two n × n arrays.
    """
    n_items = matrix.shape[1]
    csr = matrix.tocsr().astype(np.float32, copy=False)  # no copy of a float32 CSR input (0.4 GB at full size)
    order = np.argsort(-csr.getnnz(axis=0), kind="stable")
    k = min(dense_items, n_items)
    head = csr[:, order[:k]].tocsr()
    tail = csr[:, order[k:]].tocsr()
    del csr
    permuted = np.zeros((n_items, n_items), dtype=np.float32)
    for start in range(0, head.shape[0], rows_per_chunk):
        dense_head = head[start : start + rows_per_chunk].toarray()
        with all_cores_blas():
            permuted[:k, :k] += dense_head.T @ dense_head
        if k < n_items:
            tail_t = tail[start : start + rows_per_chunk].T.tocsr()
            permuted[k:, :k] += tail_t @ dense_head
            permuted[k:, k:] += (tail_t @ tail_t.T).toarray()
    permuted[:k, k:] = permuted[k:, :k].T
    inverse = np.argsort(order)
    return permuted[np.ix_(inverse, inverse)]


def trim_users(matrix: InteractionMatrix, low_pct: float, high_pct: float) -> np.ndarray:
    """Boolean row mask keeping users whose history length lies within the [low, high] percentiles."""
    lengths = matrix.matrix.getnnz(axis=1)
    if len(lengths) == 0:
        return np.zeros(0, dtype=bool)
    low, high = np.quantile(lengths, [low_pct, high_pct])
    return (lengths >= low) & (lengths <= high)


def sparse_arrays(name: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    """A CSR matrix as plain arrays for :func:`save_model` (``<name>_data``/``_indices``/``_indptr``/``_shape``)."""
    return {
        f"{name}_data": matrix.data,
        f"{name}_indices": matrix.indices,
        f"{name}_indptr": matrix.indptr,
        f"{name}_shape": np.array(matrix.shape),
    }


def sparse_from_arrays(name: str, arrays: Mapping[str, np.ndarray]) -> sp.csr_matrix | None:
    """The matrix :func:`sparse_arrays` stored under ``name`` (None when absent)."""
    if f"{name}_data" not in arrays:
        return None
    return sp.csr_matrix(
        (arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"]),
        shape=tuple(int(x) for x in arrays[f"{name}_shape"]),
    )
