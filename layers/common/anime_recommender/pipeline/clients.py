"""AWS clients and settings from the environment the functions run in (created per call: cheap, and always
pointed at whatever endpoint the environment names, e.g. Personalize Local offline)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

from anime_recommender.pipeline.claims import S3Markers
from anime_recommender.pipeline.names import ResourceNames, names
from anime_recommender.pipeline.personalize import PersonalizeResources


def client(service: str) -> Any:
    """A boto3 client for ``service``."""
    return boto3.client(service)


def personalize_resources() -> PersonalizeResources:
    """The project's Personalize resources (role from ``PERSONALIZE_ROLE_ARN``)."""
    return PersonalizeResources(client("personalize"), names(), os.environ.get("PERSONALIZE_ROLE_ARN", ""))


def execution_status(execution_arn: str) -> str | None:
    """Status of a Step Functions execution, or None when it cannot be found."""
    try:
        return client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]
    except ClientError as error:
        if error.response["Error"]["Code"] in {"ExecutionDoesNotExist", "InvalidArn"}:
            return None
        raise


def markers(bucket: str) -> S3Markers:
    """Claims and locks stored in ``bucket``."""
    return S3Markers(client("s3"), bucket, execution_status)


def resource_names() -> ResourceNames:
    """The project's resource names."""
    return names()
