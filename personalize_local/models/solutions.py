"""Solutions, solution versions (training + Personalize's offline metrics), recipes and algorithms."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from personalize_local import metrics
from personalize_local.exceptions import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from personalize_local.models.base import (
    ACTIVE,
    CREATE_STOPPING,
    CREATING,
    TRAINING,
    BackendCore,
    CreateFailed,
    pick,
    with_token,
)
from personalize_local.models.groupdata import filter_events
from personalize_local.recipes import catalog, registry
from personalize_local.recipes.base import InvalidHyperParameterError, Recipe, TrainingData
from personalize_local.store import Resource
from personalize_local.training_cache import TrainingCache, train_or_reuse

MIN_INTERACTIONS = 1000  # Personalize's training minimums
MIN_USERS_WITH_TWO = 25
MAX_PARAMETER_VALUE = 1000  # botocore's ParameterValue max length
RECIPE_EPOCH = 1546300800.0  # creation time reported for the built-in recipes (2019-01-01)
UPDATE_RECIPES = ("aws-user-personalization", "aws-user-personalization-v2")
_VERSION_SUMMARY = (
    "solutionVersionArn",
    "status",
    "trainingMode",
    "trainingType",
    "creationDateTime",
    "lastUpdatedDateTime",
    "failureReason",
)


def recipe_class(recipe_arn: str) -> type[Recipe]:
    """The recipe of a recipe ARN; ResourceNotFoundException for an unknown one."""
    try:
        return registry.get_recipe(recipe_arn)
    except KeyError as exc:
        raise ResourceNotFoundException(str(exc.args[0]) if exc.args else f"Unknown recipe {recipe_arn}") from None


class SolutionsMixin(BackendCore):
    """CreateSolution ... GetSolutionMetrics, ListRecipes, DescribeRecipe, DescribeAlgorithm."""

    def register_solution_jobs(self) -> None:
        """Hook training and the delete clean-ups into the lifecycle."""
        self.create_jobs["solution-version"] = self._train_version
        self.training_cache = TrainingCache(self.files.training_cache_dir()) if self.config.share_training else None
        self.delete_jobs["solution"] = self._cleanup_solution

    # ------------------------------------------------------------------ solutions
    def create_solution(
        self,
        name: str,
        datasetGroupArn: str,
        recipeArn: str | None = None,
        performHPO: bool | None = None,
        performAutoML: bool | None = None,
        performAutoTraining: bool | None = None,
        performIncrementalUpdate: bool | None = None,
        eventType: str | None = None,
        solutionConfig: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """CreateSolution: the recipe must exist and the hyperparameters must be valid for it."""
        self.check_name(name)
        if performAutoML:
            raise InvalidInputException("performAutoML is not supported (AWS deprecated it); choose a recipeArn")
        if not recipeArn:
            raise InvalidInputException("recipeArn is required")
        recipe = recipe_class(recipeArn)
        config = dict(solutionConfig or {})
        try:
            registry.resolve_hyperparameters(recipe, config)
        except InvalidHyperParameterError as exc:
            raise InvalidInputException(str(exc)) from None
        threshold = config.get("eventValueThreshold")
        if threshold is not None:
            try:
                float(threshold)
            except ValueError:
                raise InvalidInputException(f"eventValueThreshold must be a number, got {threshold!r}") from None
        with self.lock:
            group = self.get_active("dataset-group", datasetGroupArn)
            self.ensure_unique_name("solution", name)
            arn = self.arn(f"solution/{name}")
            body: dict[str, Any] = {
                "name": name,
                "solutionArn": arn,
                "performHPO": bool(performHPO),
                "performAutoML": False,
                "performAutoTraining": True if performAutoTraining is None else performAutoTraining,
                "recipeArn": registry.recipe_arn(recipe),
                "datasetGroupArn": group.arn,
                "solutionConfig": config,
            }
            if performIncrementalUpdate is not None:
                body["performIncrementalUpdate"] = performIncrementalUpdate
            if eventType:
                body["eventType"] = eventType
            self.create(Resource("solution", arn, name, group.arn, body), tags)
        return {"solutionArn": arn}

    def describe_solution(self, solutionArn: str) -> dict[str, Any]:
        """DescribeSolution, with the latest solution version's summary."""
        solution = self.get("solution", solutionArn)
        body = dict(solution.body)
        versions = self.store.find("solution-version", parent=solution.arn)
        if versions:
            body["latestSolutionVersion"] = pick(versions[-1].body, _VERSION_SUMMARY)
        return {"solution": body}

    def list_solutions(
        self, datasetGroupArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        """ListSolutions."""
        if datasetGroupArn:
            self.get("dataset-group", datasetGroupArn)
        keys = ("name", "solutionArn", "status", "creationDateTime", "lastUpdatedDateTime", "recipeArn")
        found = self.store.find("solution", parent=datasetGroupArn or None)
        page, token = self.paginate([pick(s.body, keys) for s in reversed(found)], nextToken, maxResults)
        return with_token({"solutions": page}, token)

    def update_solution(
        self,
        solutionArn: str,
        performAutoTraining: bool | None = None,
        performIncrementalUpdate: bool | None = None,
        solutionUpdateConfig: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """UpdateSolution: records the auto-training settings (Personalize Local never trains on its own)."""
        with self.lock:
            solution = self.get_active("solution", solutionArn)
            if performAutoTraining is not None:
                solution.body["performAutoTraining"] = performAutoTraining
            if performIncrementalUpdate is not None:
                solution.body["performIncrementalUpdate"] = performIncrementalUpdate
            if solutionUpdateConfig and "autoTrainingConfig" in solutionUpdateConfig:
                solution.body["solutionConfig"]["autoTrainingConfig"] = solutionUpdateConfig["autoTrainingConfig"]
            self.store.save(solution)
        return {"solutionArn": solution.arn}

    def delete_solution(self, solutionArn: str) -> dict[str, Any]:
        """DeleteSolution: not while a version trains or a campaign uses one of its versions."""
        with self.lock:
            solution = self.get("solution", solutionArn)
            versions = self.store.find("solution-version", parent=solution.arn)
            training = [v for v in versions if v.status in TRAINING]
            if training:
                raise ResourceInUseException(f"Solution version {training[0].arn} is still being created")
            arns = {v.arn for v in versions}
            for campaign in self.store.find("campaign"):
                used = {campaign.body.get("solutionVersionArn"), campaign.internal.get("deployedVersion")}
                if used & arns:
                    raise ResourceInUseException(
                        f"Cannot delete solution {solution.arn}: campaign {campaign.arn} uses one of its versions"
                    )
            self.delete(solution)
        return {}

    def _cleanup_solution(self, solution: Resource) -> None:
        for version in self.store.find("solution-version", parent=solution.arn):
            self.files.delete_model(version.internal.get("modelId", ""))
            self.store.delete(version.arn)
            self.forget_model(version.arn)

    # ------------------------------------------------------------------ solution versions
    def create_solution_version(
        self,
        solutionArn: str,
        name: str | None = None,
        trainingMode: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """CreateSolutionVersion: FULL trains (and evaluates) on all current data; UPDATE refreshes a FULL version."""
        if name is not None:
            self.check_name(name)
        mode = trainingMode or "FULL"
        if mode == "AUTOTRAIN":
            raise InvalidInputException("trainingMode AUTOTRAIN is set by automatic training only")
        if mode not in ("FULL", "UPDATE"):
            raise InvalidInputException(f"Invalid trainingMode {trainingMode!r}: use FULL or UPDATE")
        with self.lock:
            solution = self.get_active("solution", solutionArn)
            recipe = recipe_class(solution.body["recipeArn"])
            versions = self.store.find("solution-version", parent=solution.arn)
            if name is not None and any(v.name == name for v in versions):
                raise ResourceAlreadyExistsException(f"Solution {solution.arn} already has a version named {name}")
            busy = [v for v in versions if v.status in TRAINING]
            if busy:
                raise ResourceInUseException(f"Solution version {busy[0].arn} of this solution is still being created")
            base = None
            if mode == "UPDATE":
                if recipe.name not in UPDATE_RECIPES:
                    raise InvalidInputException(f"trainingMode UPDATE is not available for recipe {recipe.name}")
                full = [v for v in versions if v.status == ACTIVE and v.body.get("trainingMode") == "FULL"]
                if not full:
                    raise InvalidInputException("trainingMode UPDATE needs an ACTIVE solution version trained FULL")
                base = full[-1].arn
            group_arn = solution.body["datasetGroupArn"]
            if "Interactions" not in self.datasets_of(group_arn):
                raise InvalidInputException(f"Dataset group {group_arn} has no ACTIVE Interactions dataset")
            version_id = self.new_id()
            arn = f"{solution.arn}/{version_id}"
            body: dict[str, Any] = {
                "solutionVersionArn": arn,
                "solutionArn": solution.arn,
                "performHPO": solution.body["performHPO"],
                "performAutoML": False,
                "recipeArn": solution.body["recipeArn"],
                "datasetGroupArn": group_arn,
                "solutionConfig": solution.body["solutionConfig"],
                "trainingMode": mode,
                "trainingType": "MANUAL",
            }
            if name:
                body["name"] = name
            for key in ("eventType", "performIncrementalUpdate"):
                if key in solution.body:
                    body[key] = solution.body[key]
            internal = {"modelId": f"{version_id}-{self.new_id()}", "recipe": recipe.name, "baseVersion": base}
            self.create(Resource("solution-version", arn, name, solution.arn, body, internal), tags)
        return {"solutionVersionArn": arn}

    def describe_solution_version(self, solutionVersionArn: str) -> dict[str, Any]:
        """DescribeSolutionVersion."""
        return {"solutionVersion": self.get("solution-version", solutionVersionArn).body}

    def list_solution_versions(
        self, solutionArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        """ListSolutionVersions."""
        if solutionArn:
            self.get("solution", solutionArn)
        found = self.store.find("solution-version", parent=solutionArn or None)
        page, token = self.paginate([pick(v.body, _VERSION_SUMMARY) for v in reversed(found)], nextToken, maxResults)
        return with_token({"solutionVersions": page}, token)

    def stop_solution_version_creation(self, solutionVersionArn: str) -> dict[str, Any]:
        """StopSolutionVersionCreation: a pending or training version ends CREATE STOPPED (via CREATE STOPPING)."""
        with self.lock:
            version = self.get("solution-version", solutionVersionArn)
            if version.status not in CREATING:
                raise ResourceInUseException(
                    f"Solution version {version.arn} is {version.status}; only a version being created can be stopped"
                )
            self.set_status(version.arn, CREATE_STOPPING)
        return {}

    def get_solution_metrics(self, solutionVersionArn: str) -> dict[str, Any]:
        """GetSolutionMetrics: the metrics computed when the version was trained."""
        version = self.get_active("solution-version", solutionVersionArn)
        return {"solutionVersionArn": version.arn, "metrics": version.internal.get("metrics", {})}

    def training_data(self, solution_body: dict[str, Any]) -> TrainingData:
        """The dataset group's data as the solution trains on it (its eventType / eventValueThreshold applied)."""
        frames = self.group_frames(solution_body["datasetGroupArn"])
        threshold = solution_body.get("solutionConfig", {}).get("eventValueThreshold")
        interactions = filter_events(
            frames.interactions, solution_body.get("eventType"), None if threshold is None else float(threshold)
        )
        return TrainingData(interactions.reset_index(drop=True), frames.items, frames.users)

    def _train_version(self, version: Resource) -> None:
        started = time.monotonic()
        recipe_cls = registry.get_recipe(version.internal["recipe"])
        config = version.body["solutionConfig"]
        try:
            hyperparameters = registry.resolve_hyperparameters(recipe_cls, config)
        except InvalidHyperParameterError as exc:
            raise CreateFailed(str(exc)) from exc
        data = self.training_data(version.body)
        check_training_minimums(data)
        seed = self.config.seed
        base = version.internal.get("baseVersion")
        model, scores, _ = train_or_reuse(
            self.training_cache,
            recipe_cls,
            data,
            hyperparameters,
            seed,
            None if base else lambda: metrics.evaluate_solution(recipe_cls(), data, hyperparameters, seed=seed),
        )
        if base:  # UPDATE keeps the metrics of the FULL version it refreshes
            base_version = self.store.get(base)
            scores = base_version.internal.get("metrics", {}) if base_version else {}
        directory = self.files.model_dir(version.internal["modelId"])
        directory.mkdir(parents=True, exist_ok=True)
        model.save(directory)
        with self.lock:
            current = self.store.get(version.arn)
            if current is None:
                return
            current.internal["metrics"] = scores
            current.body["tunedHPOParams"] = {"algorithmHyperParameters": wire_hyperparameters(model.hyperparameters)}
            current.body["trainingHours"] = round((time.monotonic() - started) / 3600, 6)
            self.store.save(current)

    # ------------------------------------------------------------------ recipes and algorithms
    def list_recipes(
        self,
        recipeProvider: str | None = None,
        nextToken: str | None = None,
        maxResults: int | None = None,
        domain: str | None = None,
    ) -> dict[str, Any]:
        """ListRecipes: the recipes Personalize Local implements."""
        recipes = [] if domain else [self._recipe_body(cls) for cls in registry.all_recipes()]
        keys = ("name", "recipeArn", "status", "creationDateTime", "lastUpdatedDateTime")
        page, token = self.paginate([pick(r, keys) for r in recipes], nextToken, maxResults)
        return with_token({"recipes": page}, token)

    def describe_recipe(self, recipeArn: str) -> dict[str, Any]:
        """DescribeRecipe."""
        return {"recipe": self._recipe_body(recipe_class(recipeArn))}

    @staticmethod
    def _recipe_body(cls: type[Recipe]) -> dict[str, Any]:
        body = catalog.metadata_of(cls).wire()
        return {**body, "status": ACTIVE, "creationDateTime": RECIPE_EPOCH, "lastUpdatedDateTime": RECIPE_EPOCH}

    def describe_algorithm(self, algorithmArn: str) -> dict[str, Any]:
        """DescribeAlgorithm: a recipe's default hyperparameters and their ranges."""
        try:
            cls = catalog.recipe_for_algorithm(algorithmArn)
        except KeyError:
            raise ResourceNotFoundException(f"Could not find algorithm with ARN {algorithmArn}") from None
        ranges: dict[str, list[dict[str, Any]]] = {
            "integerHyperParameterRanges": [],
            "continuousHyperParameterRanges": [],
            "categoricalHyperParameterRanges": [],
        }
        for hp in cls.hyperparameters:
            if hp.kind in ("int", "float") and hp.minimum is not None and hp.maximum is not None:
                key = "integerHyperParameterRanges" if hp.kind == "int" else "continuousHyperParameterRanges"
                cast = int if hp.kind == "int" else float
                ranges[key].append(
                    {
                        "name": hp.name,
                        "minValue": cast(hp.minimum),
                        "maxValue": cast(hp.maximum),
                        "isTunable": hp.tunable,
                    }
                )
            elif hp.kind == "bool" or hp.choices:
                ranges["categoricalHyperParameterRanges"].append(
                    {"name": hp.name, "values": list(hp.choices) or ["true", "false"], "isTunable": hp.tunable}
                )
        algorithm = {
            "name": cls.name,
            "algorithmArn": algorithmArn,
            "algorithmImage": {"name": cls.name, "dockerURI": f"personalize-local/{cls.name}"},
            "defaultHyperParameters": {hp.name: hp.default for hp in cls.hyperparameters},
            "defaultHyperParameterRanges": ranges,
            "defaultResourceConfig": {},
            "trainingInputMode": "File",
            "creationDateTime": RECIPE_EPOCH,
            "lastUpdatedDateTime": RECIPE_EPOCH,
        }
        return {"algorithm": algorithm}


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
