"""Contract: solutions, solution versions, metrics, campaigns and UpdateCampaign through plain boto3."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from anime_recommender.contracts.metrics import METRIC_KEYS
from testing.personalize_setup import infer_schema, small_dataset, wait_active
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import ROLE, assert_create_order, code_of, poll_statuses, wait_gone


@dataclass
class Group:
    """A dataset group with imported interactions and items."""

    arn: str
    interactions_location: str


@pytest.fixture(scope="module")
def group(stack: Stack) -> Group:
    """Built with plain boto3 (not recorded: this is set-up)."""
    import boto3

    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ENDPOINT_URL_PERSONALIZE",):
            patch.setenv(name, stack.pl.endpoint_url)
        client = boto3.client("personalize")
        data = small_dataset()
        base = f"train-{uuid.uuid4().hex[:6]}"
        arn = client.create_dataset_group(name=base)["datasetGroupArn"]
        wait_active(lambda: client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"], arn)
        locations = {}
        for kind, text in (("Interactions", data.interactions_csv), ("Items", data.items_csv)):
            schema = client.create_schema(name=f"{base}-{kind}", schema=infer_schema(text, kind))["schemaArn"]
            dataset = client.create_dataset(
                name=f"{base}-{kind}", schemaArn=schema, datasetGroupArn=arn, datasetType=kind
            )["datasetArn"]
            wait_active(lambda d=dataset: client.describe_dataset(datasetArn=d)["dataset"], dataset)
            locations[kind] = stack.put(f"{base}/{kind}.csv", text)
            job = client.create_dataset_import_job(
                jobName=f"{base}-{kind}", datasetArn=dataset, dataSource={"dataLocation": locations[kind]}, roleArn=ROLE
            )["datasetImportJobArn"]
            wait_active(
                lambda j=job: client.describe_dataset_import_job(datasetImportJobArn=j)["datasetImportJob"], job
            )
        return Group(arn, locations["Interactions"])


def _raises(code: str, call, **kwargs) -> ClientError:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    assert code_of(info.value) == code, info.value
    return info.value


def _solution(wire: Wire, group: Group, recipe: str, **extra: object) -> str:
    arn = wire.personalize.create_solution(
        name=f"sol-{uuid.uuid4().hex[:8]}",
        datasetGroupArn=group.arn,
        recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
        **extra,
    )["solutionArn"]
    poll_statuses(lambda: wire.personalize.describe_solution(solutionArn=arn)["solution"])
    return arn


def _version(wire: Wire, solution_arn: str, mode: str = "FULL") -> dict:
    arn = wire.personalize.create_solution_version(solutionArn=solution_arn, trainingMode=mode)["solutionVersionArn"]
    seen = poll_statuses(lambda: wire.personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"])
    assert seen[-1] == "ACTIVE", wire.personalize.describe_solution_version(solutionVersionArn=arn)
    assert_create_order(seen)
    return wire.personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]


def test_solution_validates_recipe_and_hyperparameters(wire: Wire, group: Group) -> None:
    name = f"sol-{uuid.uuid4().hex[:8]}"
    _raises(
        "ResourceNotFoundException",
        wire.personalize.create_solution,
        name=name,
        datasetGroupArn=group.arn,
        recipeArn="arn:aws:personalize:::recipe/aws-no-such-recipe",
    )
    error = _raises(
        "InvalidInputException",
        wire.personalize.create_solution,
        name=name,
        datasetGroupArn=group.arn,
        recipeArn="arn:aws:personalize:::recipe/aws-sims",
        solutionConfig={"algorithmHyperParameters": {"popularity_discount_factor": "7"}},
    )
    assert "popularity_discount_factor" in error.response["Error"]["Message"]
    arn = _solution(wire, group, "aws-popularity-count", performAutoTraining=False)
    solution = wire.personalize.describe_solution(solutionArn=arn)["solution"]
    assert solution["performAutoTraining"] is False and solution["recipeArn"].endswith("recipe/aws-popularity-count")
    assert "latestSolutionVersion" not in solution
    _raises("ResourceAlreadyExistsException", wire.personalize.create_solution, name=solution["name"],
            datasetGroupArn=group.arn, recipeArn=solution["recipeArn"])  # fmt: skip
    assert arn in {s["solutionArn"] for s in wire.personalize.list_solutions(datasetGroupArn=group.arn)["solutions"]}
    _raises("InvalidInputException", wire.personalize.create_solution_version, solutionArn=arn, trainingMode="UPDATE")
    named = wire.personalize.create_solution_version(solutionArn=arn, name="first")["solutionVersionArn"]
    poll_statuses(lambda: wire.personalize.describe_solution_version(solutionVersionArn=named)["solutionVersion"])
    assert wire.personalize.describe_solution_version(solutionVersionArn=named)["solutionVersion"]["name"] == "first"
    _raises("ResourceAlreadyExistsException", wire.personalize.create_solution_version, solutionArn=arn, name="first")


def test_solution_version_trains_evaluates_and_records_hyperparameters(wire: Wire, group: Group) -> None:
    solution = _solution(
        wire, group, "aws-user-personalization", solutionConfig={"algorithmHyperParameters": {"hidden_dimension": "48"}}
    )
    version = _version(wire, solution)
    assert version["trainingMode"] == "FULL" and version["trainingType"] == "MANUAL"
    assert version["tunedHPOParams"]["algorithmHyperParameters"]["hidden_dimension"] == "48"
    assert version["trainingHours"] >= 0
    metrics = wire.personalize.get_solution_metrics(solutionVersionArn=version["solutionVersionArn"])["metrics"]
    assert set(metrics) == set(METRIC_KEYS)
    assert all(0.0 <= value <= 1.0 and round(value, 4) == value for value in metrics.values())
    latest = wire.personalize.describe_solution(solutionArn=solution)["solution"]["latestSolutionVersion"]
    assert latest["solutionVersionArn"] == version["solutionVersionArn"]

    update = _version(wire, solution, mode="UPDATE")
    assert update["trainingMode"] == "UPDATE"
    versions = wire.personalize.list_solution_versions(solutionArn=solution)["solutionVersions"]
    assert [v["trainingMode"] for v in versions] == ["UPDATE", "FULL"]


def test_training_below_personalize_minimums_fails_with_a_reason(stack: Stack, wire: Wire) -> None:
    base = f"tiny-{uuid.uuid4().hex[:6]}"
    arn = wire.personalize.create_dataset_group(name=base)["datasetGroupArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    text = "USER_ID,ITEM_ID,TIMESTAMP\n" + "".join(f"u{n % 7},i{n % 5},{1700000000 + n}\n" for n in range(50))
    schema = wire.personalize.create_schema(name=base, schema=infer_schema(text, "Interactions"))["schemaArn"]
    dataset = wire.personalize.create_dataset(
        name=base, schemaArn=schema, datasetGroupArn=arn, datasetType="Interactions"
    )["datasetArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset(datasetArn=dataset)["dataset"])
    job = wire.personalize.create_dataset_import_job(
        jobName=base, datasetArn=dataset, dataSource={"dataLocation": stack.put(f"{base}.csv", text)}, roleArn=ROLE
    )["datasetImportJobArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])
    solution = _solution(wire, Group(arn, ""), "aws-popularity-count")
    version = wire.personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    seen = poll_statuses(
        lambda: wire.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    )
    assert seen[-1] == "CREATE FAILED"
    reason = wire.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["failureReason"]
    assert "1000" in reason and "50 interactions" in reason
    _raises("ResourceInUseException", wire.personalize.get_solution_metrics, solutionVersionArn=version)


def test_campaign_create_update_and_delete_rules(wire: Wire, group: Group) -> None:
    solution = _solution(wire, group, "aws-popularity-count")
    first = _version(wire, solution)["solutionVersionArn"]
    sims = _solution(wire, group, "aws-sims")
    sims_version = _version(wire, sims)["solutionVersionArn"]
    _raises(
        "InvalidInputException",
        wire.personalize.create_campaign,
        name=f"c-{uuid.uuid4().hex[:8]}",
        solutionVersionArn=sims_version,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.5"}},
    )
    _raises(
        "InvalidInputException",
        wire.personalize.create_campaign,
        name=f"c-{uuid.uuid4().hex[:8]}",
        solutionVersionArn=first,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "1.5"}},
    )
    name = f"c-{uuid.uuid4().hex[:8]}"
    config = {"itemExplorationConfig": {"explorationWeight": "0.1", "explorationItemAgeCutOff": "7"}}
    arn = wire.personalize.create_campaign(
        name=name, solutionVersionArn=first, minProvisionedTPS=1, campaignConfig=config
    )["campaignArn"]
    assert arn.endswith(f":campaign/{name}")
    seen = poll_statuses(lambda: wire.personalize.describe_campaign(campaignArn=arn)["campaign"])
    assert_create_order(seen)
    campaign = wire.personalize.describe_campaign(campaignArn=arn)["campaign"]
    assert campaign["campaignConfig"] == config and campaign["solutionVersionArn"] == first
    assert arn in {c["campaignArn"] for c in wire.personalize.list_campaigns(solutionArn=solution)["campaigns"]}
    _raises("ResourceAlreadyExistsException", wire.personalize.create_campaign, name=name, solutionVersionArn=first)
    _raises("ResourceInUseException", wire.personalize.delete_solution, solutionArn=solution)

    second = _version(wire, solution)["solutionVersionArn"]
    wire.personalize.update_campaign(campaignArn=arn, solutionVersionArn=second, minProvisionedTPS=2)

    def update_state() -> dict:
        campaign = wire.personalize.describe_campaign(campaignArn=arn)["campaign"]
        assert campaign["status"] == "ACTIVE"  # the campaign keeps serving while it updates
        return campaign["latestCampaignUpdate"]

    assert_create_order(poll_statuses(update_state))
    campaign = wire.personalize.describe_campaign(campaignArn=arn)["campaign"]
    assert campaign["solutionVersionArn"] == second and campaign["minProvisionedTPS"] == 2
    _raises("InvalidInputException", wire.personalize.update_campaign, campaignArn=arn, solutionVersionArn=sims_version)

    wire.personalize.delete_campaign(campaignArn=arn)
    wait_gone(lambda: wire.personalize.describe_campaign(campaignArn=arn)["campaign"])
    wire.personalize.delete_solution(solutionArn=solution)
    wait_gone(lambda: wire.personalize.describe_solution(solutionArn=solution)["solution"])
    _raises("ResourceNotFoundException", wire.personalize.describe_solution_version, solutionVersionArn=second)


def test_campaign_on_latest_version_follows_the_solution(wire: Wire, group: Group) -> None:
    solution = _solution(wire, group, "aws-popularity-count")
    version = _version(wire, solution)["solutionVersionArn"]
    _raises(
        "InvalidInputException",
        wire.personalize.create_campaign,
        name=f"c-{uuid.uuid4().hex[:8]}",
        solutionVersionArn=version,
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )
    arn = wire.personalize.create_campaign(
        name=f"c-{uuid.uuid4().hex[:8]}",
        solutionVersionArn=f"{solution}/$LATEST",
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )["campaignArn"]
    assert poll_statuses(lambda: wire.personalize.describe_campaign(campaignArn=arn)["campaign"])[-1] == "ACTIVE"
    items = wire.runtime.get_recommendations(campaignArn=arn, userId="u001", numResults=3)["itemList"]
    assert len(items) == 3 and all("score" not in item for item in items)
