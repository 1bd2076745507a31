"""Contract: the rules of the automatic-training schedule, driven through the scheduler's ``refresh(at=…)`` on a
real-time clock (so the background scheduler does nothing during the test): a manual version within the first hour
skips the first automatic training, and later trainings happen only when new data arrived."""

from __future__ import annotations

import time
import uuid

from tests.contract import test_solutions_and_campaigns as solutions_suite
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import poll_statuses
from tests.contract.test_solutions_and_campaigns import Group, _solution

group = solutions_suite.group  # the dataset group fixture of the solutions suite (interactions + items imported)
HOUR, DAY = 3600.0, 86400.0


def _mine(created: list[str], solution_arn: str) -> list[str]:
    return [arn for arn in created if arn.startswith(solution_arn + "/")]


def test_manual_version_in_the_first_hour_skips_the_first_automatic_training(
    stack: Stack, wire: Wire, group: Group
) -> None:
    scheduler = stack.pl.backend.auto_training
    assert scheduler.clock.speed == 1.0
    arn = _solution(wire, group, "aws-popularity-count")  # performAutoTraining defaults to true
    manual = wire.personalize.create_solution_version(solutionArn=arn)["solutionVersionArn"]
    poll_statuses(lambda: wire.personalize.describe_solution_version(solutionVersionArn=manual)["solutionVersion"])
    start = scheduler.clock.now()
    assert _mine(scheduler.refresh(at=start + 30 * 60), arn) == []  # not due yet
    assert _mine(scheduler.refresh(at=start + HOUR + 1), arn) == []  # skipped: a manual version came first
    assert _mine(scheduler.refresh(at=start + HOUR + 8 * DAY), arn) == []  # due, but no new data since
    tracker = wire.personalize.create_event_tracker(name=f"trk-{uuid.uuid4().hex[:6]}", datasetGroupArn=group.arn)
    poll_statuses(
        lambda: wire.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"]
    )
    wire.events.put_events(
        trackingId=tracker["trackingId"],
        userId="u2",
        sessionId="s2",
        eventList=[{"eventType": "Watch", "itemId": "i2", "sentAt": time.time()}],
    )
    created = _mine(scheduler.refresh(at=start + HOUR + 16 * DAY), arn)  # due (7 days) and new data
    assert len(created) == 1
    version = wire.personalize.describe_solution_version(solutionVersionArn=created[0])["solutionVersion"]
    assert version["trainingType"] == "AUTOMATIC" and version["trainingMode"] == "FULL"
    listed = wire.personalize.list_solution_versions(solutionArn=arn)["solutionVersions"]
    assert {v["trainingType"] for v in listed} == {"MANUAL", "AUTOMATIC"}
    poll_statuses(lambda: wire.personalize.describe_solution_version(solutionVersionArn=created[0])["solutionVersion"])


def test_a_solution_without_auto_training_gets_no_automatic_version(stack: Stack, wire: Wire, group: Group) -> None:
    scheduler = stack.pl.backend.auto_training
    arn = _solution(wire, group, "aws-popularity-count", performAutoTraining=False)
    start = scheduler.clock.now()
    assert _mine(scheduler.refresh(at=start + 2 * HOUR), arn) == []
    assert _mine(scheduler.refresh(at=start + 30 * DAY), arn) == []
    assert wire.personalize.list_solution_versions(solutionArn=arn)["solutionVersions"] == []
