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


def _entry(event: dict[str, Any] | None, by_id: dict[int, dict[str, Any]], cache: dict[int, int | None]) -> int | None:
    """The id of the ``...StateEntered`` event an event belongs to: the nearest one along ``previousEventId`` (so
    concurrent Map iterations of the same state keep their own attempts apart)."""
    chain = []
    entry = None
    while event is not None:
        event_id = event["id"]
        if event_id in cache:
            entry = cache[event_id]
            break
        chain.append(event_id)
        if event["type"].endswith("StateEntered"):
            entry = event_id
            break
        event = by_id.get(event.get("previousEventId", 0))
    for event_id in chain:
        cache[event_id] = entry
    return entry


class _Walk:
    """Visits of each state, built event by event."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.by_id = {event["id"]: event for event in events}
        self.entries: dict[int, int | None] = {}
        self.by_entry: dict[int, Visit] = {}
        self.visits: dict[str, list[Visit]] = {}
        self.latest: dict[str, Visit] = {}

    def visit_of(self, event: dict[str, Any], name: str | None = None) -> Visit | None:
        """The visit an event belongs to; with ``name``, the latest visit of that state when the chain leads to
        another state (a Map's exit follows its iterations' events)."""
        entry = _entry(event, self.by_id, self.entries)
        visit = self.by_entry.get(entry) if entry is not None else None
        if name is not None:
            entered = self.by_id.get(entry or 0, {}).get("stateEnteredEventDetails", {}).get("name")
            if visit is None or entered != name:
                visit = self.latest.get(name)
        return visit

    def enter(self, event: dict[str, Any], name: str) -> Visit:
        """A new visit of ``name``; a previous state left through its ``Catch`` without an exit event is closed."""
        previous = self.by_id.get(event.get("previousEventId", 0))
        before = self.visit_of(previous) if previous is not None else None
        if before is not None and before.exited is None and before.last_was_failure:
            before.exited = event["timestamp"]
        visit = Visit(entered=event["timestamp"], input=_details(event).get("input"))
        self.by_entry[event["id"]] = visit
        self.visits.setdefault(name, []).append(visit)
        self.latest[name] = visit
        return visit


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
    walk = _Walk(events)
    execution_error: dict[str, str] = {}
    for event in events:
        kind, details = event["type"], _details(event)
        if kind.endswith("StateEntered"):
            visit = walk.enter(event, details["name"])
            if kind == "FailStateEntered":
                visit.failures.append({})
        elif kind.endswith("StateExited"):
            visit = walk.visit_of(event, details["name"])
            if visit is not None:
                visit.exited, visit.output = event["timestamp"], details.get("output")
        elif kind in {"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}:
            execution_error = {"error": details.get("error", kind), "cause": details.get("cause", "")}
        elif kind in ATTEMPT_EVENTS or kind in FAILURE_EVENTS:
            visit = walk.visit_of(event)
            if visit is None:
                continue
            if kind in ATTEMPT_EVENTS:
                visit.attempts += 1
                visit.last_was_failure = False
            else:
                visit.failures.append({"error": details.get("error", kind), "cause": details.get("cause", "")})
                visit.last_was_failure = True
    summaries = {}
    for name, runs in walk.visits.items():
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
