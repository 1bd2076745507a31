"""What a campaign (or a recommender) serves: a loaded model plus the settings serving applies to it, cached per
ARN. Campaigns and recommenders drop their entry when they change (:meth:`Deployments.forget`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from personalize_local.exceptions import InvalidInputException
from personalize_local.models.groupdata import Event
from personalize_local.models.lifecycle import ACTIVE, Lifecycle
from personalize_local.models.model_cache import ModelCache
from personalize_local.recipes import registry
from personalize_local.recipes.base import ExplorationConfig, TrainedModel
from personalize_local.recipes.use_cases import use_case

_EXPLORATION_KEYS = ("explorationWeight", "explorationItemAgeCutOff")


def exploration_config(config: Mapping[str, Any] | None) -> ExplorationConfig:
    """A campaign's (or recommender's) ``item_exploration_config`` parsed (defaults: weight 0.3, cut-off 30 days)."""
    raw = (config or {}).get("item_exploration_config") or {}
    unknown = sorted(set(raw) - set(_EXPLORATION_KEYS))
    if unknown:
        raise InvalidInputException(
            f"Unknown itemExplorationConfig key(s) {', '.join(unknown)}: use {' and '.join(_EXPLORATION_KEYS)}"
        )
    try:
        weight = float(raw.get("explorationWeight", "0.3"))
        cutoff = float(raw.get("explorationItemAgeCutOff", "30"))
    except ValueError:
        raise InvalidInputException(f"itemExplorationConfig values must be numbers, got {raw}") from None
    if not 0.0 <= weight <= 1.0:
        raise InvalidInputException(f"explorationWeight must be between 0 and 1, got {weight}")
    if cutoff <= 0:
        raise InvalidInputException(f"explorationItemAgeCutOff must be greater than 0 days, got {cutoff}")
    return ExplorationConfig(weight=weight, item_age_cutoff_days=cutoff)


def event_filter(event_type: str | None, solution_config: Mapping[str, Any]) -> Callable[[Event], bool] | None:
    """The solution's ``eventType`` / ``eventValueThreshold`` as a predicate on history events (None: keep all)."""
    wanted = (event_type or "").lower()
    threshold = solution_config.get("event_value_threshold")
    limit = None if threshold is None else float(threshold)
    if not wanted and limit is None:
        return None

    def keep(event: Event) -> bool:
        if wanted and event[2].lower() != wanted:
            return False
        return limit is None or (event[3] is not None and event[3] >= limit)

    return keep


@dataclass(frozen=True)
class Deployment:
    """What a campaign or recommender serves."""

    group_arn: str
    model: TrainedModel
    recipe_type: str
    exploration: ExplorationConfig | None
    keep: Callable[[Event], bool] | None  # the solution's eventType / eventValueThreshold on histories
    metadata_enabled: bool
    exclude_seen: str | None = None  # a use case's automatic filter: the user's items of this event type


class Deployments:
    """Deployments by campaign ARN, built on first use."""

    def __init__(self, lifecycle: Lifecycle, models: ModelCache) -> None:
        self.lifecycle = lifecycle
        self.models = models
        self._lock = threading.Lock()
        self._deployments: dict[str, Deployment] = {}

    def campaign(self, campaign_arn: str) -> Deployment:
        """The deployment of an ACTIVE campaign (InvalidInputException when it is not ACTIVE)."""
        deployment = self._deployments.get(campaign_arn)
        if deployment is not None:
            return deployment
        campaign = self.lifecycle.get("campaign", campaign_arn)
        if campaign.status != ACTIVE:
            raise InvalidInputException(f"Campaign {campaign_arn} is not ACTIVE (status {campaign.status})")
        version = self.lifecycle.get("solution-version", campaign.internal["deployedVersion"])
        deployment = self.build(
            version.arn,
            version.internal["recipe"],
            version.body["dataset_group_arn"],
            campaign.body.get("campaign_config") or {},
            event_filter(version.body.get("event_type"), version.body.get("solution_config") or {}),
        )
        with self._lock:
            self._deployments[campaign_arn] = deployment
        return deployment

    def recommender(self, recommender_arn: str) -> Deployment:
        """The deployment of a recommender that serves (ACTIVE; InvalidInputException otherwise)."""
        deployment = self._deployments.get(recommender_arn)
        if deployment is not None:
            return deployment
        recommender = self.lifecycle.get("recommender", recommender_arn)
        if recommender.status != ACTIVE or "modelId" not in recommender.internal:
            raise InvalidInputException(f"Recommender {recommender_arn} is not ACTIVE (status {recommender.status})")
        case = use_case(recommender.body["recipe_arn"])
        deployment = self.build(
            recommender.arn,
            recommender.internal["recipe"],
            recommender.body["dataset_group_arn"],
            recommender.body.get("recommender_config") or {},
            None,
            case.excluded_event_type,
        )
        with self._lock:
            self._deployments[recommender_arn] = deployment
        return deployment

    def build(
        self,
        version_arn: str,
        recipe_name: str,
        group_arn: str,
        config: Mapping[str, Any],
        keep: Callable[[Event], bool] | None,
        exclude_seen: str | None = None,
    ) -> Deployment:
        """A deployment of the model of ``version_arn`` (a solution version or a recommender) with a config."""
        recipe = registry.get_recipe(recipe_name)
        explore = recipe.recipe_type == "USER_PERSONALIZATION" and recipe.name != "aws-popularity-count"
        return Deployment(
            group_arn=group_arn,
            model=self.models.load(version_arn),
            recipe_type=recipe.recipe_type,
            exploration=exploration_config(config) if explore else None,
            keep=keep,
            metadata_enabled=bool(config.get("enable_metadata_with_recommendations")),
            exclude_seen=exclude_seen,
        )

    def remember(self, arn: str, deployment: Deployment) -> None:
        """Cache a deployment built by its owner."""
        with self._lock:
            self._deployments[arn] = deployment

    def cached(self, arn: str) -> Deployment | None:
        """The cached deployment of ``arn``, if any."""
        return self._deployments.get(arn)

    def forget(self, arn: str) -> None:
        """Drop a cached deployment (after an update or delete)."""
        with self._lock:
            self._deployments.pop(arn, None)
