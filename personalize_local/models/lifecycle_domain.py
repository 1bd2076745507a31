"""Domain objects of the data lifecycle operations: dataset export jobs, data deletion jobs and metric attributions
(snake_case fields named after the members of botocore's Describe shapes, as in ``models/domain.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from personalize_local.models.domain import Tracked


@dataclass(kw_only=True)
class DatasetExportJob(Tracked):
    """A dataset export job."""

    job_name: str
    dataset_export_job_arn: str
    dataset_arn: str
    ingestion_mode: str
    role_arn: str
    job_output: dict[str, Any]


@dataclass(kw_only=True)
class DataDeletionJob(Tracked):
    """A data deletion job (statuses PENDING > IN_PROGRESS > COMPLETED or FAILED)."""

    job_name: str
    data_deletion_job_arn: str
    dataset_group_arn: str
    data_source: dict[str, Any]
    role_arn: str
    num_deleted: int | None = None


@dataclass(kw_only=True)
class MetricAttribution(Tracked):
    """A metric attribution of a dataset group (its metrics are listed by ListMetricAttributionMetrics)."""

    name: str
    metric_attribution_arn: str
    dataset_group_arn: str
    metrics_output_config: dict[str, Any]
    metrics: list[dict[str, str]]
