"""Executions kept on disk: the offline stack's runs outlive the process that ran them.

Layout under the runs directory: ``machines/<name>.json`` (a DescribeStateMachine answer),
``executions/<machine>/<execution name>.json`` (DescribeExecution) and ``<execution name>.history.json`` next to it
(``{"events": [...]}``, GetExecutionHistory; kept apart so listing executions does not read histories).
:class:`RecordedStepFunctions` answers the same calls as a boto3 Step Functions client from those
files; :class:`ExecutionRecorder` writes them while the offline stack runs.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from console.reader import StepFunctionsReader

HISTORY_SUFFIX = ".history.json"
_DATE_KEYS = {"creationDate", "startDate", "stopDate", "timestamp", "updateDate", "redriveDate"}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _decode(document: dict[str, Any]) -> dict[str, Any]:
    return {
        key: datetime.fromisoformat(value) if key in _DATE_KEYS and isinstance(value, str) else value
        for key, value in document.items()
    }


def _write_json(path: Path, document: dict[str, Any]) -> None:
    """Write atomically (a console reading at the same time never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(document, default=_encode), encoding="utf-8")
    partial.replace(path)


def _without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


class RecordedStepFunctions:
    """The read calls of a boto3 ``stepfunctions`` client, answered from a runs directory."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = Path(runs_dir)

    def _machines(self) -> list[dict[str, Any]]:
        paths = sorted((self.runs_dir / "machines").glob("*.json"))
        return [_decode(json.loads(path.read_text("utf-8"))) for path in paths]

    def _executions(self) -> list[dict[str, Any]]:
        paths = (self.runs_dir / "executions").glob("*/*.json")
        return [_decode(json.loads(p.read_text("utf-8"))) for p in paths if not p.name.endswith(HISTORY_SUFFIX)]

    def _path(self, execution_arn: str, suffix: str = ".json") -> Path:
        machine, name = execution_arn.split(":")[-2:]
        path = self.runs_dir / "executions" / machine / f"{name}{suffix}"
        if not path.is_file():
            raise KeyError(f"execution not recorded: {execution_arn}")
        return path

    def list_state_machines(self, **_: Any) -> dict[str, Any]:
        """ListStateMachines."""
        keys = ("stateMachineArn", "name", "type", "creationDate")
        return {
            "stateMachines": [{key: machine[key] for key in keys if key in machine} for machine in self._machines()]
        }

    def describe_state_machine(self, stateMachineArn: str) -> dict[str, Any]:
        """DescribeStateMachine."""
        for machine in self._machines():
            if machine["stateMachineArn"] == stateMachineArn:
                return machine
        raise KeyError(f"state machine not recorded: {stateMachineArn}")

    def list_executions(self, stateMachineArn: str, **_: Any) -> dict[str, Any]:
        """ListExecutions, newest first."""
        keys = ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate")
        found = [
            {key: execution[key] for key in keys if key in execution}
            for execution in self._executions()
            if execution["stateMachineArn"] == stateMachineArn
        ]
        return {"executions": sorted(found, key=lambda execution: execution["startDate"], reverse=True)}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        """DescribeExecution."""
        return _decode(json.loads(self._path(executionArn).read_text("utf-8")))

    def get_execution_history(self, executionArn: str, **_: Any) -> dict[str, Any]:
        """GetExecutionHistory (one page: every event)."""
        events = json.loads(self._path(executionArn, HISTORY_SUFFIX).read_text("utf-8"))["events"]
        return {"events": [_decode(event) for event in events]}


class ExecutionRecorder:
    """Copies every execution of the given client into a runs directory, again whenever one changes.

    :meth:`record` takes one snapshot; :meth:`start` repeats it every ``interval`` seconds on a daemon thread until
    :meth:`stop` (which records once more, so finished runs are complete on disk).
    """

    def __init__(self, client: Any, runs_dir: Path, interval: float = 1.0) -> None:
        self.reader = StepFunctionsReader(client)
        self.runs_dir = Path(runs_dir)
        self.interval = interval
        self._written: dict[str, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self) -> int:
        """Write every machine and every execution that changed since the last call; how many executions."""
        changed = 0
        for machine in self.reader.machines():
            described = self.reader.machine(machine["stateMachineArn"])
            _write_json(self.runs_dir / "machines" / f"{described['name']}.json", _without_metadata(described))
            for listed in self.reader.executions(machine["stateMachineArn"]):
                arn = listed["executionArn"]
                if self._written.get(arn, ("", -1))[0] not in ("", "RUNNING"):
                    continue
                execution = _without_metadata(self.reader.execution(arn))
                events = self.reader.history(arn)
                mark = (execution["status"], len(events))
                if self._written.get(arn) == mark:
                    continue
                folder = self.runs_dir / "executions" / described["name"]
                _write_json(folder / f"{execution['name']}{HISTORY_SUFFIX}", {"events": events})
                _write_json(folder / f"{execution['name']}.json", execution)  # second: listed once complete
                self._written[arn] = mark
                changed += 1
        return changed

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.record()
            except Exception:  # the last record() in stop() raises it again if it persists
                continue

    def start(self) -> ExecutionRecorder:
        """Record in the background."""
        self._thread = threading.Thread(target=self._loop, name="execution-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the background thread and record a last time."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.record()
