"""aws-similar-items, aws-semantic-similarity and aws-trending-now on generated data with a known structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personalize_local.recipes.base import InvalidHyperParameterError, TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.recipes.semantic_similarity import MissingTextError
from personalize_local.recipes.text import is_textual, tfidf
from personalize_local.recipes.trending_now import FREQUENCIES
from testing.planted_data import planted_interactions

SIMILAR = get_recipe("aws-similar-items")
SEMANTIC = get_recipe("aws-semantic-similarity")
SIMS = get_recipe("aws-sims")
TRENDING = get_recipe("aws-trending-now")


@pytest.fixture(scope="module")
def planted():
    return planted_interactions(n_users=300, n_items=120, n_genres=4, per_user=15, n_new_items=8, seed=3)


@pytest.fixture(scope="module")
def data(planted) -> TrainingData:
    return TrainingData(planted.interactions, planted.items)


def same_genre(planted, item: str, related) -> float:
    return float(np.mean([planted.item_genre[i] == planted.item_genre[item] for i, _ in related]))


def test_similar_items_gives_never_interacted_items_metadata_neighbours(planted, data) -> None:
    model = SIMILAR().train(data, resolve_hyperparameters(SIMILAR, None), seed=0)
    sims = SIMS().train(data, resolve_hyperparameters(SIMS, None), seed=0)
    interacted = set(planted.interactions["ITEM_ID"])
    cold = [i for i in planted.new_items if i not in interacted]
    assert cold
    for item in cold:
        related = model.related(item, 10)
        assert len(model.neighbours_of(item)) >= 10  # real neighbours, not the popular fill
        assert same_genre(planted, item, related) >= 0.8
        assert len(sims.neighbours_of(item)) == 0  # SIMS has nothing for it (popular items only)


def test_similar_items_keeps_co_occurrence_for_items_with_interactions(planted, data) -> None:
    model = SIMILAR().train(data, resolve_hyperparameters(SIMILAR, None), seed=0)
    partners = [(str(2 * k), str(2 * k + 1)) for k in range(10)]  # series pairs are always watched together
    hits = sum(b in [i for i, _ in model.related(a, 3)] for a, b in partners)
    assert hits >= 8
    assert all(score is None for _, score in model.related("0", 5))


def test_similar_items_without_metadata_still_works(planted) -> None:
    model = SIMILAR().train(TrainingData(planted.interactions), resolve_hyperparameters(SIMILAR, None), seed=0)
    assert "1" in [i for i, _ in model.related("0", 5)]


def test_semantic_similarity_finds_items_with_similar_text(planted, data) -> None:
    model = SEMANTIC().train(data, {}, seed=0)
    shares = [same_genre(planted, item, model.related(item, 10)) for item in model.item_ids[:30].tolist()]
    assert np.mean(shares) >= 0.9
    popular = planted.interactions["ITEM_ID"].value_counts().index[0]
    assert model.related("unknown-item", 3)[0][0] == popular


def test_semantic_similarity_needs_a_textual_field(planted) -> None:
    with pytest.raises(MissingTextError, match="textual field"):
        SEMANTIC().train(TrainingData(planted.interactions, planted.items.drop(columns=["SYNOPSIS"])), {}, seed=0)


def test_tfidf_weighs_rare_words_more_and_normalises_rows() -> None:
    matrix = tfidf(pd.Series(["dragon sword common", "common story", "common", None]))
    assert np.allclose(np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel(), [1, 1, 1, 0])
    first = matrix[0].toarray().ravel()
    assert first.max() > first[first > 0].min()  # "common" (in every document) weighs least
    assert is_textual(pd.Series(["a long description with many words in it to read today"] * 3))
    assert not is_textual(pd.Series(["Action|Comedy", "Kyoto Animation", "TV"]))


def trending_frame(seconds: int) -> pd.DataFrame:
    """Item "steady": 20 events per interval; "rising": 2 then 12; "fading": 12 then 2; "old": long ago only."""
    end = 1_700_000_000
    rows = []
    for item, before, last in (("steady", 20, 20), ("rising", 2, 12), ("fading", 12, 2)):
        rows += [(f"u{item}{k}", item, end - seconds - 1 - k) for k in range(before)]
        rows += [(f"v{item}{k}", item, end - k) for k in range(last)]
    rows += [(f"w{k}", "old", end - 50 * seconds - k) for k in range(40)]
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


@pytest.mark.parametrize("frequency", list(FREQUENCIES))
def test_trending_now_ranks_the_fastest_rising_item_first(frequency: str) -> None:
    frame = trending_frame(FREQUENCIES[frequency])
    params = resolve_hyperparameters(
        TRENDING, {"featureTransformationParameters": {"trend_discovery_frequency": frequency}}
    )
    model = TRENDING().train(TrainingData(frame), params, seed=0)
    assert [i for i, _ in model.recommend([], 4)] == ["rising", "old", "steady", "fading"]
    assert model.recommend(["old"], 4) == model.recommend([], 4)
    allowed = model.item_ids != "rising"
    assert [i for i, _ in model.recommend([], 2, allowed)] == ["old", "steady"]


def test_trending_window_follows_trend_discovery_frequency() -> None:
    frame = trending_frame(FREQUENCIES["30 minutes"])  # "rising" rises within half an hour only
    daily = TRENDING().train(
        TrainingData(frame),
        resolve_hyperparameters(TRENDING, {"featureTransformationParameters": {"trend_discovery_frequency": "1 day"}}),
    )
    assert daily.recommend([], 1) != [("rising", None)]
    assert resolve_hyperparameters(TRENDING, None) == {"trend_discovery_frequency": "2 hours"}
    with pytest.raises(InvalidHyperParameterError, match="one of '30 minutes'"):
        resolve_hyperparameters(TRENDING, {"featureTransformationParameters": {"trend_discovery_frequency": "5 hours"}})
