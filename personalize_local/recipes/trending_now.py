"""``aws-trending-now``: the items whose interactions rise fastest.

AWS (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-trending-now.html): "identifies the top
trending items by calculating the increase in interactions that each item has over configurable intervals of
time. The items with highest rate of increase are considered trending items"; the interval is the feature
transformation parameter ``trend_discovery_frequency`` (``30 minutes``, ``1 hour``, ``2 hours``, ``3 hours`` or
``1 day``; default ``2 hours``); "If you import zero interactions over the last two intervals, Amazon Personalize
recommends only popular items instead of trending items"; Items and Users datasets are used only for filters;
``userId`` is needed only by filters; algorithm ARN ``arn:aws:personalize:::algorithm/aws-trending-now-custom``.

Local model: "now" is the latest interaction in the training data. ``c_last`` counts each item's interactions in
the last interval, ``c_prev`` in the one before; items with ``c_last − c_prev > 0`` are trending, the largest
increase first (ties: more recent interactions, then item id). The remaining items follow by unique users (as
``aws-popularity-count``). The same list for everyone; no score. AWS refreshes the list every two hours from new
interactions without retraining; here it changes with a new solution version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd

from personalize_local.recipes import hyperparameters as hp
from personalize_local.recipes.base import HyperParameter, Recipe, RecipeType, TrainingData
from personalize_local.recipes.building_blocks import InteractionMatrix, item_columns, item_universe
from personalize_local.recipes.popularity import PopularityModel

FREQUENCIES: dict[str, int] = {"30 minutes": 1800, "1 hour": 3600, "2 hours": 7200, "3 hours": 10800, "1 day": 86400}

TRENDING_HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    HyperParameter("trend_discovery_frequency", "str", "2 hours", tunable=False, choices=tuple(FREQUENCIES)),
)


def window_counts(interactions: pd.DataFrame, item_ids: np.ndarray, seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """Interactions per item in the last ``seconds`` before the latest interaction, and in the interval before."""
    n = len(item_ids)
    if len(interactions) == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    ts = interactions["TIMESTAMP"].to_numpy(dtype=np.int64)
    items = item_columns(interactions["ITEM_ID"], item_ids)
    latest = int(ts.max())
    last = (ts > latest - seconds) & (items >= 0)
    prev = (ts > latest - 2 * seconds) & (ts <= latest - seconds) & (items >= 0)
    return np.bincount(items[last], minlength=n), np.bincount(items[prev], minlength=n)


def trending_order(last: np.ndarray, prev: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Positions: trending items by increase (then recent count, position), then the rest by popularity."""
    increase = last - prev
    positions = np.arange(len(last))
    trending = increase > 0
    head = positions[trending][np.lexsort((positions[trending], -last[trending], -increase[trending]))]
    rest = positions[~trending][np.lexsort((positions[~trending], -popularity[~trending]))]
    return np.concatenate([head, rest]).astype(np.int64)


class TrendingNowModel(PopularityModel):
    """The trending list, served like Popularity-Count (``counts`` is the list's ordering key)."""


class TrendingNowRecipe(Recipe):
    """Items whose interaction count rose most between the last two ``trend_discovery_frequency`` intervals."""

    name: ClassVar[str] = "aws-trending-now"
    recipe_type: ClassVar[RecipeType] = "USER_PERSONALIZATION"
    description: ClassVar[str] = (
        "Generates recommendations for items that are rapidly becoming more popular with your users."
    )
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = TRENDING_HYPERPARAMETERS

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> TrendingNowModel:
        """Window counts → trending order; the order is stored as descending keys."""
        params = hp.typed(type(self), hyperparameters)
        item_ids = item_universe(data)
        popularity = InteractionMatrix.build(data.interactions, item_ids).item_user_counts()
        last, prev = window_counts(data.interactions, item_ids, FREQUENCIES[str(params["trend_discovery_frequency"])])
        order = trending_order(last, prev, popularity)
        keys = np.empty(len(order), dtype=np.int64)
        keys[order] = np.arange(len(order), 0, -1)
        return TrendingNowModel(item_ids, keys, hyperparameters)

    @classmethod
    def model_class(cls) -> type[TrendingNowModel]:
        """:class:`TrendingNowModel`."""
        return TrendingNowModel
