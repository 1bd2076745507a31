"""``aws-user-personalization-v2`` and ``aws-personalized-ranking-v2``.

What AWS documents (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-user-personalization-v2.html,
https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-personalized-ranking-v2.html): a transformer over
the user's interaction sequence; one hyperparameter, ``apply_recency_bias`` (boolean, default true, not tunable:
"give more weight to the most recent item interactions data"); up to 5 million items and 3 billion interactions
(v1: 750,000 items); exploration is handled by Personalize (no campaign exploration settings to tune); scores are a
softmax over the scored subset, and Personalized-Ranking-v2 returns items without interactions data without a score.

Local model: the User-Personalization training (EASE / iALS chosen on held-out training users, softmax
calibration, context lifts, and the sequence components of :mod:`~personalize_local.recipes.sequence` — next-item
transitions and the late-interaction lift — weighted on the same validation users) with v1's default
hyperparameters. ``apply_recency_bias`` turns the recency weighting of the history on (it is then validated like
v1's ``recency_mask``); with it true (the default) a v2 model equals the v1 model trained with its defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from personalize_local.recipes import hyperparameters as hp
from personalize_local.recipes.base import HyperParameter, RecipeType, TrainedModel, TrainingData
from personalize_local.recipes.building_blocks import item_universe
from personalize_local.recipes.user_personalization import (
    PersonalizedRankingModel,
    UserPersonalizationModel,
    UserPersonalizationRecipe,
)

V2_HYPERPARAMETERS: tuple[HyperParameter, ...] = (HyperParameter("apply_recency_bias", "bool", "true", tunable=False),)
#: "It can consider up to 5 million items" (v1: 750,000), from the v1 recipe pages' notes on v2.
MAX_ITEMS_V2 = 5_000_000
#: The HRNN defaults v2 trains with locally (v2 exposes none of them).
_V1_DEFAULTS = {spec.name: spec.default for spec in UserPersonalizationRecipe.hyperparameters}


class TooManyItemsError(ValueError):
    """More items than the recipe can train on (AWS fails the solution version)."""


def check_item_limit(data: TrainingData, limit: int) -> None:
    """Raise :class:`TooManyItemsError` when Interactions ∪ Items hold more than ``limit`` distinct items."""
    items = len(item_universe(data))
    if items > limit:
        raise TooManyItemsError(f"Too many items for this recipe: {items}, at most {limit}")


class UserPersonalizationV2Model(UserPersonalizationModel):
    """The v1 model, served under the v2 recipe."""


class PersonalizedRankingV2Model(PersonalizedRankingModel):
    """Served through GetPersonalizedRanking; items without interactions data come last without a score."""

    untrained_rank_score: ClassVar[float | None] = None


class UserPersonalizationV2Recipe(UserPersonalizationRecipe):
    """Sequence-aware personalised recommendations (transformer on AWS; EASE / iALS + sequence components here)."""

    name: ClassVar[str] = "aws-user-personalization-v2"
    training_procedure: ClassVar[str | None] = "user-personalization-v2"  # aws-personalized-ranking-v2 inherits it
    recipe_type: ClassVar[RecipeType] = "USER_PERSONALIZATION"
    description: ClassVar[str] = (
        "Predicts items a user will interact with from the sequence of their interactions; trains on up to "
        "5 million items."
    )
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = V2_HYPERPARAMETERS
    sequence_aware: ClassVar[bool] = True

    @classmethod
    def typed_parameters(cls, hyperparameters: Mapping[str, str]) -> dict[str, int | float | bool | str]:
        """v1's defaults with ``recency_mask`` = ``apply_recency_bias``."""
        own = hp.typed(cls, hyperparameters)
        params = hp.typed(UserPersonalizationRecipe, _V1_DEFAULTS)
        params["recency_mask"] = bool(own["apply_recency_bias"])
        return params

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> UserPersonalizationModel:
        """Check the 5M item limit, then train as User-Personalization."""
        check_item_limit(data, MAX_ITEMS_V2)
        return super().train(data, hyperparameters, seed)

    def train_served(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        seed: int = 0,
        evaluated: TrainedModel | None = None,
    ) -> UserPersonalizationModel:
        """Check the 5M item limit, then as User-Personalization (from the evaluation model when given)."""
        check_item_limit(data, MAX_ITEMS_V2)
        return super().train_served(data, hyperparameters, seed, evaluated)

    @classmethod
    def model_class(cls) -> type[UserPersonalizationModel]:
        """:class:`UserPersonalizationV2Model`."""
        return UserPersonalizationV2Model


class PersonalizedRankingV2Recipe(UserPersonalizationV2Recipe):
    """Reorders a list of items for a user with the v2 model."""

    name: ClassVar[str] = "aws-personalized-ranking-v2"
    recipe_type: ClassVar[RecipeType] = "PERSONALIZED_RANKING"
    description: ClassVar[str] = "Reranks an input list of items for a given user; trains on up to 5 million items."

    @classmethod
    def model_class(cls) -> type[UserPersonalizationModel]:
        """:class:`PersonalizedRankingV2Model`."""
        return PersonalizedRankingV2Model
