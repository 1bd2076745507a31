"""Solutions, solution versions and training (with Personalize's offline metrics)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from personalize_local import evaluation
from personalize_local.exceptions import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from personalize_local.memory import release_freed_memory
from personalize_local.models.action_data import action_training_data
from personalize_local.models.clock import schedule_seconds
from personalize_local.models.domain import Page, Solution, SolutionMetrics, SolutionVersion, from_resource, to_body
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.groupdata import filter_events
from personalize_local.models.lifecycle import ACTIVE, CREATE_STOPPING, CREATING, TRAINING, CreateFailed, Lifecycle
from personalize_local.models.model_cache import ModelCache
from personalize_local.recipes import registry
from personalize_local.recipes.base import InvalidHyperParameterError, Recipe, TrainedModel, TrainingData
from personalize_local.store import Resource
from personalize_local.training_cache import TrainingCache, train_evaluation_model, train_or_reuse

MIN_INTERACTIONS = 1000  # Personalize's training minimums
MIN_USERS_WITH_TWO = 25
MAX_PARAMETER_VALUE = 1000  # botocore's ParameterValue max length
UPDATE_RECIPES = ("aws-user-personalization", "aws-user-personalization-v2")


def recipe_class(recipe_arn: str) -> type[Recipe]:
    """The recipe of a recipe ARN; ResourceNotFoundException for an unknown one."""
    try:
        return registry.get_recipe(recipe_arn)
    except KeyError as exc:
        raise ResourceNotFoundException(str(exc.args[0]) if exc.args else f"Unknown recipe {recipe_arn}") from None


def hyperparameter_maps(solution_config: Mapping[str, Any]) -> dict[str, Any]:
    """The two hyperparameter maps of a (snake_case) solution config, as the recipes' resolver reads them."""
    return {
        "algorithmHyperParameters": solution_config.get("algorithm_hyper_parameters"),
        "featureTransformationParameters": solution_config.get("feature_transformation_parameters"),
    }


def resolve_hyperparameters(recipe: type[Recipe], solution_config: Mapping[str, Any]) -> dict[str, str]:
    """Every hyperparameter of ``recipe`` from a solution config; InvalidInputException for a bad one."""
    try:
        return registry.resolve_hyperparameters(recipe, hyperparameter_maps(solution_config))
    except InvalidHyperParameterError as exc:
        raise InvalidInputException(str(exc)) from None


class Solutions:
    """CreateSolution ... GetSolutionMetrics: solutions, their versions and training."""

    def __init__(self, lifecycle: Lifecycle, group_data: GroupDataCache, models: ModelCache) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        self.models = models
        config = lifecycle.config
        self.training_cache = TrainingCache(lifecycle.files.training_cache_dir()) if config.share_training else None
        lifecycle.register("solution-version", create=self._train_version)
        lifecycle.register("solution", delete=self._cleanup_solution)

    # ------------------------------------------------------------------ solutions
    def create_solution(
        self,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str | None = None,
        perform_hpo: bool | None = None,
        perform_auto_ml: bool | None = None,
        perform_auto_training: bool | None = None,
        perform_incremental_update: bool | None = None,
        event_type: str | None = None,
        solution_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> Solution:
        """CreateSolution: the recipe must exist and the hyperparameters must be valid for it."""
        lc = self.lifecycle
        lc.check_name(name)
        if perform_auto_ml:
            raise InvalidInputException("performAutoML is not supported (AWS deprecated it); choose a recipeArn")
        if not recipe_arn:
            raise InvalidInputException("recipeArn is required")
        recipe = recipe_class(recipe_arn)
        config = dict(solution_config or {})
        resolve_hyperparameters(recipe, config)
        schedule_seconds((config.get("auto_training_config") or {}).get("scheduling_expression"))
        threshold = config.get("event_value_threshold")
        if threshold is not None:
            try:
                float(threshold)
            except ValueError:
                raise InvalidInputException(f"eventValueThreshold must be a number, got {threshold!r}") from None
        with lc.lock:
            group = lc.get_active("dataset-group", dataset_group_arn)
            lc.ensure_unique_name("solution", name)
            solution = Solution(
                name=name,
                solution_arn=lc.arn(f"solution/{name}"),
                perform_hpo=bool(perform_hpo),
                perform_auto_training=True if perform_auto_training is None else perform_auto_training,
                perform_incremental_update=perform_incremental_update,
                recipe_arn=registry.recipe_arn(recipe),
                dataset_group_arn=group.arn,
                solution_config=config,
                event_type=event_type or None,
            )
            resource = lc.create(Resource("solution", solution.solution_arn, name, group.arn, to_body(solution)), tags)
        return from_resource(Solution, resource)

    def describe_solution(self, solution_arn: str) -> Solution:
        """DescribeSolution, with the latest solution version."""
        solution = from_resource(Solution, self.lifecycle.get("solution", solution_arn))
        versions = self.lifecycle.store.find("solution-version", parent=solution.solution_arn)
        if versions:
            solution.latest_solution_version = from_resource(SolutionVersion, versions[-1])
        return solution

    def list_solutions(
        self, dataset_group_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[Solution]:
        """ListSolutions (newest first)."""
        parent = ("dataset-group", dataset_group_arn)
        return self.lifecycle.list_page("solution", Solution, next_token, max_results, parent)

    def delete_solution(self, solution_arn: str) -> None:
        """DeleteSolution: not while a version trains or a campaign uses one of its versions."""
        lc = self.lifecycle
        with lc.lock:
            solution = lc.get("solution", solution_arn)
            versions = lc.store.find("solution-version", parent=solution.arn)
            training = [v for v in versions if v.status in TRAINING]
            if training:
                raise ResourceInUseException(f"Solution version {training[0].arn} is still being created")
            arns = {v.arn for v in versions}
            for campaign in lc.store.find("campaign"):
                used = {campaign.body.get("solution_version_arn"), campaign.internal.get("deployedVersion")}
                if used & arns:
                    raise ResourceInUseException(
                        f"Cannot delete solution {solution.arn}: campaign {campaign.arn} uses one of its versions"
                    )
            lc.delete(solution)

    def _cleanup_solution(self, solution: Resource) -> None:
        for version in self.lifecycle.store.find("solution-version", parent=solution.arn):
            self.lifecycle.files.delete_model(version.internal.get("modelId", ""))
            self.lifecycle.store.delete(version.arn)
            self.models.forget(version.arn)

    # ------------------------------------------------------------------ solution versions
    def create_solution_version(
        self,
        solution_arn: str,
        name: str | None = None,
        training_mode: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> SolutionVersion:
        """CreateSolutionVersion: FULL trains (and evaluates) on all current data; UPDATE refreshes a FULL version."""
        lc = self.lifecycle
        if name is not None:
            lc.check_name(name)
        mode = training_mode or "FULL"
        if mode == "AUTOTRAIN":
            raise InvalidInputException("trainingMode AUTOTRAIN is set by automatic training only")
        if mode not in ("FULL", "UPDATE"):
            raise InvalidInputException(f"Invalid trainingMode {training_mode!r}: use FULL or UPDATE")
        with lc.lock:
            solution = from_resource(Solution, lc.get_active("solution", solution_arn))
            recipe = recipe_class(solution.recipe_arn)
            versions = lc.store.find("solution-version", parent=solution.solution_arn)
            if name is not None and any(v.name == name for v in versions):
                raise ResourceAlreadyExistsException(
                    f"Solution {solution.solution_arn} already has a version named {name}"
                )
            busy = [v for v in versions if v.status in TRAINING]
            if busy:
                raise ResourceInUseException(f"Solution version {busy[0].arn} of this solution is still being created")
            base = None
            if mode == "UPDATE":
                if recipe.name not in UPDATE_RECIPES:
                    raise InvalidInputException(f"trainingMode UPDATE is not available for recipe {recipe.name}")
                full = [v for v in versions if v.status == ACTIVE and v.body.get("training_mode") == "FULL"]
                if not full:
                    raise InvalidInputException("trainingMode UPDATE needs an ACTIVE solution version trained FULL")
                base = full[-1].arn
            required = "Action_Interactions" if recipe.recipe_type == "PERSONALIZED_ACTIONS" else "Interactions"
            if required not in self.group_data.datasets_of(solution.dataset_group_arn):
                raise InvalidInputException(
                    f"Dataset group {solution.dataset_group_arn} has no ACTIVE {required} dataset"
                )
            version_id = lc.new_id()
            version = SolutionVersion(
                solution_version_arn=f"{solution.solution_arn}/{version_id}",
                solution_arn=solution.solution_arn,
                name=name,
                perform_hpo=solution.perform_hpo,
                recipe_arn=solution.recipe_arn,
                dataset_group_arn=solution.dataset_group_arn,
                solution_config=solution.solution_config,
                training_mode=mode,
                event_type=solution.event_type,
                perform_incremental_update=solution.perform_incremental_update,
            )
            internal = {"modelId": f"{version_id}-{lc.new_id()}", "recipe": recipe.name, "baseVersion": base}
            resource = Resource(
                "solution-version",
                version.solution_version_arn,
                name,
                solution.solution_arn,
                to_body(version),
                internal,
            )
            resource = lc.create(resource, tags)
        return from_resource(SolutionVersion, resource)

    def describe_solution_version(self, solution_version_arn: str) -> SolutionVersion:
        """DescribeSolutionVersion."""
        return from_resource(SolutionVersion, self.lifecycle.get("solution-version", solution_version_arn))

    def list_solution_versions(
        self, solution_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[SolutionVersion]:
        """ListSolutionVersions (newest first)."""
        parent = ("solution", solution_arn)
        return self.lifecycle.list_page("solution-version", SolutionVersion, next_token, max_results, parent)

    def stop_solution_version_creation(self, solution_version_arn: str) -> None:
        """StopSolutionVersionCreation: a pending or training version ends CREATE STOPPED (via CREATE STOPPING)."""
        lc = self.lifecycle
        with lc.lock:
            version = lc.get("solution-version", solution_version_arn)
            if version.status not in CREATING:
                raise ResourceInUseException(
                    f"Solution version {version.arn} is {version.status}; only a version being created can be stopped"
                )
            lc.set_status(version.arn, CREATE_STOPPING)

    def get_solution_metrics(self, solution_version_arn: str) -> SolutionMetrics:
        """GetSolutionMetrics: the metrics computed when the version was trained."""
        version = self.lifecycle.get_active("solution-version", solution_version_arn)
        return SolutionMetrics(version.arn, version.internal.get("metrics", {}))

    # ------------------------------------------------------------------ training
    def training_data(self, version: SolutionVersion) -> TrainingData:
        """The dataset group's data as the solution trains on it (its eventType / eventValueThreshold applied)."""
        if recipe_class(version.recipe_arn).recipe_type == "PERSONALIZED_ACTIONS":
            return action_training_data(self.lifecycle, version.dataset_group_arn)
        frames = self.group_data.frames(version.dataset_group_arn)
        threshold = version.solution_config.get("event_value_threshold")
        interactions = filter_events(
            frames.interactions, version.event_type, None if threshold is None else float(threshold)
        )
        data = TrainingData(interactions.reset_index(drop=True), frames.items, frames.users)
        release_freed_memory()  # Arrow's conversion buffers of the files just read
        return data

    def train(
        self, recipe_name: str, solution_config: Mapping[str, Any], data: TrainingData, evaluate: bool
    ) -> tuple[TrainedModel, dict[str, float]]:
        """Train ``recipe_name`` on ``data`` (through the shared training cache) and, if asked, evaluate it."""
        recipe_cls = registry.get_recipe(recipe_name)
        try:
            hyperparameters = registry.resolve_hyperparameters(recipe_cls, hyperparameter_maps(solution_config))
        except InvalidHyperParameterError as exc:
            raise CreateFailed(str(exc)) from exc
        check_training_minimums(data)
        seed = self.lifecycle.config.seed

        def score() -> evaluation.Evaluation:
            def train_on(training: TrainingData) -> TrainedModel:
                return train_evaluation_model(self.training_cache, recipe_cls, training, hyperparameters, seed)

            return evaluation.evaluate_recipe(recipe_cls(), data, hyperparameters, seed=seed, train_on=train_on)

        model, scores, _ = train_or_reuse(
            self.training_cache, recipe_cls, data, hyperparameters, seed, score if evaluate else None
        )
        return model, scores

    def _train_version(self, resource: Resource) -> None:
        started = time.monotonic()
        lc = self.lifecycle
        version = from_resource(SolutionVersion, resource)
        base = resource.internal.get("baseVersion")
        model, scores = self.train(
            resource.internal["recipe"], version.solution_config, self.training_data(version), evaluate=not base
        )
        if base:  # UPDATE keeps the metrics of the FULL version it refreshes
            base_version = lc.store.get(base)
            scores = base_version.internal.get("metrics", {}) if base_version else {}
        directory = lc.files.model_dir(resource.internal["modelId"])
        directory.mkdir(parents=True, exist_ok=True)
        model.save(directory)
        with lc.lock:
            current = lc.store.get(resource.arn)
            if current is None:
                return
            current.internal["metrics"] = scores
            current.body["tuned_hpo_params"] = {
                "algorithm_hyper_parameters": wire_hyperparameters(model.hyperparameters)
            }
            current.body["training_hours"] = round((time.monotonic() - started) / 3600, 6)
            lc.store.save(current)


def wire_hyperparameters(used: Mapping[str, str]) -> dict[str, str]:
    """The hyperparameters a model used, as DescribeSolutionVersion may show them (values are at most 1000 chars)."""
    return {str(k): str(v) if len(str(v)) <= MAX_PARAMETER_VALUE else str(v)[: MAX_PARAMETER_VALUE - 3] + "..."
            for k, v in used.items()}  # fmt: skip


def check_training_minimums(data: TrainingData) -> None:
    """Personalize's minimums: 1000 interactions and 25 users with at least 2 interactions each."""
    interactions = data.interactions
    if len(interactions) < MIN_INTERACTIONS:
        raise CreateFailed(
            f"Insufficient data for training: found {len(interactions)} interactions after event filtering, "
            f"at least {MIN_INTERACTIONS} are required"
        )
    per_user = interactions["USER_ID"].value_counts()
    users_with_two = int((per_user >= 2).sum())
    if users_with_two < MIN_USERS_WITH_TWO:
        raise CreateFailed(
            f"Insufficient data for training: found {users_with_two} users with at least 2 interactions, "
            f"at least {MIN_USERS_WITH_TWO} are required"
        )
