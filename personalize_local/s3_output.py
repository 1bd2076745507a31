"""Writing job output to S3: CSV files under an ``s3://bucket/prefix/`` destination, through an ordinary boto3 S3
client created when the job runs (the same way imports read S3, see ``personalize_local.importer``)."""

from __future__ import annotations

import boto3
import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from personalize_local.importer import _S3_LOCATION


class S3OutputError(ValueError):
    """Why a job could not write its output; the message becomes the job's ``failureReason``."""


def output_key(destination: str, filename: str) -> tuple[str, str]:
    """(bucket, key) of ``filename`` under the ``s3://bucket/prefix/`` destination (a missing ``/`` is added)."""
    match = _S3_LOCATION.match(destination)
    if not match:
        raise S3OutputError(f"Personalize Local writes only to s3:// locations, not {destination!r}")
    prefix = match["key"]
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return match["bucket"], prefix + filename


def write_csv(destination: str, filename: str, frame: pd.DataFrame) -> str:
    """Upload ``frame`` as a CSV file (header row, no index) to ``destination``; its ``s3://`` location."""
    bucket, key = output_key(destination, filename)
    body = frame.to_csv(index=False, escapechar="\\").encode("utf-8")
    try:
        boto3.session.Session().client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    except (ClientError, BotoCoreError) as exc:
        raise S3OutputError(f"Cannot write s3://{bucket}/{key}: {exc}") from exc
    return f"s3://{bucket}/{key}"


def check_writable(destination: str) -> None:
    """S3OutputError naming the destination when its bucket does not exist or cannot be reached."""
    bucket, _ = output_key(destination, "")
    try:
        boto3.session.Session().client("s3").head_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError) as exc:
        raise S3OutputError(f"Cannot write to {destination}: bucket {bucket}: {exc}") from exc
