"""``aws-semantic-similarity``: related items by the similarity of their text.

AWS (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-semantic-similarity.html): "analyzes the
textual descriptions and attributes of items to generate embeddings and identify semantically similar items";
requires an Items dataset with an ``itemName`` field and at least one ``textual`` field (the description); the
Interactions dataset is optional (popularity ranking, filters); no exposed hyperparameters — popularity and
freshness factors (0.0, [0.0, 1.0]) are campaign settings; trains on up to 10 million items; recipe type
RELATED_ITEMS; feature transformation ``arn:aws:personalize:::feature-transformation/aws-semantic-similarity``.

Local model: AWS uses a (not published) neural text-embedding model; here the textual columns of the Items
dataset (for anime, the synopsis) are TF-IDF vectors (:mod:`~personalize_local.recipes.text`) and neighbours are the
highest cosine similarities. Items without text have no neighbours; their lists — and those of unknown items — are
popular items. The campaign's popularity/freshness factors are not implemented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import scipy.sparse as sp

from personalize_local.recipes.base import HyperParameter, Recipe, RecipeType, TrainingData
from personalize_local.recipes.building_blocks import InteractionMatrix, item_universe, popularity_order
from personalize_local.recipes.neighbours import dot_block, top_neighbours
from personalize_local.recipes.sims import MAX_NEIGHBOURS, SimsModel
from personalize_local.recipes.text import is_textual, item_table, l2_normalise_rows, string_columns, tfidf


class MissingTextError(ValueError):
    """The Items dataset has no textual column (AWS requires one for this recipe)."""


def text_vectors(item_ids, data: TrainingData) -> sp.csr_matrix:
    """Unit-length TF-IDF rows of the items' textual columns (several columns: their vectors side by side)."""
    table = item_table(item_ids, data.items)
    columns = [c for c in string_columns(table) if is_textual(table[c])] if table is not None else []
    if not columns:
        raise MissingTextError(
            "aws-semantic-similarity needs an Items dataset with a textual field (e.g. a description)"
        )
    return l2_normalise_rows(sp.hstack([tfidf(table[c]) for c in columns]))


class SemanticSimilarityRecipe(Recipe):
    """Items whose text is most similar (TF-IDF cosine), popular items as fallback."""

    name: ClassVar[str] = "aws-semantic-similarity"
    recipe_type: ClassVar[RecipeType] = "RELATED_ITEMS"
    description: ClassVar[str] = (
        "Generates recommendations for items that are semantically similar to a given item based on textual content."
    )
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = ()

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> SimsModel:
        """TF-IDF of the textual columns, top cosine neighbours per item."""
        item_ids = item_universe(data)
        vectors = text_vectors(item_ids, data)
        indptr, neighbours = top_neighbours(len(item_ids), dot_block(vectors), MAX_NEIGHBOURS)
        counts = InteractionMatrix.build(data.interactions, item_ids).item_user_counts()
        return SimsModel(item_ids, indptr, neighbours, popularity_order(counts, item_ids), hyperparameters)

    @classmethod
    def model_class(cls) -> type[SimsModel]:
        """:class:`~personalize_local.recipes.sims.SimsModel` (neighbour lists + popularity fallback)."""
        return SimsModel
