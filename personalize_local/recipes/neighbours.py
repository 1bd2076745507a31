"""Top-k neighbours of every item from a similarity computed in row chunks (never the full n × n at once)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

ROWS_PER_CHUNK = 1024

#: ``similarity(start, stop)`` → dense float32 (stop − start, n) similarities of rows start..stop to every item.
SimilarityBlock = Callable[[int, int], np.ndarray]


def dot_block(vectors: np.ndarray | sp.csr_matrix) -> SimilarityBlock:
    """Row-chunk dot products of ``vectors`` (cosines when the rows are L2-normalised), dense or sparse."""
    transposed = vectors.T.tocsr() if sp.issparse(vectors) else np.ascontiguousarray(vectors.T)

    def block(start: int, stop: int) -> np.ndarray:
        product = vectors[start:stop] @ transposed
        return (product.toarray() if sp.issparse(product) else np.asarray(product)).astype(np.float32)

    return block


def top_neighbours(n: int, similarity: SimilarityBlock, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per item, the ``k`` items with the highest positive similarity, best first, as CSR ``(indptr, indices)``.

    The item itself is excluded; ties go to the lower position.
    """
    lists: list[np.ndarray] = []
    kk = min(k, n)
    for start in range(0, n, ROWS_PER_CHUNK):
        sim = similarity(start, min(n, start + ROWS_PER_CHUNK))
        rows = np.arange(len(sim))
        sim[rows, start + rows] = 0.0
        part = np.argpartition(-sim, kk - 1, axis=1)[:, :kk] if 0 < kk < n else np.tile(np.arange(n), (len(sim), 1))
        for r in rows:
            candidates = part[r][sim[r, part[r]] > 0]
            lists.append(candidates[np.lexsort((candidates, -sim[r, candidates]))].astype(np.int32))
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(x) for x in lists])
    indices = np.concatenate(lists) if lists else np.empty(0, dtype=np.int32)
    return indptr, indices
