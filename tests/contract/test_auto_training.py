"""Contract: UpdateSolution, automatic training on the backend's (sped-up) clock, DescribeFeatureTransformation,
through plain boto3; every response body is checked against botocore's output shapes by the ``wire`` fixture."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from personalize_local.models.clock import CLOCK_SPEED_VARIABLE
from testing.polling import wait_until
from tests.contract import test_solutions_and_campaigns as solutions_suite
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import raises_code
from tests.contract.test_solutions_and_campaigns import Group, _solution

SPEED = 86400.0  # one simulated day per real second
group = solutions_suite.group  # the dataset group fixture of the solutions suite (interactions + items imported)


@pytest.fixture(scope="module")
def fast_clock() -> Iterator[float]:
    """The module's server runs its schedules at SPEED (set before the module's ``stack`` starts)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CLOCK_SPEED_VARIABLE, str(SPEED))
        yield SPEED


@pytest.fixture(scope="module")
def stack(fast_clock: float, stack: Stack) -> Stack:
    """The contract suite's stack, started with the fast clock."""
    assert stack.pl.backend.config.clock_speed == fast_clock
    return stack


def _automatic_versions(wire: Wire, solution_arn: str) -> list[dict]:
    summaries = wire.personalize.list_solution_versions(solutionArn=solution_arn)["solutionVersions"]
    return [s for s in summaries if s.get("trainingType") == "AUTOMATIC"]


def _poll(condition, what: str, timeout: float = 90.0):  # type: ignore[no-untyped-def]
    return wait_until(condition, timeout=timeout, interval=0.05, max_interval=0.05, message=f"{what} did not happen")


def test_an_automatic_version_appears_on_the_schedule_and_again_after_new_data(
    stack: Stack, wire: Wire, group: Group
) -> None:
    arn = _solution(
        wire,
        group,
        "aws-popularity-count",
        solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(1 day)"}},
    )
    solution = wire.personalize.describe_solution(solutionArn=arn)["solution"]
    assert solution["performAutoTraining"] is True  # AWS's default
    first = _poll(lambda: _automatic_versions(wire, arn), "the first automatic version")
    version = wire.personalize.describe_solution_version(solutionVersionArn=first[0]["solutionVersionArn"])
    assert version["solutionVersion"]["trainingType"] == "AUTOMATIC"
    assert version["solutionVersion"]["trainingMode"] == "FULL"
    _poll(
        lambda: (
            wire.personalize.describe_solution_version(solutionVersionArn=first[0]["solutionVersionArn"])[
                "solutionVersion"
            ]["status"]
            == "ACTIVE"
        ),
        "the automatic version becoming ACTIVE",
    )
    # New interaction data: the next scheduled training (a simulated day later) creates a second version.
    tracker = wire.personalize.create_event_tracker(name=f"trk-{uuid.uuid4().hex[:6]}", datasetGroupArn=group.arn)
    tracking_id = tracker["trackingId"]
    _poll(
        lambda: (
            wire.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"][
                "status"
            ]
            == "ACTIVE"
        ),
        "the event tracker",
    )
    wire.events.put_events(
        trackingId=tracking_id,
        userId="u1",
        sessionId="s1",
        eventList=[{"eventType": "Watch", "itemId": "i1", "sentAt": time.time()}],
    )
    _poll(lambda: len(_automatic_versions(wire, arn)) >= 2, "a second automatic version after new data")


def test_no_automatic_version_when_auto_training_is_off_or_no_new_data(stack: Stack, wire: Wire, group: Group) -> None:
    off = _solution(wire, group, "aws-popularity-count", performAutoTraining=False)
    on = _solution(
        wire,
        group,
        "aws-popularity-count",
        solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(2 days)"}},
    )
    scheduler = stack.pl.backend.auto_training
    later = scheduler.clock.now() + 3 * 3600
    created = scheduler.refresh(at=later)
    assert off not in {c.rsplit("/", 1)[0] for c in created}
    assert not _automatic_versions(wire, off)
    _poll(lambda: _automatic_versions(wire, on), "the first automatic version of the solution with auto training")
    # Without new data since that training, the next due time passes without a new version.
    _poll(
        lambda: all(
            wire.personalize.describe_solution_version(solutionVersionArn=v["solutionVersionArn"])["solutionVersion"][
                "status"
            ]
            in ("ACTIVE", "CREATE FAILED")
            for v in _automatic_versions(wire, on)
        ),
        "the automatic version finishing",
    )
    count = len(_automatic_versions(wire, on))
    assert not [c for c in scheduler.refresh(at=scheduler.clock.now() + 30 * 86400) if c.startswith(on + "/")]
    assert len(_automatic_versions(wire, on)) == count


def test_turning_automatic_training_on_with_update_solution_starts_the_schedule(
    stack: Stack, wire: Wire, group: Group
) -> None:
    arn = _solution(wire, group, "aws-popularity-count", performAutoTraining=False)
    manual = wire.personalize.create_solution_version(solutionArn=arn)["solutionVersionArn"]
    wire.personalize.update_solution(solutionArn=arn, performAutoTraining=True)
    _poll(
        lambda: (
            wire.personalize.describe_solution(solutionArn=arn)["solution"]["latestSolutionUpdate"]["status"]
            == "ACTIVE"
        ),
        "the solution update",
    )
    _poll(
        lambda: (
            wire.personalize.describe_solution_version(solutionVersionArn=manual)["solutionVersion"]["status"]
            == "ACTIVE"
        ),
        "the manual version",
    )
    # The update restarts the schedule after the manual version was created, so the first training happens.
    assert _poll(lambda: _automatic_versions(wire, arn), "the first automatic version after turning it on")


def test_update_solution_goes_through_latest_solution_update(wire: Wire, group: Group) -> None:
    arn = _solution(wire, group, "aws-popularity-count", performAutoTraining=False)
    response = wire.personalize.update_solution(
        solutionArn=arn,
        performAutoTraining=False,
        solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}},
    )
    assert response["solutionArn"] == arn
    seen = []

    def active() -> bool:
        update = wire.personalize.describe_solution(solutionArn=arn)["solution"]["latestSolutionUpdate"]
        if not seen or seen[-1] != update["status"]:
            seen.append(update["status"])
        return update["status"] == "ACTIVE"

    _poll(active, "the solution update")
    assert seen[-1] == "ACTIVE" and set(seen) <= {"CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"}
    solution = wire.personalize.describe_solution(solutionArn=arn)["solution"]
    update = solution["latestSolutionUpdate"]
    assert update["performAutoTraining"] is False
    assert update["solutionUpdateConfig"]["autoTrainingConfig"]["schedulingExpression"] == "rate(3 days)"
    assert solution["solutionConfig"]["autoTrainingConfig"]["schedulingExpression"] == "rate(3 days)"
    for bad in ("rate(31 days)", "rate(0 days)"):
        error = raises_code(
            "InvalidInputException",
            wire.personalize.update_solution,
            solutionArn=arn,
            solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": bad}},
        )
        assert "between 1 and 30" in error.response["Error"]["Message"]
    raises_code(
        "InvalidInputException",
        wire.personalize.create_solution,
        name=f"sol-{uuid.uuid4().hex[:8]}",
        datasetGroupArn=group.arn,
        recipeArn="arn:aws:personalize:::recipe/aws-popularity-count",
        solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(45 days)"}},
    )
    raises_code(
        "ResourceNotFoundException",
        wire.personalize.update_solution,
        solutionArn=arn + "-missing",
        performAutoTraining=True,
    )


def test_describe_feature_transformation_of_a_recipe(wire: Wire) -> None:
    recipe = wire.personalize.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-sims")["recipe"]
    arn = recipe["featureTransformationArn"]
    transformation = wire.personalize.describe_feature_transformation(featureTransformationArn=arn)[
        "featureTransformation"
    ]
    assert transformation["featureTransformationArn"] == arn and transformation["status"] == "ACTIVE"
    assert transformation["name"] == arn.rsplit("/", 1)[1]
    assert "min_user_history_length_percentile" in transformation["defaultParameters"]
    raises_code(
        "ResourceNotFoundException",
        wire.personalize.describe_feature_transformation,
        featureTransformationArn="arn:aws:personalize:::feature-transformation/no-such-thing",
    )
