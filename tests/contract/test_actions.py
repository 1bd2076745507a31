"""Contract: Next Best Action through plain boto3 — Actions and Action_Interactions datasets and their imports, the
aws-next-best-action recipe, PutActions, PutActionInteractions and GetActionRecommendations; every response body is
checked against botocore's output shapes by the ``wire`` fixture."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass

import pytest

from testing.personalize_setup import wait_active
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import ROLE, raises_code, schema_json

ACTION_FIELDS = [
    {"name": "ACTION_ID", "type": "string"},
    {"name": "ACTION_NAME", "type": ["null", "string"], "categorical": True},
    {"name": "ACTION_EXPIRATION_TIMESTAMP", "type": ["null", "long"]},
]
ACTION_INTERACTION_FIELDS = [
    {"name": "USER_ID", "type": "string"},
    {"name": "ACTION_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
]
ACTIONS = ["a1", "a2", "a3", "a4", "a5"]
TAKE_RATE = {"a1": 0.9, "a2": 0.3, "a3": 0.2, "a4": 0.1, "a5": 0.05}  # a1 is clearly preferred


@dataclass
class ActionGroup:
    """A dataset group with imported actions and action interactions, and an aws-next-best-action campaign."""

    arn: str
    actions_dataset: str
    interactions_dataset: str
    campaign: str
    tracking_id: str


def _interactions_csv(n_users: int = 150, seed: int = 3) -> str:
    """Every user views every action, then takes it (at its TAKE_RATE) or not."""
    rng = random.Random(seed)
    lines = ["USER_ID,ACTION_ID,TIMESTAMP,EVENT_TYPE"]
    stamp = 1_700_000_000
    for user in range(n_users):
        for action in ACTIONS:
            stamp += 1
            lines.append(f"u{user},{action},{stamp},Viewed")
            taken = rng.random() < TAKE_RATE[action]
            lines.append(f"u{user},{action},{stamp + 1},{'Taken' if taken else 'Not taken'}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def actions_group(stack: Stack) -> ActionGroup:
    """Built with plain boto3 (not recorded: this is set-up)."""
    import boto3

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", stack.pl.endpoint_url)
        client = boto3.client("personalize")
        base = f"nba-{uuid.uuid4().hex[:6]}"
        group = client.create_dataset_group(name=base)["datasetGroupArn"]
        wait_active(lambda: client.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
        datasets = {}
        texts = {
            "Actions": (
                "Actions",
                ACTION_FIELDS,
                "ACTION_ID,ACTION_NAME\n" + "".join(f"{a},{a}-name\n" for a in ACTIONS),
            ),
            "Action_Interactions": ("ActionInteractions", ACTION_INTERACTION_FIELDS, _interactions_csv()),
        }
        for kind, (record, fields, text) in texts.items():
            schema = client.create_schema(name=f"{base}-{kind}", schema=schema_json(record, fields))["schemaArn"]
            dataset = client.create_dataset(name=f"{base}-{kind}", schemaArn=schema, datasetGroupArn=group,
                                            datasetType=kind)["datasetArn"]  # fmt: skip
            wait_active(lambda d=dataset: client.describe_dataset(datasetArn=d)["dataset"], dataset)
            job = client.create_dataset_import_job(
                jobName=f"{base}-{kind}",
                datasetArn=dataset,
                dataSource={"dataLocation": stack.put(f"{base}/{kind}.csv", text)},
                roleArn=ROLE,
            )["datasetImportJobArn"]
            wait_active(
                lambda j=job: client.describe_dataset_import_job(datasetImportJobArn=j)["datasetImportJob"], job
            )
            datasets[kind] = dataset
        solution = client.create_solution(
            name=base,
            datasetGroupArn=group,
            recipeArn="arn:aws:personalize:::recipe/aws-next-best-action",
            performAutoTraining=False,
        )["solutionArn"]
        wait_active(lambda: client.describe_solution(solutionArn=solution)["solution"], solution)
        version = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        wait_active(lambda: client.describe_solution_version(solutionVersionArn=version)["solutionVersion"], version)
        campaign = client.create_campaign(name=base, solutionVersionArn=version)["campaignArn"]
        wait_active(lambda: client.describe_campaign(campaignArn=campaign)["campaign"], campaign)
        tracker = client.create_event_tracker(name=base, datasetGroupArn=group)
        wait_active(
            lambda: client.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"], base
        )
        return ActionGroup(group, datasets["Actions"], datasets["Action_Interactions"], campaign, tracker["trackingId"])


def test_action_datasets_are_described_with_their_types(wire: Wire, actions_group: ActionGroup) -> None:
    described = wire.personalize.describe_dataset(datasetArn=actions_group.interactions_dataset)["dataset"]
    assert described["datasetType"] == "Action_Interactions" and described["status"] == "ACTIVE"
    listed = wire.personalize.list_datasets(datasetGroupArn=actions_group.arn)["datasets"]
    assert {d["datasetType"] for d in listed} == {"Actions", "Action_Interactions"}


def test_action_interactions_schema_needs_its_documented_fields(wire: Wire) -> None:
    fields = [f for f in ACTION_INTERACTION_FIELDS if f["name"] != "EVENT_TYPE"]
    error = raises_code(
        "InvalidInputException",
        wire.personalize.create_schema,
        name=f"nba-bad-{uuid.uuid4().hex[:6]}",
        schema=schema_json("ActionInteractions", fields),
    )
    assert "EVENT_TYPE" in error.response["Error"]["Message"]
    only_id = [ACTION_FIELDS[0]]
    error = raises_code(
        "InvalidInputException", wire.personalize.create_schema, name=f"nba-bad-{uuid.uuid4().hex[:6]}",
        schema=schema_json("Actions", only_id),
    )  # fmt: skip
    assert "metadata field" in error.response["Error"]["Message"]


def test_recipe_is_listed_with_its_type(wire: Wire) -> None:
    recipe = wire.personalize.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-next-best-action")["recipe"]
    assert recipe["recipeType"] == "PERSONALIZED_ACTIONS"


def test_actions_come_by_propensity_with_the_preferred_action_first(wire: Wire, actions_group: ActionGroup) -> None:
    answer = wire.runtime.get_action_recommendations(campaignArn=actions_group.campaign, userId="u7", numResults=5)
    actions = answer["actionList"]
    assert actions[0]["actionId"] == "a1"
    scores = [a["score"] for a in actions]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert {a["actionId"] for a in actions} == set(ACTIONS)
    assert answer["recommendationId"].startswith("RID-")
    default = wire.runtime.get_action_recommendations(campaignArn=actions_group.campaign, userId="u7")["actionList"]
    assert len(default) == 5
    two = wire.runtime.get_action_recommendations(campaignArn=actions_group.campaign, userId="u7", numResults=2)
    assert [a["actionId"] for a in two["actionList"]] == [a["actionId"] for a in actions[:2]]
    raises_code(
        "InvalidInputException",
        wire.runtime.get_action_recommendations,
        campaignArn=actions_group.campaign,
        userId="u7",
        numResults=101,
    )


def test_other_runtime_calls_point_to_get_action_recommendations(wire: Wire, actions_group: ActionGroup) -> None:
    error = raises_code(
        "InvalidInputException", wire.runtime.get_recommendations, campaignArn=actions_group.campaign, userId="u7"
    )
    assert "GetActionRecommendations" in error.response["Error"]["Message"]


def test_put_action_interactions_change_the_next_answer(wire: Wire, actions_group: ActionGroup) -> None:
    user = f"new-{uuid.uuid4().hex[:6]}"

    def scores() -> dict[str, float]:
        answer = wire.runtime.get_action_recommendations(campaignArn=actions_group.campaign, userId=user)
        return {a["actionId"]: a["score"] for a in answer["actionList"]}

    before = scores()
    now = time.time()
    wire.events.put_action_interactions(
        trackingId=actions_group.tracking_id,
        actionInteractions=[
            {"actionId": "a5", "userId": user, "sessionId": "s1", "timestamp": now, "eventType": "Taken"},
            {"actionId": "a5", "userId": user, "sessionId": "s1", "timestamp": now, "eventType": "Taken",
             "eventId": "e-1"},
            {"actionId": "a5", "userId": user, "sessionId": "s1", "timestamp": now, "eventType": "Viewed",
             "eventId": "e-1"},
        ],
    )  # fmt: skip
    after = scores()
    assert after != before
    error = raises_code(
        "InvalidInputException",
        wire.events.put_action_interactions,
        trackingId=actions_group.tracking_id,
        actionInteractions=[
            {"actionId": "a1", "userId": user, "sessionId": "s1", "timestamp": now, "eventType": "Clicked"}
        ],
    )
    assert "Clicked" in error.response["Error"]["Message"]
    raises_code(  # as PutEvents answers an unknown trackingId
        "InvalidInputException",
        wire.events.put_action_interactions,
        trackingId="no-such-tracker",
        actionInteractions=[{"actionId": "a1", "sessionId": "s1", "timestamp": now, "eventType": "Taken"}],
    )


def test_put_actions_expiring_an_action_removes_it(wire: Wire, actions_group: ActionGroup) -> None:
    wire.events.put_actions(
        datasetArn=actions_group.actions_dataset,
        actions=[{"actionId": "a1", "properties": '{"actionName": "a1-name", "actionExpirationTimestamp": 1000}'}],
    )
    answer = wire.runtime.get_action_recommendations(campaignArn=actions_group.campaign, userId="u7", numResults=5)
    assert "a1" not in {a["actionId"] for a in answer["actionList"]}
    raises_code(
        "InvalidInputException",
        wire.events.put_actions,
        datasetArn=actions_group.actions_dataset,
        actions=[{"actionId": "a9", "properties": '{"color": "red"}'}],
    )
    raises_code(
        "InvalidInputException",
        wire.events.put_actions,
        datasetArn=actions_group.interactions_dataset,
        actions=[{"actionId": "a9", "properties": '{"actionName": "x"}'}],
    )
