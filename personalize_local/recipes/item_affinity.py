"""``aws-item-affinity``: a USER_SEGMENTATION recipe — for an item, the users most likely to interact with it
(https://docs.aws.amazon.com/personalize/latest/dg/item-affinity-recipe.html).

The model is the iALS candidate of User-Personalization (:class:`~personalize_local.recipes.user_personalization.
Candidate`, its first ``IALS_SETTINGS`` row) with ``hidden_dimension`` factors, fitted on every user's interactions;
every training user is folded in once, and a user's affinity to an item is the dot product of their factors. A
segment is the training users sorted by that affinity (descending, as AWS sorts a segment by the probability of
interacting: https://docs.aws.amazon.com/personalize/latest/dg/user-segmentation-recipes.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from personalize_local.recipes import hyperparameters as hp
from personalize_local.recipes.algorithms import IalsCore
from personalize_local.recipes.base import HyperParameter, Recipe, RecipeType, TrainedModel, TrainingData
from personalize_local.recipes.building_blocks import InteractionMatrix, item_universe, load_model, save_model, top_k
from personalize_local.recipes.user_personalization import IALS_SETTINGS, Candidate

#: "hidden_dimension", default 149, range [32, 256], not tunable by HPO
#: (https://docs.aws.amazon.com/personalize/latest/dg/item-affinity-recipe.html).
SEGMENTATION_HYPERPARAMETERS = (HyperParameter("hidden_dimension", "int", "149", 32, 256, tunable=False),)


class UnknownItemError(KeyError):
    """An item the model has no interactions for (its message names the item)."""


class ItemAffinityModel(TrainedModel):
    """User and item factors; segments are users sorted by their affinity to one or several items."""

    recipe_type: ClassVar[RecipeType] = "USER_SEGMENTATION"

    def __init__(
        self,
        item_ids: np.ndarray,
        user_ids: np.ndarray,
        item_factors: np.ndarray,
        user_factors: np.ndarray,
        hyperparameters: Mapping[str, str],
    ) -> None:
        self._item_ids = np.asarray(item_ids, dtype=object)
        self.user_ids = np.asarray(user_ids, dtype=object)
        self.item_factors = np.asarray(item_factors, dtype=np.float32)
        self.user_factors = np.asarray(user_factors, dtype=np.float32)
        self.hyperparameters = dict(hyperparameters)
        self._positions = {item: i for i, item in enumerate(self._item_ids.tolist())}

    @property
    def item_ids(self) -> np.ndarray:
        """Every item the model knows (object array of str)."""
        return self._item_ids

    def segment(
        self, item_ids: Sequence[str], num_results: int, allowed_users: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The ``num_results`` users with the highest mean affinity to ``item_ids``, best first, with that affinity.

        ``allowed_users`` is a boolean mask over :attr:`user_ids` (a filter; None = every user).
        UnknownItemError when an item has no training interactions.
        """
        positions = []
        for item in item_ids:
            if item not in self._positions:
                raise UnknownItemError(f"Item {item} has no interactions in the solution version's training data")
            positions.append(self._positions[item])
        if not positions:
            raise UnknownItemError("No item given")
        query = self.item_factors[positions].mean(axis=0)
        scores = self.user_factors @ query
        best = top_k(scores, num_results, allowed_users)
        return [(self.user_ids[i], float(scores[i])) for i in best.tolist()]

    def save(self, directory: Path) -> None:
        """Ids, factors and hyperparameters."""
        arrays = {
            "item_ids": self._item_ids,
            "user_ids": self.user_ids,
            "item_factors": self.item_factors,
            "user_factors": self.user_factors,
        }
        save_model(directory, {"hyperparameters": self.hyperparameters}, arrays)

    @classmethod
    def load(cls, directory: Path) -> ItemAffinityModel:
        """Read back :meth:`save`."""
        meta, arrays = load_model(directory)
        return cls(
            arrays["item_ids"],
            arrays["user_ids"],
            arrays["item_factors"],
            arrays["user_factors"],
            meta["hyperparameters"],
        )


class ItemAffinityRecipe(Recipe):
    """User segments for items."""

    name: ClassVar[str] = "aws-item-affinity"
    recipe_type: ClassVar[RecipeType] = "USER_SEGMENTATION"
    description: ClassVar[str] = "Creates a user segment for each item: the users most likely to interact with it."
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = SEGMENTATION_HYPERPARAMETERS

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> ItemAffinityModel:
        """Fit iALS on all interactions and fold every user in."""
        params = hp.typed(type(self), hyperparameters)
        item_ids = item_universe(data)
        full = InteractionMatrix.build(data.interactions, item_ids)
        regularization, alpha, iterations = IALS_SETTINGS[0]
        factors = int(params["hidden_dimension"])
        candidate = Candidate(
            "ials", factors=factors, regularization=regularization, alpha=alpha, iterations=iterations
        )
        core = candidate.fit(full.matrix, seed)
        assert isinstance(core, IalsCore)
        user_factors = core.model.recalculate_user(np.arange(full.matrix.shape[0]), full.matrix.astype(np.float32))
        used = {**{k: str(v) for k, v in params.items()}, **candidate.describe()}
        return ItemAffinityModel(item_ids, full.user_ids, core.model.item_factors, np.asarray(user_factors), used)

    @classmethod
    def model_class(cls) -> type[ItemAffinityModel]:
        """:class:`ItemAffinityModel`."""
        return ItemAffinityModel
