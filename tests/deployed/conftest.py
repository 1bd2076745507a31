"""Fixtures of the deployment tier: the running local cloud (``make local-cloud``) and one retrained drop.

These tests need the tier up: ``make test-deployed`` starts it, runs them and takes it down. Run by hand with
``make local-cloud`` then ``.venv/bin/pytest tests/deployed -n 0``. Without the tier they fail with a message
saying so (they are never skipped).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator

import pytest

from local_cloud.layout import Layout
from local_cloud.loopback import require_loopback_url
from local_cloud.state import TierState
from sample_data.generate import generate_dataset
from tests.deployed.drops import Execution, drop_files, fast_polling_config, put, wait_for_finished_executions
from tests.deployed.tier import Cloud, RetrainedDrop

#: Size of the generated drop: "demo" (~200k ratings, the issue's demo drop) unless LOCAL_CLOUD_DROP_SIZE says else.
DROP_SIZE = os.environ.get("LOCAL_CLOUD_DROP_SIZE", "demo")
PIPELINE_TIMEOUT = float(os.environ.get("LOCAL_CLOUD_PIPELINE_TIMEOUT", "600"))
STEP_TIMEOUT = 120.0  # an upload that leaves the drop incomplete: one short execution
#: The pipeline runs each drop content once (a content hash), so every run generates new content: a fresh seed
#: unless LOCAL_CLOUD_DROP_SEED fixes one (the seed is in the drop's folder name, to reproduce a failure).
DROP_SEED = int(os.environ.get("LOCAL_CLOUD_DROP_SEED") or random.SystemRandom().randrange(1, 2**31))


@pytest.fixture(scope="session")
def cloud() -> Cloud:
    """The tier started by ``make local-cloud``; fails with instructions when it is not up."""
    try:
        state = TierState.load(Layout.default())
    except FileNotFoundError as exc:
        pytest.fail(f"{exc}. Run `make test-deployed` (starts the tier, runs these tests, stops it).")
    require_loopback_url(state.ministack_url)
    return Cloud(state)


@pytest.fixture(autouse=True)
def _aws_settings_for_the_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/conftest.py strips endpoint variables; these tests only ever use explicit loopback endpoints."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def retrained_drop(cloud: Cloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RetrainedDrop]:
    """Generate the demo drop, upload it with plain boto3 and wait for the executions the EventBridge rule starts."""
    data_dir = tmp_path_factory.mktemp("drop")
    generate_dataset(DROP_SIZE, data_dir, seed=DROP_SEED)
    folder = f"deployed-{DROP_SIZE}-seed{DROP_SEED}-{uuid.uuid4().hex[:6]}"
    s3, sfn = cloud.client("s3"), cloud.client("stepfunctions")
    bucket, state_machine = cloud.output("DataBucketName"), cloud.output("RetrainStateMachineArn")
    files = drop_files(folder, data_dir, fast_polling_config())
    executions: list[Execution] = []
    # One file at a time, each upload's execution finished before the next (as a slow uploader would): the
    # outcome of every execution is then known in advance, and the emulator cold-starts one worker per function
    # instead of one per concurrent execution (the slowest part of a run on 2 cores).
    for key, content in files[:-1]:
        put(s3, bucket, key, content)
        executions += wait_for_finished_executions(sfn, state_machine, {key}, timeout=STEP_TIMEOUT)
    last_key, content = files[-1]
    started = time.monotonic()
    put(s3, bucket, last_key, content)
    executions += wait_for_finished_executions(sfn, state_machine, {last_key}, timeout=PIPELINE_TIMEOUT)
    keys = [key for key, _ in files]
    TIMINGS[f"last upload of the {DROP_SIZE} drop -> execution finished"] = time.monotonic() - started
    yield RetrainedDrop(folder, data_dir, keys, executions)


#: Durations worth reporting (printed in the terminal summary; never asserted on).
TIMINGS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how long the pipeline took on the emulator."""
    for what, seconds in TIMINGS.items():
        terminalreporter.write_line(f"local cloud: {what}: {seconds:.1f}s")
