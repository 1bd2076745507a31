"""iam_audit's botocore recorder on moto: calls are attributed to the running function and its worker threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
from moto import mock_aws

from iam_audit.recorder import CallRecorder, recording_calls

REGION, ACCOUNT = "us-east-1", "123456789012"
BUCKET = "databucket"  # iam_audit.policies.default_physical names the bucket after its logical id


def test_the_recorder_attributes_calls_to_the_running_function_and_its_worker_threads() -> None:
    recorder = CallRecorder()
    with mock_aws(), recording_calls(recorder):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)  # the harness's own call: not recorded
        with recorder.acting_as("PrepareDataFunction"):
            s3.put_object(Bucket=BUCKET, Key="prepared/d/a.csv", Body=b"x")
            with ThreadPoolExecutor(max_workers=2) as pool:
                pool.submit(s3.head_object, Bucket=BUCKET, Key="prepared/d/a.csv").result()
    assert [(c.principal, c.operation) for c in recorder.calls] == [
        ("PrepareDataFunction", "PutObject"),
        ("PrepareDataFunction", "HeadObject"),
    ]
    assert recorder.calls[0].requests[0].resource == f"arn:aws:s3:::{BUCKET}/prepared/d/a.csv"
    with mock_aws():  # hooks are gone after the block
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="after")
    assert len(recorder.calls) == 2
