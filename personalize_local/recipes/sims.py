"""``aws-sims``: item-to-item co-occurrence over user histories (no metadata, no score).

Training (AWS's formula is not published; this is the emulation the reference suggests):

1. Users whose history length lies outside the [min, max]_user_history_length_percentile band are left out.
2. Items whose unique-user count is below the min_item_interaction_count_percentile are *too cold*: a request
   for them falls back to popular items, and they are never recommended as related.
   ``max_item_interaction_count_percentile`` is accepted and validated but trims nothing: removing the items above
   it (or capping their counts) cut NDCG@10 five- to eightfold on the demo data, AWS documents no formula, and the
   popularity discount already keeps the most popular titles from crowding every list.
3. ``C[i, j]`` = users who interacted with both i and j; pairs with ``C < min_cointeraction_count`` are dropped;
   ``sim(i, j) = C[i, j] / n_j ** popularity_discount_factor`` (0 → popular neighbours, 1 → lift-like).
4. The best :data:`MAX_NEIGHBOURS` neighbours per item are stored; a request returns the allowed ones in order and
   fills the rest of ``numResults`` with popular allowed items (unknown / too-cold items get popular items only).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np

from personalize_local.recipes import hyperparameters as hp
from personalize_local.recipes.base import (
    HyperParameter,
    Recipe,
    RecipeType,
    Scored,
    TrainedModel,
    TrainingData,
)
from personalize_local.recipes.building_blocks import (
    InteractionMatrix,
    ItemLookup,
    gram,
    item_universe,
    load_model,
    popularity_order,
    save_model,
    take_allowed,
    trim_users,
    unscored,
)

MAX_NEIGHBOURS = 500  # GetRecommendations returns at most 500 items
_ROWS_PER_CHUNK = 1024

SIMS_HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    HyperParameter("popularity_discount_factor", "float", "0.5", 0.0, 1.0),
    HyperParameter("min_cointeraction_count", "int", "3", 0, 10),
    HyperParameter("min_user_history_length_percentile", "float", "0.005", 0.0, 1.0, tunable=False),
    HyperParameter("max_user_history_length_percentile", "float", "0.995", 0.0, 1.0, tunable=False),
    HyperParameter("min_item_interaction_count_percentile", "float", "0.01", 0.0, 1.0, tunable=False),
    HyperParameter("max_item_interaction_count_percentile", "float", "0.9", 0.0, 1.0, tunable=False),
)


class SimsModel(TrainedModel):
    """Per-item neighbour lists (CSR layout, best first) plus a popularity fallback."""

    recipe_type: ClassVar[RecipeType] = "RELATED_ITEMS"

    def __init__(
        self,
        item_ids: np.ndarray,
        indptr: np.ndarray,
        neighbours: np.ndarray,
        popularity: np.ndarray,
        hyperparameters: Mapping[str, str],
    ) -> None:
        self._item_ids = item_ids
        self.indptr = indptr
        self.neighbours = neighbours
        self.popularity = popularity
        self.hyperparameters = dict(hyperparameters)
        self._lookup = ItemLookup(item_ids)

    @property
    def item_ids(self) -> np.ndarray:
        """Every item (sorted ids), in mask order."""
        return self._item_ids

    def neighbours_of(self, item_id: str) -> np.ndarray:
        """Positions of the stored neighbours of ``item_id``, best first (empty when unknown or too cold)."""
        i = self._lookup.get(item_id)
        if i < 0:
            return self.neighbours[:0]
        return self.neighbours[self.indptr[i] : self.indptr[i + 1]]

    def related(self, item_id: str, num_results: int, allowed: np.ndarray | None = None) -> list[Scored]:
        """Co-occurring items of ``item_id`` (allowed ones, best first), topped up with popular items; no score."""
        own = self._lookup.get(item_id)
        exclude = np.array([own], dtype=np.int64) if own >= 0 else np.empty(0, dtype=np.int64)
        picked = take_allowed(self.neighbours_of(item_id), allowed, num_results)
        if len(picked) < num_results:
            fill = take_allowed(self.popularity, allowed, num_results - len(picked), np.concatenate([exclude, picked]))
            picked = np.concatenate([picked, fill])
        return unscored(self._item_ids, picked)

    def save(self, directory: Path) -> None:
        """Write the neighbour lists and the popularity order."""
        save_model(
            directory,
            {"kind": "sims", "hyperparameters": self.hyperparameters},
            {
                "item_ids": self._item_ids,
                "indptr": self.indptr,
                "neighbours": self.neighbours,
                "popularity": self.popularity,
            },
        )

    @classmethod
    def load(cls, directory: Path) -> SimsModel:
        """Read back :meth:`save`."""
        meta, a = load_model(directory)
        return cls(a["item_ids"], a["indptr"], a["neighbours"], a["popularity"], meta["hyperparameters"])


def neighbour_lists(
    cooccurrence: np.ndarray,
    query_ok: np.ndarray,
    candidate_ok: np.ndarray,
    counts: np.ndarray,
    discount: float,
    min_count: int,
    k: int = MAX_NEIGHBOURS,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` neighbours per item from a dense co-occurrence matrix, as (indptr, indices) best first."""
    n = cooccurrence.shape[0]
    weight = np.where(candidate_ok & (counts > 0), np.power(np.maximum(counts, 1), -discount), 0.0).astype(np.float32)
    threshold = max(min_count, 1)
    lists: list[np.ndarray] = []
    for start in range(0, n, _ROWS_PER_CHUNK):
        block = cooccurrence[start : start + _ROWS_PER_CHUNK]
        sim = np.where(block >= threshold, block * weight, 0.0)
        rows = np.arange(start, start + len(block))
        sim[np.arange(len(block)), rows] = 0.0
        sim[~query_ok[rows]] = 0.0
        kk = min(k, n)
        part = np.argpartition(-sim, kk - 1, axis=1)[:, :kk] if kk < n else np.tile(np.arange(n), (len(block), 1))
        for r in range(len(block)):
            cand = part[r][sim[r, part[r]] > 0]
            order = np.lexsort((cand, -sim[r, cand]))
            lists.append(cand[order].astype(np.int32))
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(x) for x in lists])
    indices = np.concatenate(lists) if lists else np.empty(0, dtype=np.int32)
    return indptr, indices


class SimsRecipe(Recipe):
    """Items frequently interacted with by the same users, discounted by popularity."""

    name: ClassVar[str] = "aws-sims"
    recipe_type: ClassVar[RecipeType] = "RELATED_ITEMS"
    description: ClassVar[str] = (
        "Computes items similar to a given item based on co-occurrence of items in the user-item interactions dataset."
    )
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = SIMS_HYPERPARAMETERS

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> SimsModel:
        """Co-occurrence counts over trimmed users, popularity-discounted, top neighbours per item."""
        params = hp.typed(type(self), hyperparameters)
        item_ids = item_universe(data)
        full = InteractionMatrix.build(data.interactions, item_ids)
        popularity = popularity_order(full.item_user_counts(), item_ids)
        keep_users = trim_users(
            full,
            float(params["min_user_history_length_percentile"]),
            float(params["max_user_history_length_percentile"]),
        )
        matrix = full.matrix[keep_users]
        del full  # its matrix and per-interaction rows (0.6 GB at full size) are not needed below
        counts = np.asarray(matrix.getnnz(axis=0), dtype=np.int64)
        seen = counts > 0
        low = np.quantile(counts[seen], float(params["min_item_interaction_count_percentile"])) if seen.any() else 0
        query_ok = seen & (counts >= low)
        active = np.flatnonzero(query_ok)  # only these take part: the Gram matrix is (active × active)
        matrix = matrix.tocsc()[:, active].tocsr()  # the trimmed matrix is dropped before the Gram matrix is built
        local_indptr, local_neighbours = neighbour_lists(
            gram(matrix),
            np.ones(len(active), dtype=bool),
            np.ones(len(active), dtype=bool),
            counts[active],
            float(params["popularity_discount_factor"]),
            int(params["min_cointeraction_count"]),
        )
        lengths = np.zeros(len(item_ids), dtype=np.int64)
        lengths[active] = np.diff(local_indptr)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        neighbours = active[local_neighbours].astype(np.int32)
        return SimsModel(item_ids, indptr, neighbours, popularity, hyperparameters)

    @classmethod
    def model_class(cls) -> type[SimsModel]:
        """:class:`SimsModel`."""
        return SimsModel
