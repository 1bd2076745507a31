"""Fixtures of the contract suite: Personalize Local in-process with in-process moto S3, and boto3 clients whose
every raw response is checked against botocore's output shapes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from personalize_local import ENDPOINT_VARIABLES, LocalPersonalize, local_personalize
from testing.personalize_setup import DeployedRecommender, SmallDataset, deploy_small_recommender, small_dataset
from tests.contract.shapes import WireRecorder

BUCKET = "contract-data"
_FAKE = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class Stack:
    """A running Personalize Local plus the moto S3 bucket its imports read."""

    pl: LocalPersonalize
    bucket: str

    def put(self, key: str, text: str) -> str:
        """Upload ``text`` and return its s3:// location."""
        boto3.client("s3").put_object(Bucket=self.bucket, Key=key, Body=text.encode())
        return f"s3://{self.bucket}/{key}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One server per test module (state shared by the module's tests), S3 from in-process moto."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWS_ENDPOINT_URL"):
                patch.delenv(name)
        for name, value in _FAKE.items():
            patch.setenv(name, value)
        with (
            mock_aws(),
            local_personalize(
                tmp_path_factory.mktemp("personalize-local"), max_dataset_groups=50, step_delay=0.005
            ) as pl,
        ):
            boto3.client("s3").create_bucket(Bucket=BUCKET)
            yield Stack(pl, BUCKET)


@dataclass
class Wire:
    """Recording clients of the three Personalize APIs."""

    recorder: WireRecorder
    personalize: Any
    runtime: Any
    events: Any


@pytest.fixture
def wire(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    """Clients that reach the server through the AWS_ENDPOINT_URL_PERSONALIZE* variables; after the test, every
    response they received must have fitted its botocore shape."""
    for name in ENDPOINT_VARIABLES:
        monkeypatch.setenv(name, stack.pl.endpoint_url)
    recorder = WireRecorder()
    wire = Wire(
        recorder,
        recorder.attach(boto3.client("personalize")),
        recorder.attach(boto3.client("personalize-runtime")),
        recorder.attach(boto3.client("personalize-events")),
    )
    yield wire
    assert recorder.calls, "the test made no call"
    assert not recorder.violations, "\n".join(recorder.violations)


@pytest.fixture(scope="module")
def small() -> SmallDataset:
    """Two taste groups: even items Action, odd items Drama."""
    return small_dataset()


def deploy_on(stack: Stack, *args: Any, **kwargs: Any) -> DeployedRecommender:
    """``deploy_small_recommender(stack.bucket, *args, **kwargs)`` against the stack's server (plain boto3)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.setenv(name, stack.pl.endpoint_url)
        return deploy_small_recommender(stack.bucket, *args, **kwargs)
