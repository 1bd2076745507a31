"""``aws-similar-items``: related items from co-occurrence and item metadata, so cold items get neighbours too.

AWS (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-similar-items.html): "calculates similarity
based on interactions data and any item metadata you provide ... the co-occurrence of the item in user histories
... and any item metadata similarities"; learned item-ID and item-metadata embeddings (``item_id_hidden_dim``,
``item_metadata_hidden_dim``: 100, [30, 200], HPO only) and ``popularity_discount_factor`` (0.0, [0.0, 1.0], not
tunable); "You can get recommendations for items that are similar to a cold item (an item with fewer than five
interactions)"; an unknown item ID gets popular items; no score; the Users dataset is not used.

Local model (truncated SVD instead of a neural network):

* item-ID embedding: rank-``item_id_hidden_dim`` SVD of the (items × users) interaction matrix with rows scaled to
  unit length, so dot products approximate the co-occurrence cosine;
* metadata embedding: rank-``item_metadata_hidden_dim`` SVD (latent semantic analysis) of the Items dataset's
  one-hot categorical columns next to the TF-IDF of its textual columns;
* ``sim(i, j) = w·cos_id + (1 − w)·cos_metadata`` with ``w = a_i·a_j`` and ``a = n / (n + 5)``, ``n`` an item's
  interaction count: two items with many interactions are compared by behaviour, a cold item (or a cold candidate)
  by metadata — so cold items, even never-interacted ones, get neighbours among all items;
* neighbours are the highest similarities times ``(n_j + 1) ** −popularity_discount_factor``; lists are topped up
  with popular items (served by :class:`~personalize_local.recipes.sims.SimsModel`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from personalize_local.recipes import hyperparameters as hp
from personalize_local.recipes.base import HyperParameter, Recipe, RecipeType, TrainingData
from personalize_local.recipes.building_blocks import InteractionMatrix, item_universe, popularity_order
from personalize_local.recipes.exploration import item_features
from personalize_local.recipes.neighbours import SimilarityBlock, top_neighbours
from personalize_local.recipes.sims import MAX_NEIGHBOURS, SimsModel
from personalize_local.recipes.text import is_textual, item_table, l2_normalise_rows, string_columns, tfidf

#: "a cold item (an item with fewer than five interactions)".
COLD_INTERACTIONS = 5

SIMILAR_ITEMS_HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    HyperParameter("item_id_hidden_dim", "int", "100", 30, 200),
    HyperParameter("item_metadata_hidden_dim", "int", "100", 30, 200),
    HyperParameter("popularity_discount_factor", "float", "0.0", 0.0, 1.0, tunable=False),
)


def embedding(matrix: sp.csr_matrix, dim: int, seed: int) -> np.ndarray:
    """Unit-length rows of a rank-``dim`` truncated SVD ``U·S`` of ``matrix`` (exact below the rank limit)."""
    n_rows, n_cols = matrix.shape
    if matrix.nnz == 0 or min(n_rows, n_cols) < 2:
        return np.zeros((n_rows, 0), dtype=np.float32)
    k = min(dim, min(n_rows, n_cols) - 1)
    if k >= min(n_rows, n_cols) // 2:  # small matrices: a dense SVD is exact and fast
        u, s, _ = np.linalg.svd(matrix.toarray().astype(np.float64), full_matrices=False)
        u, s = u[:, :k], s[:k]
    else:
        v0 = np.random.default_rng(seed).standard_normal(min(n_rows, n_cols))
        u, s, _ = svds(matrix.astype(np.float64), k=k, v0=v0)
    vectors = (u * s).astype(np.float32)
    return np.asarray(l2_normalise_rows(sp.csr_matrix(vectors)).toarray(), dtype=np.float32)


def metadata_matrix(item_ids: np.ndarray, data: TrainingData) -> sp.csr_matrix | None:
    """Row-normalised categorical one-hot columns next to the TF-IDF of the textual columns (None: no metadata)."""
    blocks = []
    categorical = item_features(item_ids, data.items)
    if categorical is not None:
        blocks.append(categorical)
    table = item_table(item_ids, data.items)
    if table is not None:
        blocks += [tfidf(table[c]) for c in string_columns(table) if is_textual(table[c])]
    if not blocks:
        return None
    return l2_normalise_rows(sp.hstack(blocks))


def blended_similarity(
    behaviour: np.ndarray, meta: np.ndarray, share: np.ndarray, discount: np.ndarray
) -> SimilarityBlock:
    """Row blocks of ``(w·cos_id + (1 − w)·cos_meta) · discount_j`` with ``w = share_i · share_j``."""

    def block(start: int, stop: int) -> np.ndarray:
        weight = share[start:stop, None] * share[None, :]
        out = np.zeros(weight.shape, dtype=np.float32)
        if behaviour.shape[1]:
            out += weight * (behaviour[start:stop] @ behaviour.T)
        if meta.shape[1]:
            out += (1.0 - weight) * (meta[start:stop] @ meta.T)
        return out * discount[None, :]

    return block


class SimilarItemsRecipe(Recipe):
    """Items similar by co-occurrence and metadata; cold items by metadata alone."""

    name: ClassVar[str] = "aws-similar-items"
    recipe_type: ClassVar[RecipeType] = "RELATED_ITEMS"
    description: ClassVar[str] = (
        "Computes items similar to a given item based on co-occurrence of items in the user-item interactions "
        "dataset and item metadata in the items dataset."
    )
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = SIMILAR_ITEMS_HYPERPARAMETERS

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> SimsModel:
        """Behaviour and metadata embeddings, blended per item by its interaction count; top neighbours per item."""
        params = hp.typed(type(self), hyperparameters)
        item_ids = item_universe(data)
        full = InteractionMatrix.build(data.interactions, item_ids)
        counts = full.item_user_counts()
        behaviour = embedding(l2_normalise_rows(full.matrix.T), int(params["item_id_hidden_dim"]), seed)
        metadata = metadata_matrix(item_ids, data)
        meta = (
            embedding(metadata, int(params["item_metadata_hidden_dim"]), seed)
            if metadata is not None
            else np.zeros((len(item_ids), 0), dtype=np.float32)
        )
        share = (counts / (counts + COLD_INTERACTIONS)).astype(np.float32)
        discount = np.power(counts + 1.0, -float(params["popularity_discount_factor"])).astype(np.float32)
        similarity = blended_similarity(behaviour, meta, share, discount)
        indptr, neighbours = top_neighbours(len(item_ids), similarity, MAX_NEIGHBOURS)
        return SimsModel(item_ids, indptr, neighbours, popularity_order(counts, item_ids), hyperparameters)

    @classmethod
    def model_class(cls) -> type[SimsModel]:
        """:class:`~personalize_local.recipes.sims.SimsModel` (neighbour lists + popularity fallback)."""
        return SimsModel
