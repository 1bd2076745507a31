"""The offline stack's S3 keeps conditional writes atomic, as S3 does: the pipeline's content claims and dataset-group
lock are ``PutObject`` with ``If-None-Match: *`` (anime_recommender.pipeline.claims), and two executions of one drop
must never both take its claim (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.s3.models import S3Backend

from offline.harness import OFFLINE_ENVIRONMENT, atomic_conditional_puts

BUCKET = "claims-bucket"


def _race(monkeypatch: pytest.MonkeyPatch, patch: Callable[[], Any] | None) -> list[int]:
    """Two threads put one key with ``If-None-Match: *`` and both pass moto's existence check before either writes
    (a barrier inside the write, broken after 0.5 s when only one thread can get there); the winners."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    barrier = threading.Barrier(2)
    write = S3Backend.put_object

    def write_after_both_checked(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=0.5)
        return write(self, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "put_object", write_after_both_checked)
    winners: list[int] = []
    refusals: list[str] = []
    with mock_aws(), patch() if patch is not None else contextlib.nullcontext():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)

        def put(i: int) -> None:
            client = boto3.client("s3", region_name="us-east-1")
            try:
                client.put_object(Bucket=BUCKET, Key="claim", Body=str(i).encode(), IfNoneMatch="*")
                winners.append(i)
            except ClientError as error:
                refusals.append(error.response["Error"]["Code"])

        threads = [threading.Thread(target=put, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(winners) + len(refusals) == 2 and set(refusals) <= {"PreconditionFailed"}, refusals
    return winners


def test_plain_moto_lets_two_conditional_writes_win(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the harness closes is real in moto (if moto makes the check atomic one day, this says so)."""
    assert len(_race(monkeypatch, None)) == 2


def test_the_offline_stack_lets_one_conditional_write_win(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(_race(monkeypatch, atomic_conditional_puts)) == 1
