"""``aws-popularity-count``: items ranked by the number of unique users who interacted with them; no score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from personalize_local.recipes.base import (
    ExplorationConfig,
    HyperParameter,
    Recipe,
    RecipeType,
    Scored,
    TrainedModel,
    TrainingData,
)
from personalize_local.recipes.building_blocks import (
    InteractionMatrix,
    item_universe,
    load_model,
    popularity_order,
    save_model,
    take_allowed,
    unscored,
)


class PopularityModel(TrainedModel):
    """The same list for everyone: items by unique-user count (ties by item id), items never seen last."""

    recipe_type: ClassVar[RecipeType] = "USER_PERSONALIZATION"

    def __init__(self, item_ids: np.ndarray, counts: np.ndarray, hyperparameters: Mapping[str, str]) -> None:
        self._item_ids = item_ids
        self.counts = counts
        self.order = popularity_order(counts, item_ids)
        self.hyperparameters = dict(hyperparameters)

    @property
    def item_ids(self) -> np.ndarray:
        """Every item (sorted ids), in mask order."""
        return self._item_ids

    def recommend(
        self,
        history: Sequence[str],
        num_results: int,
        allowed: np.ndarray | None = None,
        exploration: ExplorationConfig | None = None,
        context: Mapping[str, str] | None = None,
    ) -> list[Scored]:
        """The most popular allowed items; history, exploration and context do not change the list (as on AWS)."""
        return unscored(self._item_ids, take_allowed(self.order, allowed, num_results))

    def recommend_many(self, histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        """:meth:`recommend`'s list, computed once, for every history (a copy each)."""
        top = self._item_ids[take_allowed(self.order, None, k)].tolist()
        return [list(top) for _ in histories]

    def save(self, directory: Path) -> None:
        """Write ids and counts."""
        save_model(
            directory,
            {"kind": "popularity", "hyperparameters": self.hyperparameters},
            {"item_ids": self._item_ids, "counts": self.counts},
        )

    @classmethod
    def load(cls, directory: Path) -> PopularityModel:
        """Read back :meth:`save`."""
        meta, arrays = load_model(directory)
        return cls(arrays["item_ids"], arrays["counts"], meta["hyperparameters"])


class PopularityCountRecipe(Recipe):
    """Most popular items (unique users per item); the same list for every user."""

    name: ClassVar[str] = "aws-popularity-count"
    recipe_type: ClassVar[RecipeType] = "USER_PERSONALIZATION"
    description: ClassVar[str] = "Calculates popularity of items based on total number of events for each item."
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = ()

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> PopularityModel:
        """Count unique users per item over all interactions."""
        item_ids = item_universe(data)
        counts = InteractionMatrix.build(data.interactions, item_ids).item_user_counts()
        return PopularityModel(item_ids, counts, hyperparameters)

    @classmethod
    def model_class(cls) -> type[PopularityModel]:
        """:class:`PopularityModel`."""
        return PopularityModel
