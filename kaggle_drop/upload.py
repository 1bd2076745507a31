"""Uploading a verified drop to ``s3://<bucket>/incoming/<drop>/`` in the pipeline's protocol.

``anime.csv`` goes last (its upload starts the retraining). Each object carries its SHA-256 as metadata, so a run
after an interruption skips what is already there with the same size and checksum and uploads the rest. Big files
go through boto3's managed transfer (multipart above ``TransferConfig.multipart_threshold``, parts in parallel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from tqdm import tqdm

from anime_recommender.pipeline.drop import INCOMING_PREFIX
from kaggle_drop.scan import ScannedFile
from kaggle_drop.verify import VerifiedDrop

CHECKSUM_METADATA = "sha256"  # stored as x-amz-meta-sha256
MiB = 1024 * 1024
DROP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class UploadError(Exception):
    """The drop cannot be uploaded (bad drop name, missing bucket, refused access)."""


@dataclass(frozen=True)
class PlannedObject:
    """One file of the drop and what the upload does with it."""

    file: ScannedFile
    key: str
    upload: bool
    reason: str


def transfer_config(threshold_mib: int = 64, chunk_mib: int = 64, concurrency: int = 4) -> TransferConfig:
    """boto3's managed transfer settings: multipart above ``threshold_mib``, parts of ``chunk_mib``."""
    return TransferConfig(
        multipart_threshold=threshold_mib * MiB, multipart_chunksize=chunk_mib * MiB, max_concurrency=concurrency
    )


def drop_prefix(drop: str) -> str:
    """``incoming/<drop>/`` for a valid drop name; UploadError otherwise."""
    if not DROP_NAME.match(drop):
        raise UploadError(f"drop name {drop!r} must be one folder name (letters, digits, '.', '_', '-'; e.g. 2020-06)")
    return f"{INCOMING_PREFIX}{drop}/"


def _existing(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise


def check_bucket(s3: Any, bucket: str) -> None:
    """UploadError naming the bucket and the endpoint when the bucket cannot be reached."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        what = "does not exist" if code in {"404", "NoSuchBucket", "NotFound"} else f"cannot be used ({code})"
        raise UploadError(f"bucket {bucket!r} {what} at {s3.meta.endpoint_url}") from None


def plan_upload(s3: Any, bucket: str, drop: str, verified: VerifiedDrop) -> list[PlannedObject]:
    """What to upload, in order (``anime.csv`` last), skipping objects already there with the same content."""
    prefix = drop_prefix(drop)
    check_bucket(s3, bucket)
    plan = []
    for file in verified.files:
        key = prefix + file.name
        head = _existing(s3, bucket, key)
        if head is None:
            plan.append(PlannedObject(file, key, True, "new"))
        elif head["ContentLength"] == file.size and head.get("Metadata", {}).get(CHECKSUM_METADATA) == file.sha256:
            plan.append(PlannedObject(file, key, False, "already uploaded (same size and SHA-256)"))
        else:
            plan.append(PlannedObject(file, key, True, "differs from the uploaded object"))
    return plan


def upload_planned(
    s3: Any, bucket: str, plan: list[PlannedObject], config: TransferConfig, progress: bool = True
) -> list[str]:
    """Upload the planned objects in order with a progress bar each; the keys uploaded."""
    uploaded = []
    for item in plan:
        if not item.upload:
            continue
        with tqdm(total=item.file.size, unit="B", unit_scale=True, desc=item.key, disable=not progress) as bar:
            s3.upload_file(
                str(item.file.path),
                bucket,
                item.key,
                ExtraArgs={"Metadata": {CHECKSUM_METADATA: item.file.sha256}, "ContentType": _content_type(item.key)},
                Config=config,
                Callback=bar.update,
            )
        uploaded.append(item.key)
    return uploaded


def _content_type(key: str) -> str:
    return "application/json" if key.endswith(".json") else "text/csv"
