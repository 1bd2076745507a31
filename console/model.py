"""Execution history events -> one summary per state: status, visits (polls), retries, durations, input, output,
error and cause.

Statuses: ``succeeded``, ``failed``, ``running``, ``caught`` (failed, handled by a ``Catch``) and ``not-reached``
(states without a summary).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

#: Events that end a task attempt with an error (task integrations and plain Lambda ARN resources).
FAILURE_EVENTS = {
    "TaskFailed",
    "TaskTimedOut",
    "TaskSubmitFailed",
    "TaskStartFailed",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed",
    "MapStateFailed",
    "ParallelStateFailed",
}
#: Events that start a task attempt.
ATTEMPT_EVENTS = {"TaskScheduled", "LambdaFunctionScheduled"}


@dataclass
class Visit:
    """One entry into a state (a poll loop enters its states once per round)."""

    entered: datetime
    input: str | None
    exited: datetime | None = None
    output: str | None = None
    failures: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0
    last_was_failure: bool = False


@dataclass
class StateSummary:
    """What happened to one state over an execution."""

    name: str
    status: str
    visits: int
    retries: int
    duration_seconds: float
    first_entered: str
    last_exited: str | None
    input: str | None
    output: str | None
    error: str | None
    cause: str | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _details(event: dict[str, Any]) -> dict[str, Any]:
    """The event's ``...EventDetails`` member (each event type has its own key)."""
    return next((value for key, value in event.items() if key.endswith("EventDetails")), {})


def _owner(event: dict[str, Any], by_id: dict[int, dict[str, Any]], cache: dict[int, str | None]) -> str | None:
    """The state an event belongs to: the nearest ``...StateEntered`` along ``previousEventId``."""
    chain = []
    current: dict[str, Any] | None = event
    owner = None
    while current is not None:
        event_id = current["id"]
        if event_id in cache:
            owner = cache[event_id]
            break
        chain.append(event_id)
        if current["type"].endswith("StateEntered"):
            owner = current["stateEnteredEventDetails"]["name"]
            break
        current = by_id.get(current.get("previousEventId", 0))
    for event_id in chain:
        cache[event_id] = owner
    return owner


def _close_caught(
    previous: dict[str, Any] | None,
    by_id: dict[int, dict[str, Any]],
    owners: dict[int, str | None],
    open_visit: dict[str, Visit],
    when: datetime,
) -> None:
    """A state entered right after a failed attempt of another state: that state's ``Catch`` moved on (histories
    without a ``...StateExited`` for the caught state)."""
    name = _owner(previous, by_id, owners) if previous is not None else None
    visit = open_visit.get(name) if name else None
    if visit is not None and visit.exited is None and visit.last_was_failure:
        visit.exited = when


def _visit_status(visit: Visit, execution_status: str) -> str:
    if visit.exited is not None:
        return "caught" if visit.last_was_failure else "succeeded"
    return "running" if execution_status == "RUNNING" else "failed"


def _aggregate(statuses: list[str]) -> str:
    """Concurrent visits (Map iterations): running or failed anywhere wins, else the last visit's status."""
    for dominant in ("running", "failed"):
        if dominant in statuses:
            return dominant
    return statuses[-1]


def state_summaries(events: list[dict[str, Any]], execution_status: str) -> dict[str, StateSummary]:
    """Summaries of every state that was entered, by state name (``execution_status`` as DescribeExecution says)."""
    by_id = {event["id"]: event for event in events}
    owners: dict[int, str | None] = {}
    visits: dict[str, list[Visit]] = {}
    open_visit: dict[str, Visit] = {}
    execution_error: dict[str, str] = {}
    for event in events:
        kind, details = event["type"], _details(event)
        if kind.endswith("StateEntered"):
            _close_caught(by_id.get(event.get("previousEventId", 0)), by_id, owners, open_visit, event["timestamp"])
            visit = Visit(entered=event["timestamp"], input=details.get("input"))
            visits.setdefault(details["name"], []).append(visit)
            open_visit[details["name"]] = visit
            if kind == "FailStateEntered":
                visit.failures.append({})
        elif kind.endswith("StateExited"):
            visit = open_visit.get(details["name"])
            if visit is not None:
                visit.exited, visit.output = event["timestamp"], details.get("output")
        elif kind in {"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}:
            execution_error = {"error": details.get("error", kind), "cause": details.get("cause", "")}
        else:
            name = _owner(event, by_id, owners)
            visit = open_visit.get(name) if name else None
            if visit is None:
                continue
            if kind in ATTEMPT_EVENTS:
                visit.attempts += 1
                visit.last_was_failure = False
            elif kind in FAILURE_EVENTS:
                visit.failures.append({"error": details.get("error", kind), "cause": details.get("cause", "")})
                visit.last_was_failure = True
    summaries = {}
    for name, runs in visits.items():
        summaries[name] = _summary(name, runs, execution_status, execution_error)
    return summaries


def _summary(name: str, runs: list[Visit], execution_status: str, execution_error: dict[str, str]) -> StateSummary:
    statuses = [_visit_status(visit, execution_status) for visit in runs]
    status = _aggregate(statuses)
    last = runs[-1]
    failures = [failure for visit in runs for failure in visit.failures]
    failure = failures[-1] if failures else {}
    if status == "failed" and not failure.get("error"):
        failure = execution_error or failure
    exits = [visit.exited for visit in runs if visit.exited is not None]
    duration = sum(((visit.exited or visit.entered) - visit.entered).total_seconds() for visit in runs)
    return StateSummary(
        name=name,
        status=status,
        visits=len(runs),
        retries=sum(max(visit.attempts - 1, 0) for visit in runs),
        duration_seconds=round(duration, 3),
        first_entered=runs[0].entered.isoformat(),
        last_exited=max(exits).isoformat() if exits else None,
        input=last.input,
        output=last.output,
        error=failure.get("error") or None,
        cause=failure.get("cause") or None,
    )


def parse_json(text: str | None) -> Any:
    """A history document (input/output) as JSON, or the text itself when it is not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
