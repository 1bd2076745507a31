"""Upload a generated Kaggle drop to the deployed bucket and follow the executions the real EventBridge rule starts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_cloud.waiting import wait_for

# anime.csv last: the pipeline's upload protocol (every upload fires an event; the drop is complete with anime.csv).
UPLOAD_ORDER = ("rating_complete.csv", "animelist.csv", "watching_status.csv", "anime_with_synopsis.csv", "anime.csv")
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "layers/common/anime_recommender/pipeline/default_config.json"


def fast_polling_config() -> dict[str, Any]:
    """The pipeline's default config.json with every poll interval at 1 s (Wait states really wait on the emulator)."""
    config = json.loads(DEFAULT_CONFIG.read_text())
    for budget in config["polling"].values():
        budget["intervalSeconds"] = 1
    return config


def drop_files(folder: str, data_dir: Path, config: dict[str, Any]) -> list[tuple[str, bytes | Path]]:
    """``(key, content)`` of a drop in upload order: config.json first, the Kaggle files, anime.csv last."""
    prefix = f"incoming/{folder}/"
    files: list[tuple[str, bytes | Path]] = [(f"{prefix}config.json", json.dumps(config).encode())]
    files += [(f"{prefix}{name}", data_dir / name) for name in UPLOAD_ORDER if (data_dir / name).exists()]
    return files


def put(s3: Any, bucket: str, key: str, content: bytes | Path) -> None:
    """Upload one object with plain boto3."""
    if isinstance(content, Path):
        s3.upload_file(str(content), bucket, key)
    else:
        s3.put_object(Bucket=bucket, Key=key, Body=content)


@dataclass(frozen=True)
class Execution:
    """One finished execution of the retraining state machine."""

    arn: str
    status: str
    input: dict[str, Any]
    output: dict[str, Any]
    error: str | None
    cause: str | None

    @property
    def object_key(self) -> str | None:
        """The S3 key of the EventBridge event that started it."""
        return ((self.input.get("detail") or {}).get("object") or {}).get("key")


def list_executions(sfn: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    """Every execution of the state machine (all pages)."""
    paginator = sfn.get_paginator("list_executions")
    return [e for page in paginator.paginate(stateMachineArn=state_machine_arn) for e in page["executions"]]


def describe(sfn: Any, execution_arn: str) -> Execution:
    """An execution with its input and output parsed."""
    data = sfn.describe_execution(executionArn=execution_arn)
    return Execution(
        arn=execution_arn,
        status=data["status"],
        input=json.loads(data.get("input") or "{}"),
        output=json.loads(data.get("output") or "{}"),
        error=data.get("error"),
        cause=data.get("cause"),
    )


def executions_for_keys(sfn: Any, state_machine_arn: str, keys: set[str]) -> list[Execution]:
    """The executions started by uploads of ``keys``."""
    found = [describe(sfn, e["executionArn"]) for e in list_executions(sfn, state_machine_arn)]
    return [e for e in found if e.object_key in keys]


def wait_for_finished_executions(sfn: Any, state_machine_arn: str, keys: set[str], timeout: float) -> list[Execution]:
    """Poll until every uploaded key has started an execution and none of them is still RUNNING."""
    last: list[Execution] = []

    def finished() -> list[Execution] | None:
        nonlocal last
        last = executions_for_keys(sfn, state_machine_arn, keys)
        started = {e.object_key for e in last}
        if started == keys and all(e.status != "RUNNING" for e in last):
            return last
        return None

    def progress() -> str:
        return "; ".join(f"{e.object_key}: {e.status}" for e in last) or "no execution started"

    return wait_for(finished, timeout=timeout, interval=0.5, what="the drop's executions", describe_last=progress)
