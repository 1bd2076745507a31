"""The promotion gate: tolerance against the live version, and the popularity baseline on the same data."""

from __future__ import annotations

import pytest

from anime_recommender.pipeline.config import load_config
from anime_recommender.pipeline.promotion import baseline_check, decide

METRIC = "normalized_discounted_cumulative_gain_at_10"


def _candidates(up: float = 0.30, pop: float = 0.10, sims: float = 0.20, ranking: float = 0.25) -> dict:
    return {
        "popularity-count": {METRIC: pop},
        "user-personalization": {METRIC: up},
        "sims": {METRIC: sims},
        "personalized-ranking": {METRIC: ranking},
    }


def test_first_run_promotes_every_deployable_recipe_and_never_the_baseline() -> None:
    result = decide(load_config(None), _candidates(), live={})
    decisions = result["decisions"]
    assert [k for k, d in decisions.items() if d["promote"]] == ["user-personalization", "sims", "personalized-ranking"]
    assert decisions["popularity-count"]["promote"] is False
    assert decisions["sims"]["reason"] == "promote: no live campaign; baseline check passed"
    assert decisions["user-personalization"]["reason"] == (
        "promote: no live campaign; user-personalization NDCG@10 0.3000 beats the popularity-count baseline 0.1000"
    )


@pytest.mark.parametrize(
    ("candidate", "live", "promote"),
    [(0.30, 0.30, True), (0.285, 0.30, True), (0.2849, 0.30, False), (0.40, 0.30, True), (0.0, 0.30, False)],
)
def test_candidate_must_reach_live_times_one_minus_tolerance(candidate: float, live: float, promote: bool) -> None:
    result = decide(
        load_config(None), _candidates(up=max(candidate, 0.2), sims=candidate), live={"sims": {METRIC: live}}
    )
    decision = result["decisions"]["sims"]
    assert decision["promote"] is promote
    assert decision["threshold"] == pytest.approx(live * 0.95)
    assert decision["withinTolerance"] is promote
    if not promote:
        assert decision["reason"].startswith(
            f"keep live: NDCG@10 candidate {candidate:.4f} < live {live:.4f} x (1 - 0.05)"
        )


def test_nothing_is_promoted_when_user_personalization_does_not_beat_popularity() -> None:
    result = decide(load_config(None), _candidates(up=0.10, pop=0.12), live={})
    assert result["baseline"]["passed"] is False
    assert not any(d["promote"] for d in result["decisions"].values())
    assert result["decisions"]["sims"]["reason"] == (
        "keep live: user-personalization NDCG@10 0.1000 does not beat the popularity-count baseline 0.1200"
    )


def test_a_tie_with_the_baseline_is_not_beating_it() -> None:
    assert baseline_check(load_config(None), _candidates(up=0.1, pop=0.1))["passed"] is False


def test_the_baseline_check_can_be_switched_off_and_metrics_overridden_per_recipe() -> None:
    config = load_config(
        {
            "promotion": {"requireBeatBaseline": False, "tolerance": 0.0},
            "recipes": [
                {
                    "key": "sims",
                    "recipeArn": "arn:aws:personalize:::recipe/aws-sims",
                    "deploy": True,
                    "primaryMetric": "coverage",
                }
            ],
        }
    )
    result = decide(config, {"sims": {"coverage": 0.5, METRIC: 0.0}}, live={"sims": {"coverage": 0.5, METRIC: 0.9}})
    assert result["decisions"]["sims"]["promote"] is True and result["decisions"]["sims"]["metric"] == "coverage"


def test_a_missing_metric_is_an_error_naming_what_was_returned() -> None:
    with pytest.raises(
        Exception, match="GetSolutionMetrics for sims has no normalized_discounted_cumulative_gain_at_10"
    ):
        decide(load_config(None), {**_candidates(), "sims": {"coverage": 0.1}}, live={})
