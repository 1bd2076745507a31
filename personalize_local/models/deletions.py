"""Data deletion jobs: delete users and their data from a dataset group
(https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDataDeletionJob.html,
https://docs.aws.amazon.com/personalize/latest/dg/delete-records.html).

The input is a CSV file with a single USER_ID column in S3 (read through the import path). The job deletes the
users' bulk and streamed interactions and their Users records (bulk and PutUsers); the next training no longer sees
them and the runtime answers for them as for a new user. ``numDeleted`` is "the number of records deleted by a
COMPLETED job" (https://docs.aws.amazon.com/personalize/latest/dg/API_DataDeletionJob.html): the interaction and
user records removed. Statuses are PENDING > IN_PROGRESS > COMPLETED or FAILED."""

from __future__ import annotations

import logging
from typing import Any

from personalize_local.exceptions import InvalidInputException, LimitExceededException
from personalize_local.importer import DataImportError, read_data_location
from personalize_local.models.domain import Page, from_resource, to_body
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.lifecycle import Lifecycle
from personalize_local.models.lifecycle_domain import DataDeletionJob
from personalize_local.schemas import DatasetSchema, SchemaField
from personalize_local.store import Resource

logger = logging.getLogger("personalize_local")

PENDING, IN_PROGRESS, COMPLETED, FAILED = "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"
#: "You can have up to 5 deletion jobs for a dataset group with a status of PENDING" (delete-records.html).
MAX_PENDING = 5
#: The input file: "a CSV file with a single USER_ID column" (API_CreateDataDeletionJob.html).
_USER_IDS = DatasetSchema("DataDeletionInput", (SchemaField("USER_ID", "string", nullable=False),))


class DataDeletions:
    """CreateDataDeletionJob, DescribeDataDeletionJob, ListDataDeletionJobs."""

    def __init__(self, lifecycle: Lifecycle, group_data: GroupDataCache) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        lifecycle.delete_children("dataset-group", "data-deletion-job")

    def create_data_deletion_job(
        self,
        job_name: str,
        dataset_group_arn: str,
        data_source: dict[str, Any],
        role_arn: str,
        tags: list[dict[str, str]] | None = None,
    ) -> DataDeletionJob:
        """CreateDataDeletionJob: at most 5 PENDING jobs per dataset group."""
        lc = self.lifecycle
        lc.check_name(job_name, "jobName")
        location = (data_source or {}).get("data_location")
        if not location:
            raise InvalidInputException("dataSource.dataLocation is required")
        with lc.lock:
            group = lc.get_active("dataset-group", dataset_group_arn)
            lc.ensure_unique_name("data-deletion-job", job_name)
            pending = [j for j in lc.store.find("data-deletion-job", parent=group.arn) if j.status == PENDING]
            if len(pending) >= MAX_PENDING:
                raise LimitExceededException(
                    f"Dataset group {group.arn} already has {MAX_PENDING} PENDING data deletion jobs"
                )
            job = DataDeletionJob(
                job_name=job_name,
                data_deletion_job_arn=lc.arn(f"data-deletion-job/{job_name}"),
                dataset_group_arn=group.arn,
                data_source={"data_location": location},
                role_arn=role_arn,
                status=PENDING,
            )
            resource = Resource("data-deletion-job", job.data_deletion_job_arn, job_name, group.arn, to_body(job))
            resource = lc.create(resource, tags, runner=self._run)
        return from_resource(DataDeletionJob, resource)

    def describe_data_deletion_job(self, data_deletion_job_arn: str) -> DataDeletionJob:
        """DescribeDataDeletionJob."""
        return from_resource(DataDeletionJob, self.lifecycle.get("data-deletion-job", data_deletion_job_arn))

    def list_data_deletion_jobs(
        self, dataset_group_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[DataDeletionJob]:
        """ListDataDeletionJobs (newest first)."""
        parent = ("dataset-group", dataset_group_arn)
        return self.lifecycle.list_page("data-deletion-job", DataDeletionJob, next_token, max_results, parent)

    def resume(self) -> None:
        """After a restart: run the jobs that were PENDING or IN_PROGRESS (deleting twice deletes nothing more)."""
        for job in self.lifecycle.store.find("data-deletion-job"):
            if job.status in (PENDING, IN_PROGRESS):
                self.lifecycle.submit(self._run, job.arn)

    def _run(self, arn: str) -> None:
        """Worker: PENDING -> IN_PROGRESS -> COMPLETED (with numDeleted) or FAILED (with failureReason)."""
        lc = self.lifecycle
        lc.pause()
        if lc.wait(0):  # shutting down: the job stays PENDING and runs after the restart
            return
        job = lc.set_status(arn, IN_PROGRESS)
        if job is None:
            return
        lc.pause()
        if lc.wait(0):
            return
        try:
            users = read_data_location(job.body["data_source"]["data_location"], _USER_IDS)
        except DataImportError as exc:
            lc.set_status(arn, FAILED, failure_reason=str(exc))
            return
        try:
            deleted = self.delete_users(job.body["dataset_group_arn"], set(users["USER_ID"].astype(str)))
        except Exception as exc:  # a bug or an unexpected library error: the job fails, the server lives
            logger.exception("data deletion job %s failed", arn)
            lc.set_status(arn, FAILED, failure_reason=f"Internal error: {type(exc).__name__}: {exc}")
            return
        lc.set_status(arn, COMPLETED, num_deleted=deleted)

    def delete_users(self, group_arn: str, user_ids: set[str]) -> int:
        """Delete the users' interactions (bulk and streamed) and Users records (bulk and put); records deleted."""
        lc = self.lifecycle
        datasets = self.group_data.datasets_of(group_arn)
        with lc.lock:
            rewritten = {}
            deleted = 0
            for dataset_type in ("Interactions", "Users"):
                dataset = datasets.get(dataset_type)
                bulk = None if dataset is None else lc.files.read_bulk(dataset.internal["id"])
                if bulk is not None:
                    keep = ~bulk["USER_ID"].astype(str).isin(user_ids)
                    if not keep.all():
                        rewritten[dataset.internal["id"]] = bulk[keep].reset_index(drop=True)
                        deleted += int((~keep).sum())
            for dataset_id, frame in rewritten.items():
                lc.files.write_bulk(dataset_id, frame)
            deleted += lc.store.delete_user_events(group_arn, user_ids)
            users = datasets.get("Users")
            if users is not None:
                deleted += lc.store.delete_records_by_id(users.arn, user_ids)
        self.group_data.forget(group_arn)
        return deleted
