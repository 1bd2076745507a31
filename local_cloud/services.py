"""Start the two servers of the tier on 127.0.0.1: the ministack emulator and Personalize Local."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local_cloud.layout import REPO_ROOT, Layout
from local_cloud.processes import BIND_HOST, free_port, log_tail, start_process
from local_cloud.waiting import wait_for

REGION = "us-east-1"
EMULATOR_ACCOUNT_ID = "000000000000"  # ministack's default account
# Fake credentials: nothing of the tier ever talks to real AWS.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test"}
MINISTACK_VENV = REPO_ROOT / ".venv-ministack"
MINISTACK_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-ministack.txt"
# Variables that must not leak from the caller into the emulator (its Lambdas inherit its environment).
_DROPPED_PREFIXES = ("AWS_", "PYTHONPATH", "VIRTUAL_ENV", "PYTEST_", "POWERTOOLS_")


@dataclass(frozen=True)
class Server:
    """A started server: its name (pid/log file stem), process id and base URL."""

    name: str
    pid: int
    port: int
    url: str


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without AWS settings, virtualenv or pytest variables, plus fake credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    env.update(FAKE_CREDENTIALS)
    env["AWS_DEFAULT_REGION"] = REGION
    env["AWS_REGION"] = REGION
    env.update(extra or {})
    return env


def ministack_python() -> Path:
    """The interpreter of the emulator's virtualenv; a clear error telling how to build it when it is missing."""
    python = MINISTACK_VENV / "bin" / "python"
    if not python.exists():
        raise RuntimeError(
            f"{python} not found: build the emulator's virtualenv on python3.12 (the Lambda runtime) with\n"
            f"  $(pyenv prefix 3.12.1)/bin/python -m venv {MINISTACK_VENV} && "
            f"{MINISTACK_VENV}/bin/pip install -r {MINISTACK_REQUIREMENTS}\n(or run `make local-cloud`)"
        )
    return python


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_ministack/health", timeout=2) as response:
            return json.loads(response.read() or b"{}") if response.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def start_ministack(layout: Layout, timeout: float = 60.0) -> Server:
    """Start ministack on a free loopback port with its TMPDIR under the layout; return once it answers health checks.

    Lambda functions run as subprocesses of this process on its own interpreter (``.venv-ministack``), in temporary
    directories under ``layout.tmp``.
    """
    python = ministack_python()
    port = free_port()
    env = clean_environment(
        {
            "BIND_HOST": BIND_HOST,
            "GATEWAY_PORT": str(port),
            "LAMBDA_EXECUTOR": "local",
            "MINISTACK_REGION": REGION,
            "TMPDIR": str(layout.tmp),
            "S3_DATA_DIR": str(layout.tmp / "s3"),
            "STATE_DIR": str(layout.tmp / "state"),
            # Listeners ministack would otherwise open on 0.0.0.0 with fixed ports (IoT MQTT 8883, Transfer SFTP).
            "IOT_MTLS_ENABLED": "0",
            "SFTP_ENABLED": "0",
            "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    proc = start_process(layout, "ministack", [str(python), "-m", "ministack"], env)
    url = f"http://{BIND_HOST}:{port}"

    def ready() -> dict | None:
        if proc.poll() is not None:
            raise RuntimeError(f"ministack exited with {proc.returncode}:\n{log_tail(layout, 'ministack')}")
        return _health(url)

    wait_for(ready, timeout=timeout, what=f"ministack on {url}", describe_last=lambda: log_tail(layout, "ministack"))
    return Server("ministack", proc.pid, port, url)


def start_personalize_local(layout: Layout, s3_endpoint: str, timeout: float = 60.0) -> Server:
    """Start Personalize Local (``python -m personalize_local serve``) on a free loopback port.

    It reads import data from the emulator's S3 (``AWS_ENDPOINT_URL_S3``), so import jobs see the deployed bucket.
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    port = free_port()
    env = clean_environment({"AWS_ENDPOINT_URL_S3": s3_endpoint})
    argv = [
        sys.executable,
        "-m",
        "personalize_local",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(layout.personalize_data),
        # ARNs in the emulator's account and region, as real Personalize names the caller's.
        "--account-id",
        EMULATOR_ACCOUNT_ID,
        "--region",
        REGION,
    ]
    proc = start_process(layout, "personalize-local", argv, env, cwd=REPO_ROOT)
    url = f"http://{BIND_HOST}:{port}"
    client = boto3.client(
        "personalize",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(
                f"Personalize Local exited with {proc.returncode}:\n{log_tail(layout, 'personalize-local')}"
            )
        try:
            client.list_dataset_groups(maxResults=1)
        except (BotoCoreError, ClientError):
            return False
        return True

    wait_for(
        ready,
        timeout=timeout,
        what=f"Personalize Local on {url}",
        describe_last=lambda: log_tail(layout, "personalize-local"),
    )
    return Server("personalize-local", proc.pid, port, url)
