"""The co-occurrence (Gram) matrix SIMS and EASE are fitted from: equal to ``XᵀX`` however it is split."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from personalize_local.recipes.building_blocks import gram


@given(
    users=st.integers(min_value=1, max_value=60),
    items=st.integers(min_value=1, max_value=40),
    density=st.floats(min_value=0.0, max_value=0.6),
    dense_items=st.integers(min_value=0, max_value=45),
    rows_per_chunk=st.integers(min_value=1, max_value=70),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_gram_is_xtx_for_any_dense_head_and_chunking(
    users: int, items: int, density: float, dense_items: int, rows_per_chunk: int, seed: int
) -> None:
    """The popular block (dense BLAS), the tail (sparse) and the mixed block, put back in catalogue order, give
    exactly the plain sparse product (binary input: integer counts, exact in float32)."""
    x = sp.random(users, items, density=density, random_state=seed, format="csr", dtype=np.float32)
    x.data[:] = 1.0
    result = gram(x, dense_items=dense_items, rows_per_chunk=rows_per_chunk)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, (x.T @ x).toarray())
