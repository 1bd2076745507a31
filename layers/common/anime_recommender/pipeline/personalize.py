"""Describe-or-create for every Personalize resource the pipeline owns.

Each ``ensure_*`` finds the resource by its deterministic name (see :mod:`names`); when it is missing it creates
it; when it exists but differs from what the config asks for it raises :class:`ResourceMismatchError` instead of
silently reusing it. ``LimitExceededException`` / ``ResourceInUseException`` on a create or update are not errors:
the returned state is PENDING with a note, and the state machine's Wait loop tries again later.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from anime_recommender.pipeline.config import CampaignSettings, RecipeSettings
from anime_recommender.pipeline.errors import ResourceMismatchError
from anime_recommender.pipeline.names import ResourceNames
from anime_recommender.pipeline.status import ResourceState, error_code, is_retryable, phase_of


def _already_exists(error: ClientError) -> bool:
    return error_code(error) == "ResourceAlreadyExistsException"


def _back_off(
    kind: str, name: str, error: ClientError, arn: str | None = None, status: str | None = None
) -> ResourceState:
    return ResourceState(kind, name, arn, status or "WAITING", note=f"backing off: {error_code(error)}")


class PersonalizeResources:
    """The pipeline's Personalize resources for one project."""

    def __init__(self, client: Any, names: ResourceNames, role_arn: str) -> None:
        self.client = client
        self.names = names
        self.role_arn = role_arn

    # ---------------------------------------------------------------- lookup
    def _find(self, operation: str, result_key: str, name: str, name_key: str = "name", **kwargs: Any) -> dict | None:
        for page in self.client.get_paginator(operation).paginate(**kwargs):
            for summary in page.get(result_key, []):
                if summary.get(name_key) == name:
                    return summary
        return None

    # ---------------------------------------------------------------- dataset group, schemas, datasets
    def ensure_dataset_group(self) -> ResourceState:
        """The project's dataset group (custom domain)."""
        name = self.names.dataset_group
        found = self._find("list_dataset_groups", "datasetGroups", name)
        if found is None:
            try:
                arn = self.client.create_dataset_group(name=name)["datasetGroupArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("dataset group", name, error)
                if not _already_exists(error):
                    raise
                return self.ensure_dataset_group()
        else:
            arn = found["datasetGroupArn"]
        described = self.client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
        if described.get("domain"):
            raise ResourceMismatchError(
                f"dataset group {name} exists with domain {described['domain']}, but the pipeline needs a custom "
                "dataset group (no domain); delete it with the cleanup state machine or change ProjectName"
            )
        return ResourceState("dataset group", name, arn, described["status"], described.get("failureReason"))

    def ensure_schema(self, dataset_type: str, schema_json: str) -> str:
        """The schema for ``schema_json``; its name carries a hash of the content, so a changed schema is new."""
        name = self.names.schema(dataset_type, schema_json)
        found = self._find("list_schemas", "schemas", name)
        if found is None:
            try:
                return self.client.create_schema(name=name, schema=schema_json)["schemaArn"]
            except ClientError as error:
                if not _already_exists(error):
                    raise
                found = self._find("list_schemas", "schemas", name)
                assert found is not None
        arn = found["schemaArn"]
        existing = self.client.describe_schema(schemaArn=arn)["schema"]
        if json.loads(existing["schema"]) != json.loads(schema_json):
            raise ResourceMismatchError(
                f"schema {name} exists with different fields than this drop's {dataset_type} schema"
            )
        return arn

    def ensure_dataset(self, dataset_group_arn: str, dataset_type: str, schema_arn: str) -> ResourceState:
        """The dataset of ``dataset_type`` (Interactions / Items) in the dataset group, using ``schema_arn``."""
        name = self.names.dataset(dataset_type)
        found = self._find("list_datasets", "datasets", name, datasetGroupArn=dataset_group_arn)
        if found is None:
            try:
                arn = self.client.create_dataset(
                    name=name, schemaArn=schema_arn, datasetGroupArn=dataset_group_arn, datasetType=dataset_type
                )["datasetArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("dataset", name, error)
                if not _already_exists(error):
                    raise
                return self.ensure_dataset(dataset_group_arn, dataset_type, schema_arn)
        else:
            arn = found["datasetArn"]
        described = self.client.describe_dataset(datasetArn=arn)["dataset"]
        if described["schemaArn"] != schema_arn:
            raise ResourceMismatchError(
                f"dataset {name} uses schema {described['schemaArn'].rsplit('/', 1)[-1]}, but this drop's "
                f"{dataset_type.lower()} need schema {schema_arn.rsplit('/', 1)[-1]} (the columns changed, e.g. "
                "anime_with_synopsis.csv was added or removed). A dataset keeps its schema: make the drop match "
                "the previous drops, or delete the Personalize resources with the cleanup state machine"
            )
        return ResourceState("dataset", name, arn, described["status"], described.get("failureReason"))

    # ---------------------------------------------------------------- imports
    def ensure_import_job(
        self,
        dataset_arn: str,
        dataset_type: str,
        content_hash: str,
        data_location: str,
        import_mode: str,
        known_arn: str | None = None,
    ) -> ResourceState:
        """The import job of this drop's content into the dataset, started once (``known_arn`` None), then followed.

        At the start, an existing job named for this content is reused only while it is the dataset's newest import
        (a retry of the same drop); if another drop imported since, or it failed, the data is imported again as
        ``<name>-2``, ``-3``...
        """
        if known_arn is not None:
            job = self.client.describe_dataset_import_job(datasetImportJobArn=known_arn)["datasetImportJob"]
            return ResourceState("import job", job["jobName"], known_arn, job["status"], job.get("failureReason"))
        base_name = self.names.import_job(dataset_type, content_hash)
        jobs = []
        for page in self.client.get_paginator("list_dataset_import_jobs").paginate(datasetArn=dataset_arn):
            jobs.extend(page.get("datasetImportJobs", []))
        newest = max(jobs, key=lambda job: job["creationDateTime"], default=None)
        by_name = {job["jobName"]: job for job in jobs}
        name, arn = base_name, None
        for attempt in range(1, 10):
            name = base_name if attempt == 1 else f"{base_name}-{attempt}"
            found = by_name.get(name)
            if found is None:
                break
            if found is newest and phase_of(found.get("status")) != "FAILED":
                arn = found["datasetImportJobArn"]
                break
        if arn is None:
            try:
                arn = self.client.create_dataset_import_job(
                    jobName=name,
                    datasetArn=dataset_arn,
                    dataSource={"dataLocation": data_location},
                    roleArn=self.role_arn,
                    importMode=import_mode,
                )["datasetImportJobArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("import job", name, error)
                raise
        job = self.client.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
        return ResourceState("import job", name, arn, job["status"], job.get("failureReason"))

    # ---------------------------------------------------------------- solutions
    def _solution_request(self, dataset_group_arn: str, recipe: RecipeSettings) -> dict[str, Any]:
        solution_config: dict[str, Any] = {}
        if recipe.algorithmHyperParameters:
            solution_config["algorithmHyperParameters"] = dict(recipe.algorithmHyperParameters)
        if recipe.featureTransformationParameters:
            solution_config["featureTransformationParameters"] = dict(recipe.featureTransformationParameters)
        if recipe.eventValueThreshold is not None:
            solution_config["eventValueThreshold"] = recipe.eventValueThreshold
        request: dict[str, Any] = {
            "name": self.names.solution(recipe.key),
            "datasetGroupArn": dataset_group_arn,
            "recipeArn": recipe.recipeArn,
            "performAutoTraining": False,  # the pipeline trains; automatic training would bypass the gate
        }
        if recipe.eventType:
            request["eventType"] = recipe.eventType
        if solution_config:
            request["solutionConfig"] = solution_config
        return request

    def _check_solution(self, described: dict[str, Any], request: dict[str, Any]) -> None:
        differences = []
        if described.get("recipeArn") != request["recipeArn"]:
            differences.append(f"recipe {described.get('recipeArn')} (config: {request['recipeArn']})")
        if described.get("performAutoTraining", True):
            differences.append("performAutoTraining true (the pipeline needs false)")
        if (described.get("eventType") or None) != request.get("eventType"):
            differences.append(f"eventType {described.get('eventType')!r} (config: {request.get('eventType')!r})")
        existing_config = described.get("solutionConfig") or {}
        wanted_config = request.get("solutionConfig") or {}
        for section in ("algorithmHyperParameters", "featureTransformationParameters"):
            have = existing_config.get(section) or {}
            for key, value in (wanted_config.get(section) or {}).items():
                if str(have.get(key)) != str(value):
                    differences.append(f"{section}.{key}={have.get(key)!r} (config: {value!r})")
        if str(existing_config.get("eventValueThreshold")) != str(wanted_config.get("eventValueThreshold")) and (
            "eventValueThreshold" in wanted_config or existing_config.get("eventValueThreshold") is not None
        ):
            differences.append(
                f"eventValueThreshold {existing_config.get('eventValueThreshold')!r} "
                f"(config: {wanted_config.get('eventValueThreshold')!r})"
            )
        if differences:
            raise ResourceMismatchError(
                f"solution {request['name']} exists but differs from the config: {'; '.join(differences)}. "
                "Solutions cannot be changed: give the recipe a new key in config.json, or delete the solution "
                "with the cleanup state machine"
            )

    def ensure_solution(self, dataset_group_arn: str, recipe: RecipeSettings) -> ResourceState:
        """The recipe's solution, created with ``performAutoTraining=false``."""
        request = self._solution_request(dataset_group_arn, recipe)
        name = request["name"]
        found = self._find("list_solutions", "solutions", name, datasetGroupArn=dataset_group_arn)
        if found is None:
            try:
                arn = self.client.create_solution(**request)["solutionArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("solution", name, error)
                if not _already_exists(error):
                    raise
                return self.ensure_solution(dataset_group_arn, recipe)
        else:
            arn = found["solutionArn"]
        described = self.client.describe_solution(solutionArn=arn)["solution"]
        self._check_solution(described, request)
        return ResourceState("solution", name, arn, described["status"], described.get("failureReason"))

    def _versions_by_name(self, solution_arn: str) -> dict[str, dict[str, Any]]:
        versions: dict[str, dict[str, Any]] = {}
        for page in self.client.get_paginator("list_solution_versions").paginate(solutionArn=solution_arn):
            for summary in page.get("solutionVersions", []):
                arn = summary["solutionVersionArn"]
                described = self.client.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]
                if described.get("name"):
                    versions.setdefault(described["name"], described)
        return versions

    def ensure_solution_version(self, solution_arn: str, content_hash: str, known_arn: str | None) -> ResourceState:
        """This drop's FULL training of the solution: found or created once, then described on every poll.

        The version is named after the drop content, so a re-run of the same content (e.g. after another recipe
        failed) reuses a version that trained or is training; a FAILED one is retried under ``<name>-2``, ``-3``...
        """
        base_name = self.names.solution_version(content_hash)
        name = base_name
        if known_arn is None:
            existing = self._versions_by_name(solution_arn)
            for attempt in range(1, 10):
                name = base_name if attempt == 1 else f"{base_name}-{attempt}"
                found = existing.get(name)
                if found is None:
                    break
                if phase_of(found.get("status")) != "FAILED":
                    known_arn = found["solutionVersionArn"]
                    break
        if known_arn is None:
            try:
                known_arn = self.client.create_solution_version(
                    solutionArn=solution_arn, name=name, trainingMode="FULL"
                )["solutionVersionArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("solution version", name, error)
                raise
        version = self.client.describe_solution_version(solutionVersionArn=known_arn)["solutionVersion"]
        name = version.get("name") or name
        return ResourceState("solution version", name, known_arn, version["status"], version.get("failureReason"))

    def solution_metrics(self, solution_version_arn: str) -> dict[str, float]:
        """GetSolutionMetrics for one version."""
        metrics = self.client.get_solution_metrics(solutionVersionArn=solution_version_arn).get("metrics", {})
        return {key: float(value) for key, value in metrics.items()}

    # ---------------------------------------------------------------- campaigns
    def find_campaign(self, solution_arn: str, recipe_key: str) -> dict[str, Any] | None:
        """The recipe's campaign as DescribeCampaign returns it, or None."""
        name = self.names.campaign(recipe_key)
        found = self._find("list_campaigns", "campaigns", name, solutionArn=solution_arn)
        if found is None:
            return None
        return self.client.describe_campaign(campaignArn=found["campaignArn"])["campaign"]

    def live_solution_version(self, solution_arn: str, recipe_key: str) -> str | None:
        """The solution version the recipe's campaign serves now (None when there is no ACTIVE campaign)."""
        campaign = self.find_campaign(solution_arn, recipe_key)
        if campaign is None or phase_of(campaign.get("status")) != "ACTIVE":
            return None
        return campaign.get("solutionVersionArn")

    @staticmethod
    def campaign_config(recipe: RecipeSettings, settings: CampaignSettings) -> dict[str, Any]:
        """campaignConfig for the recipe: item exploration for user-personalization only."""
        if "user-personalization" not in recipe.recipeArn:
            return {}
        return {
            "itemExplorationConfig": {
                "explorationWeight": f"{settings.explorationWeight:g}",
                "explorationItemAgeCutOff": str(settings.explorationItemAgeCutOff),
            }
        }

    def ensure_campaign(
        self, solution_arn: str, recipe: RecipeSettings, solution_version_arn: str, settings: CampaignSettings
    ) -> ResourceState:
        """Create the recipe's campaign on ``solution_version_arn``, or update it to that version.

        The state follows ``latestCampaignUpdate`` while an update runs. A failed update leaves the campaign
        serving its previous version (Personalize's behaviour) and is reported as FAILED.
        """
        name = self.names.campaign(recipe.key)
        config = self.campaign_config(recipe, settings)
        campaign = self.find_campaign(solution_arn, recipe.key)
        if campaign is None:
            request: dict[str, Any] = {
                "name": name,
                "solutionVersionArn": solution_version_arn,
                "minProvisionedTPS": settings.minProvisionedTPS,
            }
            if config:
                request["campaignConfig"] = config
            try:
                arn = self.client.create_campaign(**request)["campaignArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("campaign", name, error)
                if not _already_exists(error):
                    raise
                return self.ensure_campaign(solution_arn, recipe, solution_version_arn, settings)
            campaign = self.client.describe_campaign(campaignArn=arn)["campaign"]
            return ResourceState("campaign", name, arn, campaign["status"], campaign.get("failureReason"))

        arn = campaign["campaignArn"]
        update = campaign.get("latestCampaignUpdate")
        if update and update.get("solutionVersionArn") == solution_version_arn:
            return ResourceState("campaign", name, arn, update.get("status"), update.get("failureReason"))
        if campaign.get("solutionVersionArn") == solution_version_arn and not update:
            return ResourceState("campaign", name, arn, campaign["status"], campaign.get("failureReason"))
        if phase_of(campaign.get("status")) == "PENDING" or (update and phase_of(update.get("status")) == "PENDING"):
            return ResourceState("campaign", name, arn, "WAITING", note="another create/update is still running")
        request = {
            "campaignArn": arn,
            "solutionVersionArn": solution_version_arn,
            "minProvisionedTPS": settings.minProvisionedTPS,
        }
        if config:
            request["campaignConfig"] = config
        try:
            self.client.update_campaign(**request)
        except ClientError as error:
            if is_retryable(error):
                return _back_off("campaign", name, error, arn)
            raise
        campaign = self.client.describe_campaign(campaignArn=arn)["campaign"]
        update = campaign.get("latestCampaignUpdate") or {}
        return ResourceState(
            "campaign", name, arn, update.get("status", campaign["status"]), update.get("failureReason")
        )

    # ---------------------------------------------------------------- event tracker, filters
    def ensure_event_tracker(self, dataset_group_arn: str) -> tuple[ResourceState, str | None]:
        """The dataset group's event tracker (Personalize allows one per group) and its tracking id."""
        name = self.names.event_tracker
        trackers = []
        for page in self.client.get_paginator("list_event_trackers").paginate(datasetGroupArn=dataset_group_arn):
            trackers.extend(page.get("eventTrackers", []))
        if not trackers:
            try:
                arn = self.client.create_event_tracker(name=name, datasetGroupArn=dataset_group_arn)["eventTrackerArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("event tracker", name, error), None
                if not _already_exists(error):
                    raise
                return self.ensure_event_tracker(dataset_group_arn)
        else:
            chosen = next((t for t in trackers if t.get("name") == name), trackers[0])
            arn, name = chosen["eventTrackerArn"], chosen.get("name", name)
        tracker = self.client.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]
        return ResourceState("event tracker", name, arn, tracker["status"]), tracker.get("trackingId")

    def ensure_filter(self, dataset_group_arn: str, filter_key: str, expression: str) -> ResourceState:
        """One parameterised filter; another expression under the same name is a mismatch (filters are immutable)."""
        name = self.names.filter(filter_key)
        found = self._find("list_filters", "Filters", name, datasetGroupArn=dataset_group_arn)
        if found is None:
            try:
                arn = self.client.create_filter(
                    name=name, datasetGroupArn=dataset_group_arn, filterExpression=expression
                )["filterArn"]
            except ClientError as error:
                if is_retryable(error):
                    return _back_off("filter", name, error)
                if not _already_exists(error):
                    raise
                return self.ensure_filter(dataset_group_arn, filter_key, expression)
        else:
            arn = found["filterArn"]
        described = self.client.describe_filter(filterArn=arn)["filter"]
        if described.get("filterExpression") != expression:
            raise ResourceMismatchError(
                f"filter {name} exists with expression {described.get('filterExpression')!r}, expected "
                f"{expression!r}; filters cannot be changed: delete it with the cleanup state machine"
            )
        return ResourceState("filter", name, arn, described["status"], described.get("failureReason"))
