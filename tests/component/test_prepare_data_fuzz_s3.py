"""Fuzzing the prepare step on S3: the same generated Kaggle drops (strategies in prepare_data/strategies.py) run
on S3 (moto, ``S3Storage``, the Lambda's storage) give the same outcome and the same bytes as on local files.

Runs are bounded by a fifth of Hypothesis's default example count; HYPOTHESIS_PROFILE=fuzz runs many more.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from moto import mock_aws

from anime_recommender.prepare_data.s3_storage import S3Storage
from tests.support.prepare_data.runs import DATASETS, FUZZ_SETTINGS, prepare_locally, run_prepare
from tests.support.prepare_data.strategies import Drop, kaggle_drops

pytestmark = pytest.mark.fuzz


S3_EXAMPLES = max(20, settings.default.max_examples // 5)  # moto is slower: a fifth of the profile's examples
_RUNS = itertools.count()


@pytest.fixture
def s3_bucket():
    """One moto bucket for all of a test's examples (each example uses its own prefix)."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="fuzz")
        yield client


@pytest.mark.slow  # over 3 s on 2 busy cores
@settings(
    FUZZ_SETTINGS,
    max_examples=S3_EXAMPLES,
    suppress_health_check=[*FUZZ_SETTINGS.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(drop=kaggle_drops())
def test_the_step_on_s3_gives_the_same_outcome_as_on_local_files(drop: Drop, s3_bucket) -> None:
    with tempfile.TemporaryDirectory(prefix="prepare-fuzz-") as directory:
        local_error, out = prepare_locally(drop, Path(directory))
        prefix = f"run-{next(_RUNS)}/"
        for name, data in drop.files.items():
            s3_bucket.put_object(Bucket="fuzz", Key=f"{prefix}drop/{name}", Body=data)
        s3_out = S3Storage(s3_bucket, "fuzz", f"{prefix}out/")
        s3_error = run_prepare(drop, S3Storage(s3_bucket, "fuzz", f"{prefix}drop/"), s3_out, Path(directory))
        assert (s3_error and s3_error.as_report()) == (local_error and local_error.as_report())
        listed = s3_bucket.list_objects_v2(Bucket="fuzz", Prefix=s3_out.prefix).get("Contents", [])
        assert sorted(o["Key"].removeprefix(s3_out.prefix) for o in listed) == sorted(p.name for p in out.iterdir())
        for name in ("rejected.csv", *(DATASETS if local_error is None else ())):
            body = s3_bucket.get_object(Bucket="fuzz", Key=s3_out.key(name))["Body"].read()
            assert body == (out / name).read_bytes(), name
