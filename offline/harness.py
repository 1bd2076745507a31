"""One context manager that runs the SAM app on this machine: moto (S3, SNS, SQS, SSM, EventBridge, Lambda, Step
Functions executing the real ASL), Personalize Local for Personalize, and the real handlers in-process.

Patches (all on moto 5.2.5, pinned):
- ``LambdaFunction._invoke_lambda`` -> the real handler (``offline.lambdas``);
- Wait states wait ``poll_interval`` seconds of real time instead of their ``Seconds`` (enough for Personalize
  Local's background jobs to progress between polls);
- Retry back-off sleeps are skipped;
- ``S3Response.put_object`` runs one call at a time, so a conditional write (``If-None-Match: *``, ``If-Match``) is
  atomic as on S3 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html: of concurrent
  conditional writes one succeeds, the others get 412 or 409). moto checks the condition, then writes, with other
  threads free to run in between: 8 threads putting one key with ``If-None-Match: *`` gave two winners for 2 of 30
  keys, and two executions of one drop both took its content claim (the pipeline's claims and locks rely on it).

Every execution of both state machines is recorded under ``runs_dir`` while the stack runs (default: a
``.offline-runs/`` folder next to ``personalize_dir``), so ``make console`` can show it after the process ended.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from console.recorded import ExecutionRecorder
from iam_audit.recorder import recording_calls
from offline.lambdas import HandlerRegistry, in_process_lambdas
from offline.stack import OfflineStack

#: The folder (next to Personalize Local's) where executions are recorded for the console.
RUNS_DIR_NAME = ".offline-runs"

#: Never reach real AWS from the offline runner.
OFFLINE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "offline",
    "AWS_SECRET_ACCESS_KEY": "offline",
    "AWS_SESSION_TOKEN": "offline",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _without(names: list[str]) -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def short_waits(poll_interval: float) -> Any:
    """Patch moto's Wait states to wait at most ``poll_interval`` seconds of real time."""

    def wait(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            env.program_state_event.wait(min(float(wait_seconds), poll_interval))

    return mock.patch.object(WaitFunction, "_wait_interval", wait)


def atomic_conditional_puts() -> Any:
    """Patch moto's S3 PutObject handler to run one call at a time (see the module doc)."""
    from moto.s3.responses import S3Response

    lock = threading.Lock()
    put_object = S3Response.put_object

    def serialised(self: S3Response) -> Any:
        with lock:
            return put_object(self)

    return mock.patch.object(S3Response, "put_object", serialised)


def no_retry_sleeps() -> Any:
    """Patch moto's Retry back-off so a retried task runs again at once."""
    return mock.patch(
        "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time",
        SimpleNamespace(sleep=lambda seconds: None, time=time.time),
    )


@contextmanager
def offline_pipeline(
    personalize_dir: Path,
    poll_interval: float = 0.05,
    region: str = "us-east-1",
    environment: dict[str, str] | None = None,
    parameters: dict[str, str] | None = None,
    runs_dir: Path | None = None,
) -> Iterator[OfflineStack]:
    """Deploy the app into moto + Personalize Local (state under ``personalize_dir``) and yield the stack; its
    executions are recorded under ``runs_dir`` (default ``<personalize_dir>/../.offline-runs``)."""
    from personalize_local import local_personalize

    base_env = {**OFFLINE_ENVIRONMENT, "AWS_DEFAULT_REGION": region, "AWS_REGION": region, **(environment or {})}
    with ExitStack() as stack:
        stack.enter_context(_environment(base_env))
        stack.enter_context(_without([name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]))
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        stack.enter_context(short_waits(poll_interval))
        stack.enter_context(no_retry_sleeps())
        stack.enter_context(atomic_conditional_puts())
        registry = stack.enter_context(in_process_lambdas(HandlerRegistry()))
        stack.enter_context(recording_calls(registry.calls))  # every AWS call of every function (docs/security.md)
        stack.enter_context(local_personalize(data_dir=personalize_dir))
        offline = OfflineStack(registry=registry, region=region, parameters=dict(parameters or {}))
        # Handlers are imported while deploying: their module-level Powertools objects read the environment.
        functions_env = _preview_function_environment(offline)
        stack.enter_context(_environment({**functions_env, **(environment or {})}))
        offline.deploy()
        sfn = boto3.client("stepfunctions", region_name=region)
        recorder = ExecutionRecorder(sfn, runs_dir or personalize_dir.parent / RUNS_DIR_NAME)
        stack.callback(recorder.start().stop)
        stack.enter_context(_environment(offline.environment | (environment or {})))
        yield offline


def _preview_function_environment(offline: OfflineStack) -> dict[str, str]:
    """Environment variables every function shares that need no deployed resource (Powertools settings)."""
    values = {}
    for name, value in offline.template.global_environment.items():
        if isinstance(value, str):
            values[name] = value
        elif isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in offline.pseudo:
            values[name] = offline.pseudo[value["Ref"]]
    return values
