"""The user-segmentation recipes beyond the shared contract: attribute queries, and segments that follow taste."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pandas as pd
import pytest

from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.item_affinity import ItemAffinityRecipe, UnknownItemError
from personalize_local.recipes.item_attribute_affinity import (
    ItemAttributeAffinityRecipe,
    MissingItemsError,
    parse_query,
)
from personalize_local.recipes.registry import resolve_hyperparameters
from testing.personalize_setup import small_dataset


def test_parse_query_accepts_and_joined_equalities_with_escapes() -> None:
    assert parse_query('ITEMS.genres = "Comedy" AND items.Genres="Action"') == [
        ("GENRES", "Comedy"),
        ("GENRES", "Action"),
    ]
    assert parse_query(r'ITEMS.title = "Say \"hi\""') == [("TITLE", 'Say "hi"')]
    for bad in ('ITEMS.genres = "Comedy" OR ITEMS.genres = "Action"', "ITEMS.year > 1990", 'genres = "x"', ""):
        with pytest.raises(ValueError, match="itemAttributes"):
            parse_query(bad)


@pytest.fixture(scope="module")
def data() -> TrainingData:
    small = small_dataset()
    interactions = pd.read_csv(StringIO(small.interactions_csv)).astype({"USER_ID": str, "ITEM_ID": str})
    return TrainingData(interactions, pd.read_csv(StringIO(small.items_csv)).astype({"ITEM_ID": str}))


def test_attribute_segments_follow_taste_and_multi_valued_fields(data: TrainingData) -> None:
    small = small_dataset()
    items = data.items.copy()
    items.loc[items["ITEM_ID"] == "i000", "GENRES"] = "Action|Classic"
    recipe = ItemAttributeAffinityRecipe
    model = recipe().train(TrainingData(data.interactions, items), resolve_hyperparameters(recipe, None))
    assert model.items_matching('ITEMS.genres = "classic"') == ["i000"]
    assert model.items_matching('ITEMS.genres = "Action" AND ITEMS.genres = "Classic"') == ["i000"]
    assert set(model.items_matching('ITEMS.genres = "Drama"')) == {i for i, g in small.genre_of.items() if g == "Drama"}
    users = [u for u, _ in model.segment(model.items_matching('ITEMS.genres = "Drama"'), 30)]
    assert Counter(small.taste_of[u] for u in users)["Drama"] >= 24
    with pytest.raises(UnknownItemError):
        model.items_matching('ITEMS.genres = "Horror"')
    with pytest.raises(ValueError, match="MOOD"):
        model.items_matching('ITEMS.mood = "x"')


def test_attribute_affinity_needs_item_metadata(data: TrainingData) -> None:
    recipe = ItemAttributeAffinityRecipe
    with pytest.raises(MissingItemsError):
        recipe().train(TrainingData(data.interactions), resolve_hyperparameters(recipe, None))


def test_item_affinity_rejects_unknown_items(data: TrainingData) -> None:
    model = ItemAffinityRecipe().train(data, resolve_hyperparameters(ItemAffinityRecipe, None))
    with pytest.raises(UnknownItemError, match="nope"):
        model.segment(["nope"], 5)
    assert model.hyperparameters["hidden_dimension"] == "149"
