"""Recommenders of domain dataset groups: CreateRecommender ... DeleteRecommender, Stop/Start, Update, and the
retraining that keeps them fresh.

A recommender is one use case of its group's domain (:data:`personalize_local.recipes.use_cases.USE_CASES`),
trained with the use case's engine recipe on the group's data (only its event types) and evaluated like a solution
version; the metrics are ``modelMetrics`` in DescribeRecommender. AWS "automatically retrains the models backing your
recommenders every 7 days ... a full retraining ... based on the entirety of the data in your datasets"
(https://docs.aws.amazon.com/personalize/latest/dg/creating-recommenders.html). Here a scheduler thread owned by the
backend checks every recommender each ``recommender_retrain_seconds`` (default 7 days) and retrains those whose data
changed since their last training (an import, PutEvents, PutItems/PutUsers); the recommender keeps serving its old
model until the new one is ready.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from personalize_local.exceptions import InvalidInputException, LimitExceededException, ResourceInUseException
from personalize_local.models.deployments import Deployments, exploration_config
from personalize_local.models.domain import Page, Recommender, from_resource, to_body
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.groupdata import filter_events
from personalize_local.models.lifecycle import ACTIVE, CREATING, CreateFailed, Lifecycle, logger, now
from personalize_local.models.model_cache import ModelCache
from personalize_local.models.periodic import Periodic
from personalize_local.models.solutions import Solutions
from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.use_cases import UseCase, use_case
from personalize_local.store import MetadataStore, Resource

MAX_RECOMMENDERS_PER_REGION = 15  # https://docs.aws.amazon.com/personalize/latest/dg/creating-recommenders.html
INACTIVE = "INACTIVE"
STOP_STEPS = ("STOP PENDING", "STOP IN_PROGRESS", INACTIVE)
START_STEPS = ("START PENDING", "START IN_PROGRESS", ACTIVE)
_DATASET_TYPES = ("Interactions", "Items", "Users")


def data_token(store: MetadataStore, group_arn: str) -> str:
    """Changes whenever the group's data changes (an import, PutEvents, PutItems/PutUsers)."""
    parts = [str(store.event_count(group_arn))]
    for dataset in store.find("dataset", parent=group_arn):
        jobs = [j for j in store.find("dataset-import-job", parent=dataset.arn) if j.status == ACTIVE]
        parts.append(f"{dataset.arn}:{len(jobs)}:{len(store.records(dataset.arn))}")
    return "|".join(parts)


class Recommenders:
    """CreateRecommender ... DeleteRecommender and the retraining scheduler."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        group_data: GroupDataCache,
        solutions: Solutions,
        models: ModelCache,
        deployments: Deployments,
    ) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        self.solutions = solutions
        self.models = models
        self.deployments = deployments
        self._scheduler = Periodic("recommenders", self.refresh)
        self._training = threading.Lock()  # one recommender (re)training at a time
        lifecycle.register("recommender", create=self._train_first, delete=self._cleanup)

    # ------------------------------------------------------------------ configuration
    @staticmethod
    def _use_case(recipe_arn: str, domain: str | None) -> UseCase:
        try:
            case = use_case(recipe_arn)
        except KeyError:
            raise InvalidInputException(
                f"{recipe_arn} is not a domain use case; use a solution and a campaign"
            ) from None
        if case.domain != domain:
            raise InvalidInputException(
                f"Use case {case.name} belongs to the {case.domain} domain, the dataset group to {domain or 'none'}"
            )
        return case

    @staticmethod
    def _check_config(case: UseCase, config: dict[str, Any]) -> dict[str, Any]:
        """The recommender config with its defaults (``min_recommendation_requests_per_second`` 1)."""
        checked = {"min_recommendation_requests_per_second": 1, **config}
        if config.get("item_exploration_config"):
            if not case.exploration:
                raise InvalidInputException(f"itemExplorationConfig does not apply to the use case {case.name}")
            exploration_config(config)
        excluded = (config.get("training_data_config") or {}).get("excluded_dataset_columns") or {}
        unknown = sorted(set(excluded) - set(_DATASET_TYPES))
        if unknown:
            raise InvalidInputException(f"excludedDatasetColumns keys must be dataset types, got {', '.join(unknown)}")
        return checked

    # ------------------------------------------------------------------ operations
    def create_recommender(
        self,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str,
        recommender_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> Recommender:
        """CreateRecommender: a use case of the group's domain; training starts at once."""
        lc = self.lifecycle
        lc.check_name(name)
        with lc.lock:
            group = lc.get_active("dataset-group", dataset_group_arn)
            case = self._use_case(recipe_arn, group.body.get("domain"))
            config = self._check_config(case, dict(recommender_config or {}))
            datasets = self.group_data.datasets_of(group.arn)
            if "Interactions" not in datasets:
                raise InvalidInputException(f"Dataset group {group.arn} has no ACTIVE Interactions dataset")
            missing = [d for d in case.required_datasets if d not in datasets]
            if missing:
                raise InvalidInputException(f"The use case {case.name} needs ACTIVE {' and '.join(missing)} dataset(s)")
            lc.ensure_unique_name("recommender", name)
            if len(lc.find("recommender")) >= MAX_RECOMMENDERS_PER_REGION:
                raise LimitExceededException(f"At most {MAX_RECOMMENDERS_PER_REGION} recommenders per region")
            recommender = Recommender(
                name=name,
                recommender_arn=lc.arn(f"recommender/{name}"),
                dataset_group_arn=group.arn,
                recipe_arn=case.recipe_arn,
                recommender_config=config,
            )
            internal = {"recipe": case.recipe}
            resource = Resource(
                "recommender", recommender.recommender_arn, name, group.arn, to_body(recommender), internal
            )
            resource = lc.create(resource, tags)
        return from_resource(Recommender, resource)

    def describe_recommender(self, recommender_arn: str) -> Recommender:
        """DescribeRecommender (with ``modelMetrics`` once trained)."""
        return from_resource(Recommender, self.lifecycle.get("recommender", recommender_arn))

    def list_recommenders(
        self, dataset_group_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[Recommender]:
        """ListRecommenders (newest first)."""
        parent = ("dataset-group", dataset_group_arn)
        return self.lifecycle.list_page("recommender", Recommender, next_token, max_results, parent)

    def update_recommender(self, recommender_arn: str, recommender_config: dict[str, Any]) -> Recommender:
        """UpdateRecommender: serves with the old config until the update is ACTIVE (retrains if columns change)."""
        lc = self.lifecycle
        with lc.lock:
            resource = lc.get_active("recommender", recommender_arn)
            update = resource.body.get("latest_recommender_update")
            if update and update["status"] in CREATING:
                raise ResourceInUseException(f"Recommender {resource.arn} has an update in progress")
            group = lc.get("dataset-group", resource.body["dataset_group_arn"])
            case = self._use_case(resource.body["recipe_arn"], group.body.get("domain"))
            config = self._check_config(case, {**resource.body["recommender_config"], **recommender_config})
            stamp = now()
            resource.body["latest_recommender_update"] = {
                "recommender_config": config,
                "status": "CREATE PENDING",
                "creation_date_time": stamp,
                "last_updated_date_time": stamp,
            }
            lc.store.save(resource)
        lc.submit(self._run_update, resource.arn)
        return from_resource(Recommender, resource)

    def stop_recommender(self, recommender_arn: str) -> Recommender:
        """StopRecommender: ACTIVE -> STOP PENDING -> STOP IN_PROGRESS -> INACTIVE (no serving while stopped)."""
        return self._transition(recommender_arn, ACTIVE, STOP_STEPS)

    def start_recommender(self, recommender_arn: str) -> Recommender:
        """StartRecommender: INACTIVE -> START PENDING -> START IN_PROGRESS -> ACTIVE."""
        return self._transition(recommender_arn, INACTIVE, START_STEPS)

    def delete_recommender(self, recommender_arn: str) -> None:
        """DeleteRecommender."""
        with self.lifecycle.lock:
            self.lifecycle.delete(self.lifecycle.get("recommender", recommender_arn))

    # ------------------------------------------------------------------ status machine
    def _transition(self, recommender_arn: str, required: str, steps: tuple[str, ...]) -> Recommender:
        lc = self.lifecycle
        with lc.lock:
            resource = lc.get("recommender", recommender_arn)
            if resource.status != required:
                raise ResourceInUseException(
                    f"Recommender {resource.arn} is {resource.status}; this needs it {required}"
                )
            resource = lc.set_status(resource.arn, steps[0]) or resource
            self.deployments.forget(resource.arn)
        lc.submit(self._run_steps, resource.arn, steps)
        return from_resource(Recommender, resource)

    def _run_steps(self, arn: str, steps: tuple[str, ...]) -> None:
        for step in steps[1:]:
            if self.lifecycle.wait(self.lifecycle.config.step_delay):
                return
            self.lifecycle.set_status(arn, step)

    def _run_update(self, arn: str) -> None:
        lc = self.lifecycle
        self._set_update(arn, "CREATE IN_PROGRESS")
        resource = lc.store.get(arn)
        if resource is None:
            return
        update = resource.body["latest_recommender_update"]
        columns = "training_data_config"
        try:
            if update["recommender_config"].get(columns) != resource.body["recommender_config"].get(columns):
                self._retrain(resource, update["recommender_config"])
        except CreateFailed as exc:
            self._set_update(arn, "CREATE FAILED", str(exc))
            return
        self._set_update(arn, ACTIVE)

    def _set_update(self, arn: str, status: str, failure: str | None = None) -> None:
        def apply(resource: Resource, update: dict[str, Any]) -> None:
            resource.body["recommender_config"] = update["recommender_config"]

        self.lifecycle.set_update_status(arn, "latest_recommender_update", status, failure, apply)
        if status == ACTIVE:
            self.deployments.forget(arn)

    def resume(self) -> None:
        """After a restart: finish stops, starts and updates that were under way."""
        for resource in self.lifecycle.store.find("recommender"):
            for steps in (STOP_STEPS, START_STEPS):
                if resource.status in steps[:-1]:
                    self.lifecycle.submit(self._run_steps, resource.arn, steps[steps.index(resource.status) :])
            update = resource.body.get("latest_recommender_update")
            if update and update["status"] in CREATING:
                self.lifecycle.submit(self._run_update, resource.arn)

    # ------------------------------------------------------------------ training
    def _training_data(self, resource: Resource, config: dict[str, Any]) -> TrainingData:
        """The group's data as the use case trains on it: its event types, without the excluded columns."""
        case = use_case(resource.body["recipe_arn"])
        frames = self.group_data.frames(resource.body["dataset_group_arn"])
        interactions = filter_events(frames.interactions, case.event_type, None)
        excluded = (config.get("training_data_config") or {}).get("excluded_dataset_columns") or {}
        tables = {"Interactions": interactions, "Items": frames.items, "Users": frames.users}
        for dataset_type, columns in excluded.items():
            table = tables.get(dataset_type)
            if table is not None:
                tables[dataset_type] = table.drop(columns=[c for c in columns if c in table.columns])
        return TrainingData(tables["Interactions"].reset_index(drop=True), tables["Items"], tables["Users"])

    def _data_token(self, group_arn: str) -> str:
        return data_token(self.lifecycle.store, group_arn)

    def _retrain(self, resource: Resource, config: dict[str, Any]) -> None:
        """Train a new model for the recommender and swap it in (CreateFailed when the data is not enough)."""
        lc = self.lifecycle
        with self._training:
            token = self._data_token(resource.body["dataset_group_arn"])
            data = self._training_data(resource, config)
            model, scores = self.solutions.train(resource.internal["recipe"], {}, data, evaluate=True)
            model_id = f"rec-{lc.new_id()}-{lc.new_id()}"
            directory = lc.files.model_dir(model_id)
            directory.mkdir(parents=True, exist_ok=True)
            model.save(directory)
        with lc.lock:
            current = lc.store.get(resource.arn)
            if current is None:
                lc.files.delete_model(model_id)
                return
            old = current.internal.get("modelId")
            current.internal.update({"modelId": model_id, "dataToken": token, "trainedAt": time.time()})
            current.body["model_metrics"] = scores
            lc.store.save(current)
        self.models.forget(resource.arn)
        self.deployments.forget(resource.arn)
        if old:
            lc.files.delete_model(old)

    def _train_first(self, resource: Resource) -> None:
        self._retrain(resource, resource.body["recommender_config"])

    def _cleanup(self, resource: Resource) -> None:
        if resource.internal.get("modelId"):
            self.lifecycle.files.delete_model(resource.internal["modelId"])
        self.models.forget(resource.arn)
        self.deployments.forget(resource.arn)

    # ------------------------------------------------------------------ scheduler
    def refresh(self) -> list[str]:
        """Retrain every ACTIVE recommender that is due and whose data changed; the ARNs retrained."""
        interval = self.lifecycle.config.recommender_retrain_seconds
        retrained = []
        for resource in self.lifecycle.store.find("recommender"):
            if resource.status != ACTIVE or "modelId" not in resource.internal:
                continue
            due = time.time() - resource.internal.get("trainedAt", 0.0) >= interval
            if not due or self._data_token(resource.body["dataset_group_arn"]) == resource.internal.get("dataToken"):
                continue
            try:
                self._retrain(resource, resource.body["recommender_config"])
                retrained.append(resource.arn)
            except CreateFailed as exc:  # not enough data any more: keep serving the old model
                logger.warning("retraining %s skipped: %s", resource.arn, exc)
        return retrained

    def start(self) -> None:
        """Start the retraining scheduler (a daemon thread that ends with the backend)."""
        self._scheduler.start(min(self.lifecycle.config.recommender_retrain_seconds, 3600.0))

    def stop(self) -> None:
        """Stop the scheduler (a retraining under way finishes first)."""
        self._scheduler.stop()
