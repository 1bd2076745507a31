"""Delete everything the pipeline made, in dependency order, tolerating what is already gone.

Order (each stage is polled until its resources are gone before the next starts): campaigns -> event tracker
-> filters -> solutions (stopping trainings in progress) -> datasets -> schemas -> dataset group.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from anime_recommender.pipeline.names import ResourceNames
from anime_recommender.pipeline.status import error_code, is_retryable

STAGES = ("campaigns", "event-tracker", "filters", "solutions", "datasets", "schemas", "dataset-group")


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a List* call; [] when the parent was deleted meanwhile (a race cleanup must tolerate)."""
    items: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator(operation).paginate(**kwargs):
            items.extend(page.get(key, []))
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        return []
    return items


class Cleaner:
    """Deletes one stage at a time; every call is safe to repeat."""

    def __init__(self, client: Any, names: ResourceNames) -> None:
        self.client = client
        self.names = names

    def _dataset_group_arn(self) -> str | None:
        for group in _paginate(self.client, "list_dataset_groups", "datasetGroups"):
            if group["name"] == self.names.dataset_group:
                return group["datasetGroupArn"]
        return None

    def _delete(self, label: str, call: Callable[[], Any], deleted: list[str], waiting: list[str]) -> None:
        try:
            call()
            deleted.append(label)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return
            if is_retryable(error):
                waiting.append(f"{label} ({error_code(error)})")
                return
            raise

    def _delete_listed(
        self,
        kind: str,
        resources: list[dict[str, Any]],
        delete: Callable[[str], Any],
        arn_key: str,
        deleted: list[str],
        waiting: list[str],
    ) -> int:
        """Delete every listed resource not already being deleted; return how many were listed (still there)."""
        for resource in resources:
            if not str(resource.get("status", "")).startswith("DELETE"):
                arn = resource[arn_key]
                self._delete(f"{kind} {resource['name']}", lambda a=arn: delete(a), deleted, waiting)
        return len(resources)

    def run_stage(self, stage: str) -> dict[str, Any]:
        """Delete this stage's resources; ``complete`` once none is left."""
        if stage not in STAGES:
            raise ValueError(f"unknown cleanup stage {stage!r}; stages: {', '.join(STAGES)}")
        deleted: list[str] = []
        waiting: list[str] = []
        group_arn = self._dataset_group_arn()
        remaining = 0
        if stage == "schemas":
            pattern = re.compile(rf"^{re.escape(self.names.project)}-(interactions|items)-[0-9a-f]{{8}}$")
            for schema in _paginate(self.client, "list_schemas", "schemas"):
                if pattern.match(schema["name"]):
                    remaining += 1
                    arn = schema["schemaArn"]
                    self._delete(
                        f"schema {schema['name']}",
                        lambda a=arn: self.client.delete_schema(schemaArn=a),
                        deleted,
                        waiting,
                    )
        elif group_arn is None:
            remaining = 0
        elif stage == "campaigns":
            for solution in _paginate(self.client, "list_solutions", "solutions", datasetGroupArn=group_arn):
                campaigns = _paginate(self.client, "list_campaigns", "campaigns", solutionArn=solution["solutionArn"])
                remaining += self._delete_listed(
                    "campaign",
                    campaigns,
                    lambda a: self.client.delete_campaign(campaignArn=a),
                    "campaignArn",
                    deleted,
                    waiting,
                )
        elif stage == "event-tracker":
            trackers = _paginate(self.client, "list_event_trackers", "eventTrackers", datasetGroupArn=group_arn)
            remaining = self._delete_listed(
                "event tracker",
                trackers,
                lambda a: self.client.delete_event_tracker(eventTrackerArn=a),
                "eventTrackerArn",
                deleted,
                waiting,
            )
        elif stage == "filters":
            filters = _paginate(self.client, "list_filters", "Filters", datasetGroupArn=group_arn)
            remaining = self._delete_listed(
                "filter", filters, lambda a: self.client.delete_filter(filterArn=a), "filterArn", deleted, waiting
            )
        elif stage == "solutions":
            for solution in _paginate(self.client, "list_solutions", "solutions", datasetGroupArn=group_arn):
                remaining += 1
                arn = solution["solutionArn"]
                for version in _paginate(self.client, "list_solution_versions", "solutionVersions", solutionArn=arn):
                    if version.get("status") in {"CREATE PENDING", "CREATE IN_PROGRESS"}:
                        version_arn = version["solutionVersionArn"]
                        self._delete(
                            f"training {version_arn.rsplit('/', 1)[-1]} (stopped)",
                            lambda v=version_arn: self.client.stop_solution_version_creation(solutionVersionArn=v),
                            deleted,
                            waiting,
                        )
                if not str(solution.get("status", "")).startswith("DELETE"):
                    self._delete(
                        f"solution {solution['name']}",
                        lambda a=arn: self.client.delete_solution(solutionArn=a),
                        deleted,
                        waiting,
                    )
        elif stage == "datasets":
            datasets = _paginate(self.client, "list_datasets", "datasets", datasetGroupArn=group_arn)
            remaining = self._delete_listed(
                "dataset", datasets, lambda a: self.client.delete_dataset(datasetArn=a), "datasetArn", deleted, waiting
            )
        elif stage == "dataset-group":
            remaining = 1
            self._delete(
                f"dataset group {self.names.dataset_group}",
                lambda: self.client.delete_dataset_group(datasetGroupArn=group_arn),
                deleted,
                waiting,
            )
        return {
            "stage": stage,
            "complete": remaining == 0,
            "deleted": deleted,
            "waitingFor": waiting,
            "remaining": remaining,
        }
