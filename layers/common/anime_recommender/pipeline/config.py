"""The pipeline config: defaults in the repo (``default_config.json``), overridable by a drop's ``config.json``.

A drop's ``config.json`` is deep-merged onto the defaults (objects merge key by key, lists and scalars replace),
then the result is validated. Any problem is a :class:`ConfigError` naming the field and what is wrong with it.
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from anime_recommender.contracts.filters import FilterName
from anime_recommender.contracts.metrics import METRIC_KEYS
from anime_recommender.contracts.recipes import DEPLOYABLE_RECIPES
from anime_recommender.pipeline.errors import ConfigError

#: A drop's config.json is a few hundred bytes; anything above this is refused before it is read.
MAX_CONFIG_BYTES = 64 * 1024


def metric_label(name: str) -> str:
    """Short column label: ``normalized_discounted_cumulative_gain_at_10`` -> ``NDCG@10``."""
    labels = {
        "coverage": "coverage",
        "mean_reciprocal_rank_at_25": "MRR@25",
    }
    if name in labels:
        return labels[name]
    match = re.fullmatch(r"(normalized_discounted_cumulative_gain|precision)_at_(\d+)", name)
    if match:
        return ("NDCG" if match.group(1).startswith("normalized") else "P") + "@" + match.group(2)
    return name


class _Strict(BaseModel):
    """Unknown keys are errors: a typo in config.json must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RecipeSettings(_Strict):
    """One solution the pipeline trains: its key (names, SSM path), recipe and training settings."""

    key: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")
    recipeArn: str = Field(pattern=r"^arn:aws:personalize:::recipe/[a-zA-Z0-9-]+$")
    deploy: bool = False
    primaryMetric: str | None = None
    eventType: str | None = None
    algorithmHyperParameters: dict[str, str] = Field(default_factory=dict)
    featureTransformationParameters: dict[str, str] = Field(default_factory=dict)
    eventValueThreshold: str | None = None


class PromotionSettings(_Strict):
    """When a trained candidate replaces what a campaign serves."""

    primaryMetric: str
    tolerance: float = Field(ge=0.0, lt=1.0)
    baselineRecipe: str | None
    challengerRecipe: str | None
    requireBeatBaseline: bool


class CampaignSettings(_Strict):
    """Settings of every campaign the pipeline deploys (exploration applies to user-personalization only)."""

    minProvisionedTPS: int = Field(ge=1, le=500)
    explorationWeight: float = Field(ge=0.0, le=1.0)
    explorationItemAgeCutOff: int = Field(ge=1, le=3650)


class PrepareSettings(_Strict):
    """Options passed to the prepare-data step."""

    keepUnknownAnime: bool


class PollBudget(_Strict):
    """How often a Wait + Choice loop polls, and how many polls before the pipeline gives up."""

    intervalSeconds: int = Field(ge=1, le=3600)
    maxAttempts: int = Field(ge=1, le=5000)


class PollingSettings(_Strict):
    """One budget per loop in the state machine."""

    lock: PollBudget
    datasets: PollBudget
    imports: PollBudget
    training: PollBudget
    deployment: PollBudget


class PipelineConfig(_Strict):
    """The validated pipeline config; serialised into the execution state as ``config``."""

    recipes: list[RecipeSettings] = Field(min_length=1, max_length=10)
    promotion: PromotionSettings
    campaign: CampaignSettings
    filters: list[FilterName]
    prepare: PrepareSettings
    importMode: Literal["FULL", "INCREMENTAL"]
    polling: PollingSettings

    @model_validator(mode="after")
    def _check_consistency(self) -> PipelineConfig:
        keys = [recipe.key for recipe in self.recipes]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"recipe keys must be unique; repeated: {', '.join(duplicates)}")
        for recipe in self.recipes:
            if recipe.deploy and recipe.key not in DEPLOYABLE_RECIPES:
                raise ValueError(
                    f"recipe {recipe.key!r} has deploy=true, but only {', '.join(DEPLOYABLE_RECIPES)} can be "
                    "deployed (their campaign ARNs are published to SSM)"
                )
            metric = recipe.primaryMetric or self.promotion.primaryMetric
            if metric not in METRIC_KEYS:
                raise ValueError(f"primaryMetric {metric!r} is not one of {', '.join(METRIC_KEYS)}")
        if self.promotion.primaryMetric not in METRIC_KEYS:
            raise ValueError(
                f"promotion.primaryMetric {self.promotion.primaryMetric!r} is not one of {', '.join(METRIC_KEYS)}"
            )
        if self.promotion.requireBeatBaseline:
            for field_name in ("baselineRecipe", "challengerRecipe"):
                value = getattr(self.promotion, field_name)
                if value not in keys:
                    raise ValueError(
                        f"promotion.{field_name} {value!r} must be one of the configured recipes ({', '.join(keys)}) "
                        "when promotion.requireBeatBaseline is true"
                    )
        return self

    def recipe(self, key: str) -> RecipeSettings:
        """The settings of the recipe with this key."""
        for recipe in self.recipes:
            if recipe.key == key:
                return recipe
        raise KeyError(key)

    def primary_metric(self, key: str) -> str:
        """The metric that decides promotion for this recipe."""
        return self.recipe(key).primaryMetric or self.promotion.primaryMetric


@cache
def _default_config_text() -> str:
    return resources.files("anime_recommender.pipeline").joinpath("default_config.json").read_text("utf-8")


def default_config_dict() -> dict[str, Any]:
    """The repo defaults as a plain dict (a fresh copy)."""
    return json.loads(_default_config_text())


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` onto ``base``: nested objects merge key by key; lists and scalars replace."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{location}: {message}")
    return "; ".join(parts)


#: Set by the stack (template parameter ``PollIntervalSeconds``): every Wait of the pipeline, in seconds; unset or 0
#: keeps the production intervals of default_config.json. Local stacks, whose jobs finish in about a second, use 1.
POLL_INTERVAL_VARIABLE = "POLL_INTERVAL_SECONDS"
#: The cleanup state machine's Wait between two polls of a stage when the stack sets no interval.
CLEANUP_WAIT_SECONDS = 30


def stack_poll_interval() -> int | None:
    """The stack's poll interval (``POLL_INTERVAL_SECONDS``), or None for the production intervals."""
    value = os.environ.get(POLL_INTERVAL_VARIABLE, "").strip()
    try:
        seconds = int(float(value)) if value else 0
    except ValueError:
        raise ConfigError(f"{POLL_INTERVAL_VARIABLE}={value!r} must be a whole number of seconds") from None
    return seconds if seconds > 0 else None


def stack_polling_defaults() -> dict[str, Any]:
    """The stack's override of the default poll intervals (empty without ``POLL_INTERVAL_SECONDS``)."""
    seconds = stack_poll_interval()
    if seconds is None:
        return {}
    loops = default_config_dict()["polling"]
    return {"polling": {loop: {"intervalSeconds": seconds} for loop in loops}}


def load_config(override: dict[str, Any] | None = None, source: str = "config.json") -> PipelineConfig:
    """Validate the defaults, the stack's poll interval and ``override`` (the drop's config.json, already parsed),
    merged in that order.

    Raises :class:`ConfigError` whose message names ``source`` and each offending field.
    """
    if override is not None and not isinstance(override, dict):
        raise ConfigError(f"{source}: must be a JSON object, got {type(override).__name__}")
    merged = deep_merge(deep_merge(default_config_dict(), stack_polling_defaults()), override or {})
    try:
        return PipelineConfig.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(f"{source} is invalid: {_describe_validation_error(error)}") from error


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)")


def parse_config_json(text: str, source: str) -> dict[str, Any]:
    """Parse a drop's config.json, turning a syntax error into a :class:`ConfigError` with line and column."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{source} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from error
    except RecursionError as error:
        raise ConfigError(f"{source} is nested too deeply to be a pipeline config") from error
    except ValueError as error:  # NaN / Infinity: Python's json accepts them, JSON (RFC 8259) does not
        raise ConfigError(f"{source} is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: must be a JSON object, got {type(value).__name__}")
    return value
