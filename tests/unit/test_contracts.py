"""The contracts between components hold on every side that cannot import them."""

from __future__ import annotations

from anime_recommender.contracts.filters import FILTER_EXPRESSIONS, FILTER_NAMES, filter_for
from anime_recommender.contracts.metrics import METRIC_KEYS
from anime_recommender.pipeline.config import default_config_dict
from personalize_local import metrics as local_metrics


def test_personalize_local_computes_exactly_the_metric_keys_of_the_contract() -> None:
    # Personalize Local never imports the layer, so it keeps its own tuple: same keys, same order.
    assert local_metrics.METRIC_KEYS == METRIC_KEYS


def test_every_filter_name_has_one_expression_and_the_default_config_creates_them_all() -> None:
    assert tuple(FILTER_EXPRESSIONS) == FILTER_NAMES
    assert default_config_dict()["filters"] == list(FILTER_NAMES)


def test_the_api_chooses_the_filter_whose_include_clauses_it_can_fill() -> None:
    chosen = {(genres, studios): filter_for(genres, studios) for genres in (False, True) for studios in (False, True)}
    assert chosen == {
        (False, False): "base",
        (True, False): "genre",
        (False, True): "studio",
        (True, True): "genre-studio",
    }
    for (genres, studios), name in chosen.items():
        expression = FILTER_EXPRESSIONS[name]
        assert ("$GENRES" in expression) is genres
        assert ("$STUDIOS" in expression) is studios
