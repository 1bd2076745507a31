"""Dataset groups, schemas, datasets and dataset import jobs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from personalize_local.domains import DOMAINS, check_domain_schema
from personalize_local.exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
)
from personalize_local.importer import DataImportError, read_data_location
from personalize_local.models.domain import (
    Dataset,
    DatasetGroup,
    DatasetImportJob,
    Page,
    Schema,
    from_resource,
    to_body,
)
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.lifecycle import CREATING, DELETING, TRAINING, CreateFailed, Lifecycle, now
from personalize_local.schemas import (
    DatasetSchema,
    check_schema_for_dataset_type,
    normalise_dataset_type,
    parse_schema,
)
from personalize_local.store import Resource

_KEY_COLUMN = {"Items": "ITEM_ID", "Users": "USER_ID", "Actions": "ACTION_ID"}


class DatasetGroups:
    """CreateDatasetGroup ... DescribeDatasetImportJob."""

    def __init__(self, lifecycle: Lifecycle, group_data: GroupDataCache) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        lifecycle.register("dataset-import-job", create=self._run_import)
        lifecycle.register("dataset", delete=self._cleanup_dataset)
        lifecycle.register("dataset-group", delete=self._cleanup_dataset_group)

    # ------------------------------------------------------------------ dataset groups
    def create_dataset_group(
        self,
        name: str,
        role_arn: str | None = None,
        kms_key_arn: str | None = None,
        domain: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> DatasetGroup:
        """CreateDatasetGroup."""
        lc = self.lifecycle
        lc.check_name(name)
        if role_arn and not kms_key_arn:
            raise InvalidInputException("roleArn is only valid together with kmsKeyArn")
        if domain is not None and domain not in DOMAINS:
            raise InvalidInputException(f"Invalid domain {domain!r}: use {' or '.join(DOMAINS)}")
        with lc.lock:
            lc.ensure_unique_name("dataset-group", name)
            live = [g for g in lc.find("dataset-group") if g.status not in DELETING]
            if len(live) >= lc.config.max_dataset_groups:
                raise LimitExceededException(
                    f"At most {lc.config.max_dataset_groups} dataset groups per region (delete one first)"
                )
            group = DatasetGroup(
                name=name,
                dataset_group_arn=lc.arn(f"dataset-group/{name}"),
                role_arn=role_arn or None,
                kms_key_arn=kms_key_arn or None,
                domain=domain or None,
            )
            resource = lc.create(Resource("dataset-group", group.dataset_group_arn, name, None, to_body(group)), tags)
        return from_resource(DatasetGroup, resource)

    def describe_dataset_group(self, dataset_group_arn: str) -> DatasetGroup:
        """DescribeDatasetGroup."""
        return from_resource(DatasetGroup, self.lifecycle.get("dataset-group", dataset_group_arn))

    def list_dataset_groups(self, next_token: str | None = None, max_results: int | None = None) -> Page[DatasetGroup]:
        """ListDatasetGroups (newest first)."""
        return self.lifecycle.list_page("dataset-group", DatasetGroup, next_token, max_results)

    def delete_dataset_group(self, dataset_group_arn: str) -> None:
        """DeleteDatasetGroup: its event trackers, recommenders, solutions and datasets must be deleted first."""
        lc = self.lifecycle
        with lc.lock:
            group = lc.get("dataset-group", dataset_group_arn)
            for kind in ("event-tracker", "recommender", "solution", "dataset"):
                children = lc.store.find(kind, parent=group.arn)
                if children:
                    raise ResourceInUseException(
                        f"Cannot delete dataset group {group.arn}: delete its {kind.replace('-', ' ')}(s) first "
                        f"({children[0].arn})"
                    )
            lc.delete(group)

    def _cleanup_dataset_group(self, group: Resource) -> None:
        for flt in self.lifecycle.store.find("filter", parent=group.arn):
            self.lifecycle.store.delete(flt.arn)
        self.lifecycle.store.delete_events(group.arn)
        self.group_data.forget(group.arn)

    # ------------------------------------------------------------------ schemas
    def create_schema(self, name: str, schema: str, domain: str | None = None) -> Schema:
        """CreateSchema: the Avro JSON is validated as Personalize does."""
        lc = self.lifecycle
        lc.check_name(name)
        parsed = parse_schema(schema)
        if domain is not None:
            if domain not in DOMAINS:
                raise InvalidInputException(f"Invalid domain {domain!r}: use {' or '.join(DOMAINS)}")
            if parsed.record_name in ("Interactions", "Items", "Users"):
                check_domain_schema(parsed, parsed.record_name, domain)
        with lc.lock:
            lc.ensure_unique_name("schema", name)
            stamp = now()
            created = Schema(
                name=name,
                schema_arn=lc.arn(f"schema/{name}"),
                schema=schema,
                creation_date_time=stamp,
                last_updated_date_time=stamp,
                domain=domain,
            )
            # schemas have no status: they exist at once
            lc.store.insert(Resource("schema", created.schema_arn, name, None, to_body(created)))
        return created

    def describe_schema(self, schema_arn: str) -> Schema:
        """DescribeSchema."""
        return from_resource(Schema, self.lifecycle.get("schema", schema_arn))

    def list_schemas(self, next_token: str | None = None, max_results: int | None = None) -> Page[Schema]:
        """ListSchemas (newest first)."""
        return self.lifecycle.list_page("schema", Schema, next_token, max_results)

    def delete_schema(self, schema_arn: str) -> None:
        """DeleteSchema: not while a dataset uses it. Schemas go at once (they have no status)."""
        lc = self.lifecycle
        with lc.lock:
            schema = lc.get("schema", schema_arn)
            users = [d for d in lc.store.find("dataset") if d.body["schema_arn"] == schema.arn]
            if users:
                raise ResourceInUseException(f"Schema {schema.arn} is used by dataset {users[0].arn}")
            lc.store.delete(schema.arn)

    # ------------------------------------------------------------------ datasets
    def create_dataset(
        self,
        name: str,
        schema_arn: str,
        dataset_group_arn: str,
        dataset_type: str,
        tags: list[dict[str, str]] | None = None,
    ) -> Dataset:
        """CreateDataset: one dataset per type in a dataset group; the schema must fit the type."""
        lc = self.lifecycle
        lc.check_name(name)
        normalised = normalise_dataset_type(dataset_type)
        with lc.lock:
            group = lc.get_active("dataset-group", dataset_group_arn)
            schema = lc.get("schema", schema_arn)
            parsed = parse_schema(schema.body["schema"])
            check_schema_for_dataset_type(parsed, normalised)
            self._check_domain(group, schema, parsed, normalised)
            lc.ensure_unique_name("dataset", name, parent=group.arn)
            arn = lc.arn(f"dataset/{group.name}/{normalised.upper()}")
            if lc.store.get(arn) is not None:
                raise ResourceAlreadyExistsException(
                    f"Dataset group {group.arn} already has a {normalised} dataset ({arn})"
                )
            dataset = Dataset(
                name=name, dataset_arn=arn, dataset_group_arn=group.arn, dataset_type=normalised, schema_arn=schema.arn
            )
            internal = {"id": lc.new_id() + lc.new_id()}
            resource = lc.create(Resource("dataset", arn, name, group.arn, to_body(dataset), internal), tags)
        return from_resource(Dataset, resource)

    @staticmethod
    def _check_domain(group: Resource, schema: Resource, parsed: DatasetSchema, dataset_type: str) -> None:
        """A domain dataset group takes schemas of its domain only, with the domain's required fields
        (https://docs.aws.amazon.com/personalize/latest/dg/VIDEO-ON-DEMAND-datasets-and-schemas.html)."""
        group_domain, schema_domain = group.body.get("domain"), schema.body.get("domain")
        if group_domain != schema_domain:
            raise InvalidInputException(
                f"Schema {schema.arn} is for domain {schema_domain or 'none (custom)'}, dataset group {group.arn} "
                f"for domain {group_domain or 'none (custom)'}: they must match"
            )
        if group_domain:
            check_domain_schema(parsed, dataset_type, group_domain)

    def describe_dataset(self, dataset_arn: str) -> Dataset:
        """DescribeDataset (with the event tracker's trackingId on the Interactions dataset)."""
        dataset = from_resource(Dataset, self.lifecycle.get("dataset", dataset_arn))
        if dataset.dataset_type == "Interactions":
            trackers = self.lifecycle.store.find("event-tracker", parent=dataset.dataset_group_arn)
            if trackers:
                dataset.tracking_id = trackers[0].body["tracking_id"]
        return dataset

    def list_datasets(
        self, dataset_group_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[Dataset]:
        """ListDatasets (newest first)."""
        parent = ("dataset-group", dataset_group_arn)
        return self.lifecycle.list_page("dataset", Dataset, next_token, max_results, parent)

    def delete_dataset(self, dataset_arn: str) -> None:
        """DeleteDataset: not while one of its import jobs or a solution version of its group is being created."""
        lc = self.lifecycle
        with lc.lock:
            dataset = lc.get("dataset", dataset_arn)
            busy = [j for j in lc.store.find("dataset-import-job", parent=dataset.arn) if j.status in CREATING]
            busy += [
                v
                for v in lc.store.find("solution-version")
                if v.body["dataset_group_arn"] == dataset.body["dataset_group_arn"] and v.status in TRAINING
            ]
            if busy:
                raise ResourceInUseException(f"Cannot delete dataset {dataset.arn} while {busy[0].arn} is in progress")
            lc.delete(dataset)

    def _cleanup_dataset(self, dataset: Resource) -> None:
        store = self.lifecycle.store
        for job in store.find("dataset-import-job", parent=dataset.arn):
            store.delete(job.arn)
        self.lifecycle.files.delete_dataset(dataset.internal["id"])
        store.delete_records(dataset.arn)
        self.group_data.forget(dataset.body["dataset_group_arn"])

    # ------------------------------------------------------------------ import jobs
    def create_dataset_import_job(
        self,
        job_name: str,
        dataset_arn: str,
        data_source: dict[str, Any],
        role_arn: str | None = None,
        tags: list[dict[str, str]] | None = None,
        import_mode: str | None = None,
        publish_attribution_metrics_to_s3: bool | None = None,
    ) -> DatasetImportJob:
        """CreateDatasetImportJob: FULL (default) replaces the bulk data, INCREMENTAL appends."""
        lc = self.lifecycle
        lc.check_name(job_name, "jobName")
        location = (data_source or {}).get("data_location")
        if not location:
            raise InvalidInputException("dataSource.dataLocation is required")
        mode = import_mode or "FULL"
        if mode not in ("FULL", "INCREMENTAL"):
            raise InvalidInputException(f"Invalid importMode {import_mode!r}: use FULL or INCREMENTAL")
        with lc.lock:
            dataset = lc.get_active("dataset", dataset_arn)
            lc.ensure_unique_name("dataset-import-job", job_name)
            running = [j for j in lc.store.find("dataset-import-job", parent=dataset.arn) if j.status in CREATING]
            if running:
                raise ResourceInUseException(f"Import job {running[0].arn} into {dataset.arn} is still in progress")
            job = DatasetImportJob(
                job_name=job_name,
                dataset_import_job_arn=lc.arn(f"dataset-import-job/{job_name}"),
                dataset_arn=dataset.arn,
                data_source={"data_location": location},
                import_mode=mode,
                role_arn=role_arn or None,
                publish_attribution_metrics_to_s3=publish_attribution_metrics_to_s3,
            )
            resource = Resource("dataset-import-job", job.dataset_import_job_arn, job_name, dataset.arn, to_body(job))
            resource = lc.create(resource, tags)
        return from_resource(DatasetImportJob, resource)

    def describe_dataset_import_job(self, dataset_import_job_arn: str) -> DatasetImportJob:
        """DescribeDatasetImportJob."""
        return from_resource(DatasetImportJob, self.lifecycle.get("dataset-import-job", dataset_import_job_arn))

    def list_dataset_import_jobs(
        self, dataset_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[DatasetImportJob]:
        """ListDatasetImportJobs (newest first)."""
        parent = ("dataset", dataset_arn)
        return self.lifecycle.list_page("dataset-import-job", DatasetImportJob, next_token, max_results, parent)

    def _run_import(self, job: Resource) -> None:
        lc = self.lifecycle
        dataset = lc.store.get(job.body["dataset_arn"])
        if dataset is None:
            raise CreateFailed(f"Dataset {job.body['dataset_arn']} no longer exists")
        schema = self.group_data.dataset_schema(dataset)
        try:
            frame = read_data_location(job.body["data_source"]["data_location"], schema, lc.files.scratch_dir())
        except DataImportError as exc:
            raise CreateFailed(str(exc)) from exc
        dataset_type = dataset.body["dataset_type"]
        if job.body["import_mode"] == "INCREMENTAL":  # appended to the data before this job: resuming is idempotent
            existing = lc.files.bulk_before_import(dataset.internal["id"], job.name)
            if existing is not None:
                frame = pd.concat([existing, frame], ignore_index=True)
        if dataset_type in _KEY_COLUMN:  # a later record replaces an earlier one with the same id
            frame = frame.drop_duplicates(subset=[_KEY_COLUMN[dataset_type]], keep="last")
        with lc.lock:
            lc.files.write_bulk(dataset.internal["id"], frame.reset_index(drop=True))
        self.group_data.forget(dataset.body["dataset_group_arn"])
