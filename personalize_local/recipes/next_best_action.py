"""``aws-next-best-action``: for a user, each action's propensity — the probability that the user takes it.

AWS documents the recipe as predicting "the actions a user is most likely to take", with a score per action that is
the propensity of the user to take it, learned from the Action interactions dataset whose event types are ``Taken``,
``Not taken`` and ``Viewed`` (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-next-best-action.html,
https://docs.aws.amazon.com/personalize/latest/dg/action-interactions-datasets.html). The engine sees action
interactions as ordinary interactions with the action in ``ITEM_ID`` (the service layer renames ``ACTION_ID``).

The model is an empirical-Bayes conditional propensity:

- an action's base propensity is the share of its exposed users who took it, ``p(a) = (took(a) + 1) / (exposed(a) +
  2)`` (a user is exposed by any event on the action; an event whose type is neither ``Not taken`` nor ``Viewed``
  counts as taken, so plain interaction data works too);
- a user's history (the actions they took) moves it towards how often takers of those actions took ``a``:
  ``score(a | H) = (k · p(a) + Σ_{b∈H} both(a, b)) / (k + Σ_{b∈H} took(b))``, ``k`` = ``prior_strength``.

Scores are in [0, 1]; actions come highest propensity first."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

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
    ItemLookup,
    item_columns,
    item_universe,
    load_model,
    save_model,
    top_k,
)

NOT_TAKEN_EVENTS = frozenset({"NOTTAKEN", "VIEWED"})  # "Not taken" / "NOT_TAKEN" / "Viewed", any case


def event_kind(event_type: object) -> str:
    """``TAKEN``, ``NOTTAKEN`` or ``VIEWED`` of a raw event type (spaces, underscores and case ignored)."""
    key = re.sub(r"[^A-Za-z]", "", str(event_type)).upper() if isinstance(event_type, str) else "TAKEN"
    return key if key in NOT_TAKEN_EVENTS else "TAKEN"


class NextBestActionModel(TrainedModel):
    """Base propensities and co-take counts over a fixed action universe."""

    recipe_type: ClassVar[RecipeType] = "PERSONALIZED_ACTIONS"

    def __init__(
        self,
        action_ids: np.ndarray,
        base: np.ndarray,
        takers: np.ndarray,
        both: np.ndarray,
        hyperparameters: Mapping[str, str],
    ) -> None:
        self._item_ids = action_ids
        self.base = base
        self.takers = takers
        self.both = both
        self.lookup = ItemLookup(action_ids)
        self.hyperparameters = dict(hyperparameters)

    @property
    def item_ids(self) -> np.ndarray:
        """Every action (sorted ids), in mask order."""
        return self._item_ids

    def propensities(self, history: Sequence[str]) -> np.ndarray:
        """The propensity of every action for a user who took the actions of ``history``."""
        strength = float(self.hyperparameters.get("prior_strength", "5"))
        codes = self.lookup.codes(list(dict.fromkeys(history)))
        together = self.both[codes].sum(axis=0) if len(codes) else np.zeros(len(self.base))
        return (strength * self.base + together) / (strength + self.takers[codes].sum())

    def recommend(
        self,
        history: Sequence[str],
        num_results: int,
        allowed: np.ndarray | None = None,
        exploration: ExplorationConfig | None = None,
        context: Mapping[str, str] | None = None,
    ) -> list[Scored]:
        """The allowed actions by propensity, highest first, with the propensity as the score."""
        scores = self.propensities(history)
        order = top_k(scores, num_results, allowed)
        return [(str(self._item_ids[i]), round(float(scores[i]), 6)) for i in order]

    def save(self, directory: Path) -> None:
        """Write ids, propensities and co-take counts."""
        save_model(
            directory,
            {"kind": "next-best-action", "hyperparameters": self.hyperparameters},
            {"item_ids": self._item_ids, "base": self.base, "takers": self.takers, "both": self.both},
        )

    @classmethod
    def load(cls, directory: Path) -> NextBestActionModel:
        """Read back :meth:`save`."""
        meta, arrays = load_model(directory)
        return cls(arrays["item_ids"], arrays["base"], arrays["takers"], arrays["both"], meta["hyperparameters"])


class NextBestActionRecipe(Recipe):
    """Each action's propensity for the user (Next-Best-Action)."""

    name: ClassVar[str] = "aws-next-best-action"
    recipe_type: ClassVar[RecipeType] = "PERSONALIZED_ACTIONS"
    description: ClassVar[str] = "Recommends the actions each user is most likely to take, with their propensity."
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = (
        HyperParameter("prior_strength", "float", "5", 0.1, 1000.0),
    )

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> NextBestActionModel:
        """Count exposed users, takers and co-takers of every action."""
        action_ids = item_universe(data)
        frame = data.interactions[["USER_ID", "ITEM_ID"]].copy()
        frame["taken"] = (
            data.interactions["EVENT_TYPE"].map(event_kind).eq("TAKEN")
            if "EVENT_TYPE" in data.interactions.columns
            else True
        )
        frame["col"] = item_columns(frame["ITEM_ID"], action_ids)
        frame = frame[frame["col"] >= 0]
        users, rows = np.unique(frame["USER_ID"].astype(str).to_numpy(), return_inverse=True)
        shape = (len(users), len(action_ids))
        exposed = _binary(rows, frame["col"].to_numpy(), shape)
        taken_rows = frame["taken"].to_numpy(dtype=bool)
        took = _binary(rows[taken_rows], frame["col"].to_numpy()[taken_rows], shape)
        exposed_count = np.asarray(exposed.sum(axis=0)).ravel()
        takers = np.asarray(took.sum(axis=0)).ravel()
        base = (takers + 1.0) / (exposed_count + 2.0)
        both = (took.T @ took).toarray().astype(np.float64)
        np.fill_diagonal(both, takers)
        return NextBestActionModel(action_ids, base, takers.astype(np.float64), both, hyperparameters)

    @classmethod
    def model_class(cls) -> type[NextBestActionModel]:
        """:class:`NextBestActionModel`."""
        return NextBestActionModel


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=shape)
    matrix.data[:] = 1.0  # duplicates collapse to one
    return matrix
