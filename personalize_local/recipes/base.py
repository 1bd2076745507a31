"""The contract between Personalize Local's service layer and its recipes.

The service layer (``personalize_local.models``) owns resources, persistence and the wire protocol. A recipe
only turns a :class:`TrainingData` into a :class:`TrainedModel`, and a trained model only answers the three
questions Personalize's runtime asks: recommend for a user history, relate to an item, rank an input list.
Nothing here knows about HTTP, SQLite or boto3.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

RecipeType = Literal[
    "USER_PERSONALIZATION", "RELATED_ITEMS", "PERSONALIZED_RANKING", "PERSONALIZED_ACTIONS", "USER_SEGMENTATION"
]

# One recommended item: (item id, score). ``score`` is None where Personalize returns no score.
Scored = tuple[str, float | None]


@dataclass(frozen=True)
class TrainingData:
    """What a solution version trains on, assembled by the service layer from the dataset group.

    ``interactions`` has at least the columns USER_ID (str), ITEM_ID (str), TIMESTAMP (int64, epoch seconds);
    EVENT_TYPE (str) and EVENT_VALUE (float, NaN when absent) when the schema has them. It already contains the
    events streamed through PutEvents, and it is already filtered by the solution's ``eventType`` and
    ``eventValueThreshold``. ``items`` (ITEM_ID + metadata columns) and ``users`` (USER_ID + metadata) are None
    when the dataset group has no such dataset.
    """

    interactions: pd.DataFrame
    items: pd.DataFrame | None = None
    users: pd.DataFrame | None = None


@dataclass(frozen=True)
class ExplorationConfig:
    """A campaign's ``itemExplorationConfig`` (User-Personalization only), already parsed from strings."""

    weight: float = 0.3  # explorationWeight, 0..1
    item_age_cutoff_days: float = 30.0  # explorationItemAgeCutOff, counted back from the latest interaction


@dataclass(frozen=True)
class HyperParameter:
    """One hyperparameter as Personalize documents it (name, kind, default, inclusive range)."""

    name: str
    kind: Literal["int", "float", "bool", "str"]
    default: str
    minimum: float | None = None
    maximum: float | None = None
    tunable: bool = True
    #: For ``str`` parameters with a documented list of values (e.g. ``trend_discovery_frequency``): the values.
    choices: tuple[str, ...] = ()


class InvalidHyperParameterError(ValueError):
    """A hyperparameter name or value Personalize would reject; the service maps it to InvalidInputException."""


class TrainedModel(ABC):
    """A trained solution version. Immutable once trained; safe to call from several threads."""

    recipe_type: ClassVar[RecipeType]

    #: The hyperparameters actually used (all of them, defaults filled in), as strings, for DescribeSolutionVersion.
    hyperparameters: Mapping[str, str]

    @property
    @abstractmethod
    def item_ids(self) -> np.ndarray:
        """Every item the model can return (object array of str), in the order of the masks passed in."""

    def recommend(
        self,
        history: Sequence[str],
        num_results: int,
        allowed: np.ndarray | None = None,
        exploration: ExplorationConfig | None = None,
        context: Mapping[str, str] | None = None,
    ) -> list[Scored]:
        """Top ``num_results`` for a user whose interactions, oldest first, are ``history`` (bulk + live events).

        ``allowed`` is a boolean mask over :attr:`item_ids` produced by a filter (None = everything allowed);
        filtering happens before truncation. A user with no history gets popular items. ``exploration`` (campaign
        setting; None = no exploration, as in offline evaluation) mixes in new, little-seen items. ``context`` is
        the request's contextual metadata (e.g. ``{"DEVICE": "mobile"}``); recipes that do not use context on AWS
        ignore it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not serve user recommendations")

    def related(self, item_id: str, num_results: int, allowed: np.ndarray | None = None) -> list[Scored]:
        """Items related to ``item_id`` (RELATED_ITEMS recipes); unknown or too-cold items fall back to popular."""
        raise NotImplementedError(f"{type(self).__name__} does not serve related items")

    def rank(
        self, history: Sequence[str], input_list: Sequence[str], context: Mapping[str, str] | None = None
    ) -> list[Scored]:
        """``input_list`` reordered for the user (and request ``context``); items not in training go last."""
        raise NotImplementedError(f"{type(self).__name__} does not rank")

    def rank_unseen(self, history: Sequence[str], k: int) -> list[str]:
        """The first ``k`` items of :meth:`rank` over every catalogue item not in ``history`` (catalogue order in),
        what ``GetSolutionMetrics`` asks a ranking model for. Recipes may compute it without building the list."""
        seen = set(map(str, history))
        candidates = [item for item in self.item_ids.tolist() if item not in seen]
        return [item for item, _ in self.rank(history, candidates)[:k]]

    def recommend_many(self, histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        """The item ids of :meth:`recommend` ``(history, k)`` (no filter, exploration or context) for each of
        ``histories``, in order: what ``GetSolutionMetrics`` asks a model for. Recipes may compute them together;
        the lists must be the per-history ones. The default asks :meth:`recommend` once per history."""
        return [[item for item, _ in self.recommend(history, k)] for history in histories]

    def rank_unseen_many(self, histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        """:meth:`rank_unseen` ``(history, k)`` for each of ``histories``, in order (recipes may compute them
        together; the lists must be the per-history ones). The default asks :meth:`rank_unseen` once per history."""
        return [self.rank_unseen(history, k) for history in histories]

    def segment(
        self, item_ids: Sequence[str], num_results: int, allowed_users: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """USER_SEGMENTATION recipes: the ``num_results`` users most likely to interact with ``item_ids``, best
        first, with their scores; ``allowed_users`` is a boolean mask over the model's users (None = all)."""
        raise NotImplementedError(f"{type(self).__name__} does not make user segments")

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write the model under ``directory`` (created by the caller)."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path) -> TrainedModel:
        """Read back what :meth:`save` wrote."""


class Recipe(ABC):
    """A Personalize recipe: its identity, its hyperparameters, and how it trains."""

    name: ClassVar[str]  # e.g. "aws-sims"
    #: Recipes with the same (non-None) procedure train identical models from identical inputs (see
    #: ``personalize_local.training_cache``); None means the recipe's own ``name``.
    training_procedure: ClassVar[str | None] = None
    recipe_type: ClassVar[RecipeType]
    description: ClassVar[str]
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = ()

    @abstractmethod
    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> TrainedModel:
        """Train on ``data`` with validated hyperparameters (see :func:`resolve_hyperparameters`)."""

    def train_served(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        seed: int = 0,
        evaluated: TrainedModel | None = None,
    ) -> TrainedModel:
        """The model a solution version serves, trained on all of ``data``.

        ``evaluated`` is the model the version's offline metrics were computed with (this recipe, the same
        hyperparameters and seed, trained on the evaluation's training users), which a recipe may start from
        instead of training from scratch. The default trains from scratch (:meth:`train`).
        """
        return self.train(data, hyperparameters, seed)

    @classmethod
    @abstractmethod
    def model_class(cls) -> type[TrainedModel]:
        """The :class:`TrainedModel` subclass this recipe produces (used to load saved models)."""


@dataclass
class SolutionConfigView:
    """The parts of ``solutionConfig`` a recipe reads, flattened (both hyperparameter maps merged)."""

    algorithm_hyperparameters: dict[str, str] = field(default_factory=dict)
    feature_transformation_parameters: dict[str, str] = field(default_factory=dict)
