"""Dataset groups, schemas, datasets and dataset import jobs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from personalize_local.exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
)
from personalize_local.importer import DataImportError, read_data_location
from personalize_local.models.base import (
    ACTIVE,
    CREATING,
    DELETING,
    TRAINING,
    BackendCore,
    CreateFailed,
    now,
    pick,
    with_token,
)
from personalize_local.schemas import (
    DatasetSchema,
    check_schema_for_dataset_type,
    normalise_dataset_type,
    parse_schema,
)
from personalize_local.store import Resource

_DOMAINS = ("ECOMMERCE", "VIDEO_ON_DEMAND")
_KEY_COLUMN = {"Items": "ITEM_ID", "Users": "USER_ID"}


class DatasetsMixin(BackendCore):
    """CreateDatasetGroup ... DescribeDatasetImportJob."""

    def register_dataset_jobs(self) -> None:
        """Hook the import job and the delete clean-ups into the lifecycle."""
        self.create_jobs["dataset-import-job"] = self._run_import
        self.delete_jobs["dataset"] = self._cleanup_dataset
        self.delete_jobs["dataset-group"] = self._cleanup_dataset_group

    # ------------------------------------------------------------------ dataset groups
    def create_dataset_group(
        self,
        name: str,
        roleArn: str | None = None,
        kmsKeyArn: str | None = None,
        domain: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """CreateDatasetGroup."""
        self.check_name(name)
        if roleArn and not kmsKeyArn:
            raise InvalidInputException("roleArn is only valid together with kmsKeyArn")
        if domain is not None and domain not in _DOMAINS:
            raise InvalidInputException(f"Invalid domain {domain!r}: use {' or '.join(_DOMAINS)}")
        with self.lock:
            self.ensure_unique_name("dataset-group", name)
            live = [g for g in self.store.find("dataset-group") if g.status not in DELETING]
            if len(live) >= self.config.max_dataset_groups:
                raise LimitExceededException(
                    f"At most {self.config.max_dataset_groups} dataset groups per region (delete one first)"
                )
            arn = self.arn(f"dataset-group/{name}")
            body: dict[str, Any] = {"name": name, "datasetGroupArn": arn}
            for key, value in (("roleArn", roleArn), ("kmsKeyArn", kmsKeyArn), ("domain", domain)):
                if value:
                    body[key] = value
            self.create(Resource("dataset-group", arn, name, None, body), tags)
        return {"datasetGroupArn": arn, **({"domain": domain} if domain else {})}

    def describe_dataset_group(self, datasetGroupArn: str) -> dict[str, Any]:
        """DescribeDatasetGroup."""
        return {"datasetGroup": self.get("dataset-group", datasetGroupArn).body}

    def list_dataset_groups(self, nextToken: str | None = None, maxResults: int | None = None) -> dict[str, Any]:
        """ListDatasetGroups."""
        keys = (
            "name",
            "datasetGroupArn",
            "status",
            "creationDateTime",
            "lastUpdatedDateTime",
            "failureReason",
            "domain",
        )
        groups = [pick(g.body, keys) for g in reversed(self.store.find("dataset-group"))]
        page, token = self.paginate(groups, nextToken, maxResults)
        return with_token({"datasetGroups": page}, token)

    def delete_dataset_group(self, datasetGroupArn: str) -> dict[str, Any]:
        """DeleteDatasetGroup: its event trackers, solutions and datasets must be deleted first."""
        with self.lock:
            group = self.get("dataset-group", datasetGroupArn)
            for kind, label in (("event-tracker", "event tracker"), ("solution", "solution"), ("dataset", "dataset")):
                children = self.store.find(kind, parent=group.arn)
                if children:
                    raise ResourceInUseException(
                        f"Cannot delete dataset group {group.arn}: delete its {label}(s) first ({children[0].arn})"
                    )
            self.delete(group)
        return {}

    def _cleanup_dataset_group(self, group: Resource) -> None:
        for flt in self.store.find("filter", parent=group.arn):
            self.store.delete(flt.arn)
        self.store.delete_events(group.arn)
        self.forget_dataset_group(group.arn)

    # ------------------------------------------------------------------ schemas
    def create_schema(self, name: str, schema: str, domain: str | None = None) -> dict[str, Any]:
        """CreateSchema: the Avro JSON is validated as Personalize does."""
        self.check_name(name)
        if domain is not None:
            raise InvalidInputException("Domain schemas are not supported by Personalize Local; omit domain")
        parse_schema(schema)
        with self.lock:
            self.ensure_unique_name("schema", name)
            arn = self.arn(f"schema/{name}")
            stamp = now()
            body = {"name": name, "schemaArn": arn, "schema": schema, "creationDateTime": stamp}
            body["lastUpdatedDateTime"] = stamp
            self.store.insert(Resource("schema", arn, name, None, body))  # schemas have no status: they exist at once
        return {"schemaArn": arn}

    def describe_schema(self, schemaArn: str) -> dict[str, Any]:
        """DescribeSchema."""
        return {"schema": self.get("schema", schemaArn).body}

    def list_schemas(self, nextToken: str | None = None, maxResults: int | None = None) -> dict[str, Any]:
        """ListSchemas."""
        keys = ("name", "schemaArn", "creationDateTime", "lastUpdatedDateTime", "domain")
        schemas = [pick(s.body, keys) for s in reversed(self.store.find("schema"))]
        page, token = self.paginate(schemas, nextToken, maxResults)
        return with_token({"schemas": page}, token)

    def delete_schema(self, schemaArn: str) -> dict[str, Any]:
        """DeleteSchema: not while a dataset uses it. Schemas go at once (they have no status)."""
        with self.lock:
            schema = self.get("schema", schemaArn)
            users = [d for d in self.store.find("dataset") if d.body["schemaArn"] == schema.arn]
            if users:
                raise ResourceInUseException(f"Schema {schema.arn} is used by dataset {users[0].arn}")
            self.store.delete(schema.arn)
        return {}

    def dataset_schema(self, dataset: Resource) -> DatasetSchema:
        """The parsed schema of a dataset."""
        return parse_schema(self.get("schema", dataset.body["schemaArn"]).body["schema"])

    # ------------------------------------------------------------------ datasets
    def create_dataset(
        self,
        name: str,
        schemaArn: str,
        datasetGroupArn: str,
        datasetType: str,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """CreateDataset: one dataset per type in a dataset group; the schema must fit the type."""
        self.check_name(name)
        dataset_type = normalise_dataset_type(datasetType)
        with self.lock:
            group = self.get_active("dataset-group", datasetGroupArn)
            schema = self.get("schema", schemaArn)
            check_schema_for_dataset_type(parse_schema(schema.body["schema"]), dataset_type)
            self.ensure_unique_name("dataset", name, parent=group.arn)
            arn = self.arn(f"dataset/{group.name}/{dataset_type.upper()}")
            if self.store.get(arn) is not None:
                raise ResourceAlreadyExistsException(
                    f"Dataset group {group.arn} already has a {dataset_type} dataset ({arn})"
                )
            body = {
                "name": name,
                "datasetArn": arn,
                "datasetGroupArn": group.arn,
                "datasetType": dataset_type,
                "schemaArn": schema.arn,
            }
            self.create(Resource("dataset", arn, name, group.arn, body, {"id": self.new_id() + self.new_id()}), tags)
        return {"datasetArn": arn}

    def describe_dataset(self, datasetArn: str) -> dict[str, Any]:
        """DescribeDataset (with the event tracker's trackingId on the Interactions dataset)."""
        dataset = self.get("dataset", datasetArn)
        body = dict(dataset.body)
        if body["datasetType"] == "Interactions":
            trackers = self.store.find("event-tracker", parent=body["datasetGroupArn"])
            if trackers:
                body["trackingId"] = trackers[0].body["trackingId"]
        return {"dataset": body}

    def list_datasets(
        self,
        datasetGroupArn: str | None = None,
        nextToken: str | None = None,
        maxResults: int | None = None,
    ) -> dict[str, Any]:
        """ListDatasets."""
        if datasetGroupArn:
            self.get("dataset-group", datasetGroupArn)
        keys = ("name", "datasetArn", "datasetType", "status", "creationDateTime", "lastUpdatedDateTime")
        found = self.store.find("dataset", parent=datasetGroupArn or None)
        page, token = self.paginate([pick(d.body, keys) for d in reversed(found)], nextToken, maxResults)
        return with_token({"datasets": page}, token)

    def delete_dataset(self, datasetArn: str) -> dict[str, Any]:
        """DeleteDataset: not while one of its import jobs or a solution version of its group is being created."""
        with self.lock:
            dataset = self.get("dataset", datasetArn)
            busy = [j for j in self.store.find("dataset-import-job", parent=dataset.arn) if j.status in CREATING]
            busy += [
                v
                for v in self.store.find("solution-version")
                if v.body["datasetGroupArn"] == dataset.body["datasetGroupArn"] and v.status in TRAINING
            ]
            if busy:
                raise ResourceInUseException(f"Cannot delete dataset {dataset.arn} while {busy[0].arn} is in progress")
            self.delete(dataset)
        return {}

    def _cleanup_dataset(self, dataset: Resource) -> None:
        for job in self.store.find("dataset-import-job", parent=dataset.arn):
            self.store.delete(job.arn)
        self.files.delete_dataset(dataset.internal["id"])
        self.store.delete_records(dataset.arn)
        self.forget_dataset_group(dataset.body["datasetGroupArn"])

    def datasets_of(self, group_arn: str) -> dict[str, Resource]:
        """The ACTIVE datasets of a dataset group by type."""
        return {d.body["datasetType"]: d for d in self.store.find("dataset", parent=group_arn) if d.status == ACTIVE}

    # ------------------------------------------------------------------ import jobs
    def create_dataset_import_job(
        self,
        jobName: str,
        datasetArn: str,
        dataSource: dict[str, str],
        roleArn: str | None = None,
        tags: list[dict[str, str]] | None = None,
        importMode: str | None = None,
        publishAttributionMetricsToS3: bool | None = None,
    ) -> dict[str, Any]:
        """CreateDatasetImportJob: FULL (default) replaces the bulk data, INCREMENTAL appends."""
        self.check_name(jobName, "jobName")
        location = (dataSource or {}).get("dataLocation")
        if not location:
            raise InvalidInputException("dataSource.dataLocation is required")
        mode = importMode or "FULL"
        if mode not in ("FULL", "INCREMENTAL"):
            raise InvalidInputException(f"Invalid importMode {importMode!r}: use FULL or INCREMENTAL")
        with self.lock:
            dataset = self.get_active("dataset", datasetArn)
            self.ensure_unique_name("dataset-import-job", jobName)
            running = [j for j in self.store.find("dataset-import-job", parent=dataset.arn) if j.status in CREATING]
            if running:
                raise ResourceInUseException(f"Import job {running[0].arn} into {dataset.arn} is still in progress")
            arn = self.arn(f"dataset-import-job/{jobName}")
            body: dict[str, Any] = {
                "jobName": jobName,
                "datasetImportJobArn": arn,
                "datasetArn": dataset.arn,
                "dataSource": {"dataLocation": location},
                "importMode": mode,
            }
            if roleArn:
                body["roleArn"] = roleArn
            if publishAttributionMetricsToS3 is not None:
                body["publishAttributionMetricsToS3"] = publishAttributionMetricsToS3
            self.create(Resource("dataset-import-job", arn, jobName, dataset.arn, body), tags)
        return {"datasetImportJobArn": arn}

    def describe_dataset_import_job(self, datasetImportJobArn: str) -> dict[str, Any]:
        """DescribeDatasetImportJob."""
        return {"datasetImportJob": self.get("dataset-import-job", datasetImportJobArn).body}

    def list_dataset_import_jobs(
        self,
        datasetArn: str | None = None,
        nextToken: str | None = None,
        maxResults: int | None = None,
    ) -> dict[str, Any]:
        """ListDatasetImportJobs."""
        if datasetArn:
            self.get("dataset", datasetArn)
        keys = (
            "datasetImportJobArn",
            "jobName",
            "status",
            "creationDateTime",
            "lastUpdatedDateTime",
            "failureReason",
            "importMode",
        )
        found = self.store.find("dataset-import-job", parent=datasetArn or None)
        page, token = self.paginate([pick(j.body, keys) for j in reversed(found)], nextToken, maxResults)
        return with_token({"datasetImportJobs": page}, token)

    def _run_import(self, job: Resource) -> None:
        dataset = self.store.get(job.body["datasetArn"])
        if dataset is None:
            raise CreateFailed(f"Dataset {job.body['datasetArn']} no longer exists")
        schema = self.dataset_schema(dataset)
        try:
            frame = read_data_location(job.body["dataSource"]["dataLocation"], schema)
        except DataImportError as exc:
            raise CreateFailed(str(exc)) from exc
        dataset_type = dataset.body["datasetType"]
        if job.body["importMode"] == "INCREMENTAL":
            existing = self.files.read_bulk(dataset.internal["id"])
            if existing is not None:
                frame = pd.concat([existing, frame], ignore_index=True)
        if dataset_type in _KEY_COLUMN:  # a later record replaces an earlier one with the same id
            frame = frame.drop_duplicates(subset=[_KEY_COLUMN[dataset_type]], keep="last")
        with self.lock:
            self.files.write_bulk(dataset.internal["id"], frame.reset_index(drop=True))
        self.forget_dataset_group(dataset.body["datasetGroupArn"])

    def forget_dataset_group(self, group_arn: str) -> None:
        """Drop cached data of a dataset group (overridden by the runtime family)."""
