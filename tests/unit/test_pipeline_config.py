"""The pipeline config: repo defaults, a drop's config.json override, and clear errors for bad settings."""

from __future__ import annotations

import pytest

from anime_recommender.contracts.recipes import DEPLOYABLE_RECIPES
from anime_recommender.pipeline.config import (
    PipelineConfig,
    deep_merge,
    default_config_dict,
    load_config,
    parse_config_json,
)
from anime_recommender.pipeline.errors import ConfigError


def test_defaults_train_four_recipes_and_deploy_the_three_the_api_reads() -> None:
    config = load_config(None)
    assert [r.key for r in config.recipes] == [
        "popularity-count",
        "user-personalization",
        "sims",
        "personalized-ranking",
    ]
    assert sorted(r.key for r in config.recipes if r.deploy) == sorted(DEPLOYABLE_RECIPES)
    assert config.promotion.baselineRecipe == "popularity-count" and config.promotion.requireBeatBaseline
    assert config.primary_metric("sims") == "normalized_discounted_cumulative_gain_at_10"
    assert config.filters == ["base", "genre", "studio", "genre-studio"]


def test_override_merges_objects_and_replaces_lists() -> None:
    config = load_config(
        {"promotion": {"tolerance": 0.1}, "filters": ["genre"], "polling": {"training": {"intervalSeconds": 5}}}
    )
    assert config.promotion.tolerance == 0.1
    assert config.promotion.primaryMetric == "normalized_discounted_cumulative_gain_at_10"  # kept from defaults
    assert config.filters == ["genre"]
    assert config.polling.training.intervalSeconds == 5 and config.polling.training.maxAttempts == 720


def test_deep_merge_does_not_modify_its_inputs() -> None:
    base = {"a": {"b": 1, "c": [1]}}
    merged = deep_merge(base, {"a": {"b": 2}})
    assert merged == {"a": {"b": 2, "c": [1]}} and base == {"a": {"b": 1, "c": [1]}}


def test_a_config_round_trips_through_the_execution_state() -> None:
    config = load_config({"campaign": {"explorationWeight": 0.1}})
    assert PipelineConfig.model_validate(config.model_dump(mode="json")) == config


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"promotion": {"tolerance": 1.5}}, "promotion.tolerance: Input should be less than 1"),
        ({"promotion": {"tolerence": 0.1}}, "promotion.tolerence: Extra inputs are not permitted"),
        ({"promotion": {"primaryMetric": "accuracy"}}, "'accuracy' is not one of coverage"),
        ({"campaign": {"minProvisionedTPS": 0}}, "campaign.minProvisionedTPS"),
        ({"filters": ["genre", "mood"]}, "filters.1"),
        ({"recipes": []}, "recipes: List should have at least 1 item"),
        (
            {
                "recipes": [
                    {
                        "key": "popularity-count",
                        "recipeArn": "arn:aws:personalize:::recipe/aws-popularity-count",
                        "deploy": True,
                    }
                ]
            },
            "only user-personalization, sims, personalized-ranking can be deployed",
        ),
        (
            {"recipes": [{"key": "sims", "recipeArn": "arn:aws:personalize:::recipe/aws-sims"}]},
            "promotion.baselineRecipe 'popularity-count' must be one of the configured recipes (sims)",
        ),
        (
            {
                "recipes": [
                    {"key": "sims", "recipeArn": "arn:aws:personalize:::recipe/aws-sims"},
                    {"key": "sims", "recipeArn": "arn:aws:personalize:::recipe/aws-sims"},
                ],
                "promotion": {"requireBeatBaseline": False},
            },
            "recipe keys must be unique; repeated: sims",
        ),
        ({"recipes": [{"key": "x", "recipeArn": "aws-sims"}]}, "recipes.0.recipeArn"),
    ],
)
def test_invalid_settings_fail_with_the_field_and_the_reason(override: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(override, source="s3://bucket/incoming/d/config.json")
    assert str(error.value).startswith("s3://bucket/incoming/d/config.json is invalid: ")
    assert expected in str(error.value)


def test_config_json_syntax_errors_name_line_and_column() -> None:
    with pytest.raises(ConfigError, match=r"config.json is not valid JSON: Expecting .* at line 2 column 15"):
        parse_config_json('{\n  "filters": [,]\n}', "config.json")
    with pytest.raises(ConfigError, match="must be a JSON object, got list"):
        parse_config_json("[1, 2]", "config.json")


def test_defaults_file_is_valid_on_its_own() -> None:
    assert PipelineConfig.model_validate(default_config_dict()).importMode == "FULL"
