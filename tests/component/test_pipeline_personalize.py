"""Describe-or-create: deterministic names, reuse, clear mismatch errors, back-off on busy/limit errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from anime_recommender.pipeline.config import RecipeSettings
from anime_recommender.pipeline.errors import ResourceMismatchError
from anime_recommender.pipeline.names import ResourceNames
from anime_recommender.pipeline.personalize import PersonalizeResources
from anime_recommender.pipeline.status import ResourceState, phase_of
from personalize_local import local_personalize
from testing.avro_schemas import avro_schema_json
from testing.personalize_setup import infer_schema, small_dataset

NAMES = ResourceNames("anime-recs")
ROLE = "arn:aws:iam::123456789012:role/personalize"
INTERACTIONS = avro_schema_json(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
)
WITH_EVENT_TYPE = json.dumps(
    {
        **json.loads(INTERACTIONS),
        "fields": [*json.loads(INTERACTIONS)["fields"], {"name": "EVENT_TYPE", "type": "string"}],
    }
)


@pytest.fixture
def resources(tmp_path: Path) -> Iterator[PersonalizeResources]:
    with mock_aws(), local_personalize(data_dir=tmp_path):
        yield PersonalizeResources(boto3.client("personalize"), NAMES, ROLE)


def until_active(call: Callable[[], ResourceState], attempts: int = 500) -> ResourceState:
    """Poll a describe-or-create call until ACTIVE (the state machine's loop, without the Wait)."""
    for _ in range(attempts):
        state = call()
        if state.phase != "PENDING":
            return state
        time.sleep(0.01)
    raise AssertionError(f"still pending: {state.summary()}")


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        ("ACTIVE", "ACTIVE"),
        ("CREATE FAILED", "FAILED"),
        ("DELETE FAILED", "FAILED"),
        ("CREATE STOPPED", "FAILED"),
        ("CREATE PENDING", "PENDING"),
        ("CREATE IN_PROGRESS", "PENDING"),
        ("IN PROGRESS", "PENDING"),
        (None, "PENDING"),
    ],
)
def test_only_terminal_statuses_end_a_poll(status: str | None, phase: str) -> None:
    assert phase_of(status) == phase


def test_the_dataset_group_and_datasets_are_created_once_then_found(resources: PersonalizeResources) -> None:
    group = until_active(resources.ensure_dataset_group)
    assert group.name == "anime-recs" and group.arn and group.arn.endswith("dataset-group/anime-recs")
    assert until_active(resources.ensure_dataset_group).arn == group.arn
    schema = resources.ensure_schema("Interactions", INTERACTIONS)
    assert resources.ensure_schema("Interactions", INTERACTIONS) == schema
    assert schema.rsplit("/", 1)[-1] == NAMES.schema("Interactions", INTERACTIONS)
    dataset = until_active(lambda: resources.ensure_dataset(group.arn, "Interactions", schema))
    assert until_active(lambda: resources.ensure_dataset(group.arn, "Interactions", schema)).arn == dataset.arn
    assert len(resources.client.list_dataset_groups()["datasetGroups"]) == 1


def test_a_dataset_with_another_schema_is_a_clear_error_not_a_silent_reuse(resources: PersonalizeResources) -> None:
    group = until_active(resources.ensure_dataset_group)
    until_active(
        lambda: resources.ensure_dataset(
            group.arn, "Interactions", resources.ensure_schema("Interactions", INTERACTIONS)
        )
    )
    other = resources.ensure_schema("Interactions", WITH_EVENT_TYPE)
    with pytest.raises(
        ResourceMismatchError, match=r"dataset anime-recs-interactions uses schema anime-recs-interactions-\w{8}, but"
    ):
        resources.ensure_dataset(group.arn, "Interactions", other)


def test_a_solution_created_with_other_settings_is_a_clear_error(resources: PersonalizeResources) -> None:
    group = until_active(resources.ensure_dataset_group)
    sims = RecipeSettings(key="sims", recipeArn="arn:aws:personalize:::recipe/aws-sims")
    solution = until_active(lambda: resources.ensure_solution(group.arn, sims))
    described = resources.client.describe_solution(solutionArn=solution.arn)["solution"]
    assert described["performAutoTraining"] is False and described["name"] == "anime-recs-sims"
    assert until_active(lambda: resources.ensure_solution(group.arn, sims)).arn == solution.arn

    tuned = sims.model_copy(update={"algorithmHyperParameters": {"popularity_discount_factor": "0.9"}})
    with pytest.raises(ResourceMismatchError) as error:
        resources.ensure_solution(group.arn, tuned)
    assert "solution anime-recs-sims exists but differs from the config" in str(error.value)
    assert "algorithmHyperParameters.popularity_discount_factor" in str(error.value)
    other_recipe = RecipeSettings(key="sims", recipeArn="arn:aws:personalize:::recipe/aws-popularity-count")
    with pytest.raises(ResourceMismatchError, match="recipe arn:aws:personalize:::recipe/aws-sims"):
        resources.ensure_solution(group.arn, other_recipe)


def test_a_filter_with_another_expression_is_a_clear_error(resources: PersonalizeResources) -> None:
    group = until_active(resources.ensure_dataset_group)
    until_active(
        lambda: resources.ensure_dataset(
            group.arn, "Interactions", resources.ensure_schema("Interactions", WITH_EVENT_TYPE)
        )
    )
    resources.client.create_filter(
        name="anime-recs-base",
        datasetGroupArn=group.arn,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("WATCHED")',
    )
    with pytest.raises(ResourceMismatchError, match="filter anime-recs-base exists with expression"):
        resources.ensure_filter(
            group.arn, "base", "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($WATCHED_EVENT_TYPES)"
        )


@pytest.mark.parametrize("code", ["LimitExceededException", "ResourceInUseException"])
def test_limit_and_busy_errors_mean_back_off_and_poll_again(code: str) -> None:
    client = boto3.client("personalize", region_name="us-east-1")
    resources = PersonalizeResources(client, NAMES, ROLE)
    with Stubber(client) as stub:
        stub.add_response(
            "list_solutions",
            {"solutions": []},
            {"datasetGroupArn": "arn:aws:personalize:us-east-1:1:dataset-group/anime-recs"},
        )
        stub.add_client_error("create_solution", service_error_code=code, service_message="too many")
        state = resources.ensure_solution(
            "arn:aws:personalize:us-east-1:1:dataset-group/anime-recs",
            RecipeSettings(key="sims", recipeArn="arn:aws:personalize:::recipe/aws-sims"),
        )
    assert state.phase == "PENDING" and state.note == f"backing off: {code}"


def test_other_errors_propagate() -> None:
    client = boto3.client("personalize", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("list_dataset_groups", {"datasetGroups": []})
        stub.add_client_error(
            "create_dataset_group", service_error_code="InvalidInputException", service_message="bad name"
        )
        with pytest.raises(client.exceptions.InvalidInputException):
            PersonalizeResources(client, NAMES, ROLE).ensure_dataset_group()


def test_an_import_is_reused_by_a_retry_of_the_same_drop_but_redone_after_another_drop(
    resources: PersonalizeResources,
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="prepared-data")
    s3.put_object(Bucket="prepared-data", Key="a/interactions.csv", Body=small_dataset().interactions_csv.encode())
    location = "s3://prepared-data/a/interactions.csv"
    group = until_active(resources.ensure_dataset_group)
    schema = resources.ensure_schema("Interactions", infer_schema(small_dataset().interactions_csv, "Interactions"))
    dataset = until_active(lambda: resources.ensure_dataset(group.arn, "Interactions", schema))

    def start(content: str) -> ResourceState:
        first = resources.ensure_import_job(dataset.arn, "Interactions", content, location, "FULL")
        return until_active(
            lambda: resources.ensure_import_job(dataset.arn, "Interactions", content, location, "FULL", first.arn)
        )

    job_a = start("a" * 64)
    assert job_a.phase == "ACTIVE" and job_a.name == NAMES.import_job("Interactions", "a" * 64)
    retry = resources.ensure_import_job(dataset.arn, "Interactions", "a" * 64, location, "FULL")
    assert retry.arn == job_a.arn  # a retry of the same drop: the newest import is already its data
    start("b" * 64)  # another drop imported since
    again = resources.ensure_import_job(dataset.arn, "Interactions", "a" * 64, location, "FULL")
    assert again.arn != job_a.arn and again.name == f"{job_a.name}-2"
