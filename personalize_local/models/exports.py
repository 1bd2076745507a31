"""Dataset export jobs: a dataset's data as a CSV file in S3
(https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetExportJob.html).

``ingestionMode`` picks the data as documented: BULK = what dataset import jobs imported, PUT = what arrived
individually (PutEvents for Interactions, PutItems/PutUsers for Items/Users), ALL = both; the default is PUT
(https://docs.aws.amazon.com/personalize/latest/dg/API_DatasetExportJob.html)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from personalize_local.exceptions import InvalidInputException
from personalize_local.models.domain import Page, from_resource, to_body
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.groupdata import events_frame, records_frame
from personalize_local.models.lifecycle import CreateFailed, Lifecycle
from personalize_local.models.lifecycle_domain import DatasetExportJob
from personalize_local.s3_output import S3OutputError, output_key, write_csv
from personalize_local.store import Resource

INGESTION_MODES = ("BULK", "PUT", "ALL")
#: The name of the one file an export job writes under its ``jobOutput`` path (AWS does not document its names).
EXPORT_FILE = "{job_name}/{dataset_type}-{mode}.csv"


class DatasetExports:
    """CreateDatasetExportJob, DescribeDatasetExportJob, ListDatasetExportJobs."""

    def __init__(self, lifecycle: Lifecycle, group_data: GroupDataCache) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        lifecycle.register("dataset-export-job", create=self._run_export)
        lifecycle.delete_children("dataset", "dataset-export-job")

    def create_dataset_export_job(
        self,
        job_name: str,
        dataset_arn: str,
        role_arn: str,
        job_output: dict[str, Any],
        ingestion_mode: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> DatasetExportJob:
        """CreateDatasetExportJob: the dataset must be ACTIVE; the CSV is written while the job is in progress."""
        lc = self.lifecycle
        lc.check_name(job_name, "jobName")
        mode = ingestion_mode or "PUT"
        if mode not in INGESTION_MODES:
            raise InvalidInputException(f"Invalid ingestionMode {ingestion_mode!r}: use BULK, PUT or ALL")
        path = job_output["s3_data_destination"]["path"]
        try:
            output_key(path, "")
        except S3OutputError as exc:
            raise InvalidInputException(str(exc)) from None
        with lc.lock:
            dataset = lc.get_active("dataset", dataset_arn)
            lc.ensure_unique_name("dataset-export-job", job_name)
            job = DatasetExportJob(
                job_name=job_name,
                dataset_export_job_arn=lc.arn(f"dataset-export-job/{job_name}"),
                dataset_arn=dataset.arn,
                ingestion_mode=mode,
                role_arn=role_arn,
                job_output=job_output,
            )
            resource = Resource("dataset-export-job", job.dataset_export_job_arn, job_name, dataset.arn, to_body(job))
            resource = lc.create(resource, tags)
        return from_resource(DatasetExportJob, resource)

    def describe_dataset_export_job(self, dataset_export_job_arn: str) -> DatasetExportJob:
        """DescribeDatasetExportJob."""
        return from_resource(DatasetExportJob, self.lifecycle.get("dataset-export-job", dataset_export_job_arn))

    def list_dataset_export_jobs(
        self, dataset_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[DatasetExportJob]:
        """ListDatasetExportJobs (newest first)."""
        parent = ("dataset", dataset_arn)
        return self.lifecycle.list_page("dataset-export-job", DatasetExportJob, next_token, max_results, parent)

    def export_frame(self, dataset: Resource, mode: str) -> pd.DataFrame:
        """The dataset's records of ``mode`` (BULK, PUT or ALL) with the schema's columns, in schema order."""
        schema = self.group_data.dataset_schema(dataset)
        dataset_type = dataset.body["dataset_type"]
        parts: list[pd.DataFrame] = []
        if mode in ("BULK", "ALL"):
            bulk = self.lifecycle.files.read_bulk(dataset.internal["id"])
            if bulk is not None:
                parts.append(bulk)
        if mode in ("PUT", "ALL"):
            store = self.lifecycle.store
            if dataset_type == "Interactions":
                parts.append(events_frame(store.events(dataset.body["dataset_group_arn"]), schema))
            else:
                put = records_frame(None, store.records(dataset.arn), dataset_type)
                if put is not None:
                    parts.append(put)
        parts = [p for p in parts if len(p)]
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return frame.reindex(columns=schema.names)

    def _run_export(self, job: Resource) -> None:
        dataset = self.lifecycle.store.get(job.body["dataset_arn"])
        if dataset is None:
            raise CreateFailed(f"Dataset {job.body['dataset_arn']} no longer exists")
        mode = job.body["ingestion_mode"]
        frame = self.export_frame(dataset, mode)
        filename = EXPORT_FILE.format(job_name=job.name, dataset_type=dataset.body["dataset_type"].lower(), mode=mode)
        try:
            write_csv(job.body["job_output"]["s3_data_destination"]["path"], filename, frame)
        except S3OutputError as exc:
            raise CreateFailed(str(exc)) from exc
