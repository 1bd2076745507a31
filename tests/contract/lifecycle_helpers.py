"""Helpers of the data lifecycle contract tests: run a dataset export job and read what it wrote."""

from __future__ import annotations

import io
import uuid
from typing import Any

import boto3
import pandas as pd

from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import ROLE, assert_create_order, poll_statuses


def export_csv(wire: Wire, stack: Stack, dataset_arn: str, mode: str | None) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run an export job of ``dataset_arn``; (its final Describe document, the CSV it wrote, read with pandas)."""
    name = f"export-{uuid.uuid4().hex[:8]}"
    path = f"s3://{stack.bucket}/exports/{name}/"
    extra = {"ingestionMode": mode} if mode else {}
    arn = wire.personalize.create_dataset_export_job(
        jobName=name, datasetArn=dataset_arn, roleArn=ROLE, jobOutput={"s3DataDestination": {"path": path}}, **extra
    )["datasetExportJobArn"]
    seen = poll_statuses(
        lambda: wire.personalize.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]
    )
    assert_create_order(seen)
    doc = wire.personalize.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.bucket, Prefix=f"exports/{name}/")["Contents"]]
    assert len(keys) == 1, keys
    body = s3.get_object(Bucket=stack.bucket, Key=keys[0])["Body"].read().decode()
    return doc, pd.read_csv(io.StringIO(body), dtype={"USER_ID": str, "ITEM_ID": str})
