"""What the batch inference and batch segment job contract tests share: JSON Lines input, waiting for a job, and
reading its output file back as a boto3 user would."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from tests.contract.conftest import Stack
from tests.contract.helpers import assert_create_order, poll_statuses


def jsonl(records: list[Any]) -> str:
    """JSON Lines text of ``records`` (strings are written as they are, to make bad lines)."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def finished(describe: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """Poll ``describe`` until the job finishes; its last description (status order checked when ACTIVE)."""
    seen = poll_statuses(describe)
    if seen[-1] == "ACTIVE":
        assert_create_order(seen)
    return dict(describe())


def output_lines(stack: Stack, prefix: str, input_name: str) -> list[dict]:
    """The only file under ``prefix``, ``<input_name>.out``, parsed line by line."""
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix).get("Contents", [])]
    assert keys == [f"{prefix}{input_name}.out"], keys
    text = s3.get_object(Bucket=stack.bucket, Key=keys[0])["Body"].read().decode()
    return [json.loads(line) for line in text.splitlines()]
