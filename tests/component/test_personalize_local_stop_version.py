"""Personalize Local: one training at a time per solution; StopSolutionVersionCreation ends it CREATE STOPPED."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from personalize_local.exceptions import ResourceInUseException
from personalize_local.models import BackendConfig, PersonalizeBackend
from testing.personalize_setup import infer_schema, small_dataset
from testing.polling import wait_until
from tests.support.wire_api import WireApi


def _until(check: Callable[[], str], status: str) -> None:
    wait_until(
        lambda: check() == status,
        timeout=20,
        interval=0.01,
        max_interval=0.01,
        message=lambda: f"never reached {status}, last {check()}",
    )


def test_stopping_a_pending_version(tmp_path: Path) -> None:
    data = small_dataset()
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="stop-data")
        boto3.client("s3").put_object(Bucket="stop-data", Key="i.csv", Body=data.interactions_csv.encode())
        fast = WireApi(PersonalizeBackend(BackendConfig(data_dir=tmp_path, step_delay=0.0)))
        fast.start()
        try:
            group = fast.create_dataset_group(name="g")["datasetGroupArn"]
            _until(lambda: fast.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"], "ACTIVE")
            schema = fast.create_schema(name="s", schema=infer_schema(data.interactions_csv, "Interactions"))
            dataset = fast.create_dataset(
                name="d", schemaArn=schema["schemaArn"], datasetGroupArn=group, datasetType="Interactions"
            )["datasetArn"]
            _until(lambda: fast.describe_dataset(datasetArn=dataset)["dataset"]["status"], "ACTIVE")
            job = fast.create_dataset_import_job(
                jobName="j", datasetArn=dataset, dataSource={"dataLocation": "s3://stop-data/i.csv"}
            )["datasetImportJobArn"]
            _until(
                lambda: fast.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"],
                "ACTIVE",
            )
            solution = fast.create_solution(
                name="s", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-popularity-count"
            )["solutionArn"]
            _until(lambda: fast.describe_solution(solutionArn=solution)["solution"]["status"], "ACTIVE")
        finally:
            fast.shutdown()

        slow = WireApi(PersonalizeBackend(BackendConfig(data_dir=tmp_path, step_delay=30.0)))
        slow.start()
        version = slow.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        with pytest.raises(ResourceInUseException, match="still being created"):
            slow.create_solution_version(solutionArn=solution)  # one training at a time per solution
        slow.stop_solution_version_creation(solutionVersionArn=version)
        described = slow.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
        assert described["status"] == "CREATE STOPPING"
        with pytest.raises(ResourceInUseException):
            slow.stop_solution_version_creation(solutionVersionArn=version)
        with pytest.raises(ResourceInUseException):
            slow.delete_solution(solutionArn=solution)
        slow.shutdown()  # wakes the worker from its pause: the stopped version does not train

        again = WireApi(PersonalizeBackend(BackendConfig(data_dir=tmp_path, step_delay=0.0)))
        again.start()
        try:
            _until(
                lambda: again.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"],
                "CREATE STOPPED",
            )
        finally:
            again.shutdown()
