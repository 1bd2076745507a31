"""The data lifecycle on a running backend: a pending data deletion job runs after a restart."""

from __future__ import annotations

from pathlib import Path

from personalize_local.models import BackendConfig, PersonalizeBackend
from testing.polling import wait_until
from tests.support.wire_api import WireApi


def _wire_backend(path: Path, delay: float) -> WireApi:
    backend = WireApi(PersonalizeBackend(BackendConfig(data_dir=path, step_delay=delay)))
    backend.start()
    return backend


def test_a_pending_data_deletion_job_runs_after_a_restart(tmp_path: Path) -> None:
    fast = _wire_backend(tmp_path, delay=0.0)
    group = fast.create_dataset_group(name="g")["datasetGroupArn"]
    wait_until(
        lambda: fast.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE",
        timeout=10,
        interval=0.01,
        max_interval=0.01,
        message=f"{group} never ACTIVE",
    )
    fast.shutdown()

    slow = _wire_backend(tmp_path, delay=30.0)
    job = slow.create_data_deletion_job(
        jobName="j",
        datasetGroupArn=group,
        dataSource={"dataLocation": "https://example.com/users.csv"},
        roleArn="arn:aws:iam::123456789012:role/r",
    )["dataDeletionJobArn"]
    assert slow.describe_data_deletion_job(dataDeletionJobArn=job)["dataDeletionJob"]["status"] == "PENDING"
    slow.shutdown()  # stops before the job ran

    again = _wire_backend(tmp_path, delay=0.0)
    try:

        def finished() -> dict | None:
            doc = again.describe_data_deletion_job(dataDeletionJobArn=job)["dataDeletionJob"]
            return doc if doc["status"] not in ("PENDING", "IN_PROGRESS") else None

        doc = wait_until(finished, timeout=10, interval=0.01, max_interval=0.01, message=f"{job} never finished")
        assert doc["status"] == "FAILED" and "https://example.com/users.csv" in doc["failureReason"]
    finally:
        again.shutdown()
