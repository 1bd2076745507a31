"""Contract: AWS's getting-started flow for the SDK for Python (Boto3), Custom dataset group with the
User-Personalization-v2 recipe, runs unchanged against Personalize Local.

The calls, their parameters and the status polling are the ones AWS documents in
https://docs.aws.amazon.com/personalize/latest/dg/getting-started-python.html (with the data prepared as in
https://docs.aws.amazon.com/personalize/latest/dg/gs-prerequisites.html and the clean-up of
https://docs.aws.amazon.com/personalize/latest/dg/deleting-resources.html). Only two things differ: the polling loops
wait ``POLL_INTERVAL`` instead of AWS's ``time.sleep(60)`` (and give up after ``MAX_WAIT`` instead of three hours),
and the data is a seeded MovieLens-shaped interactions CSV uploaded to moto S3 instead of the MovieLens download.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import ROLE, schema_json

POLL_INTERVAL = 0.05  # AWS's tutorial sleeps 60 s between two describe calls
MAX_WAIT = 120  # AWS's tutorial waits up to 3 hours
NUM_RESULTS = 10


def movielens_shaped_interactions(n_users: int = 120, n_items: int = 300, per_user: int = 25) -> pd.DataFrame:
    """Interactions shaped like the tutorial's prepared MovieLens ratings: USER_ID, ITEM_ID, TIMESTAMP (seconds),
    integer ids as in ratings.csv, a popularity skew over the items."""
    rng = np.random.default_rng(2024)
    popularity = 1.0 / np.arange(1, n_items + 1)
    rows = []
    for user in range(1, n_users + 1):
        items = rng.choice(np.arange(1, n_items + 1), size=per_user, replace=False, p=popularity / popularity.sum())
        start = 964_982_703 + int(rng.integers(0, 10_000_000))
        rows += [(user, int(item), start + 60 * k) for k, item in enumerate(items)]
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


def wait_for(describe: Callable[[], dict[str, Any]], key: str) -> str:
    """AWS's polling loop: describe until ACTIVE or CREATE FAILED; the final status."""
    status = ""
    max_time = time.time() + MAX_WAIT
    while time.time() < max_time:
        status = describe()[key]["status"]
        if status == "ACTIVE" or status == "CREATE FAILED":
            break
        time.sleep(POLL_INTERVAL)
    return status


def wait_deleted(describe: Callable[[], Any]) -> None:
    """Describe a deleted resource until it is gone (ResourceNotFoundException), as the clean-up requires before
    deleting what it depended on."""
    max_time = time.time() + MAX_WAIT
    while time.time() < max_time:
        try:
            describe()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ResourceNotFoundException", exc
            return
        time.sleep(POLL_INTERVAL)
    pytest.fail(f"still there after {MAX_WAIT} s")


def test_the_aws_boto3_getting_started_flow_runs_unchanged(stack: Stack, wire: Wire) -> None:
    personalize = wire.personalize
    personalize_runtime = wire.runtime
    interactions = movielens_shaped_interactions()
    data_location = stack.put("getting-started/ratings.csv", interactions.to_csv(index=False))

    # Step 1: verify the Python environment.
    response = personalize.list_recipes()
    assert "arn:aws:personalize:::recipe/aws-user-personalization-v2" in {r["recipeArn"] for r in response["recipes"]}

    # Step 2: import the data: dataset group, schema, Interactions dataset, import job.
    response = personalize.create_dataset_group(name="getting-started")
    dataset_group_arn = response["datasetGroupArn"]
    assert wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=dataset_group_arn), "datasetGroup") == (
        "ACTIVE"
    )

    # AWS's schema dict, json.dumps'ed: schema_json builds the same string (type, name, namespace, fields, version)
    schema = schema_json(
        "Interactions",
        [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
    )
    create_interactions_schema_response = personalize.create_schema(
        name="getting-started-interactions-schema", schema=schema
    )
    interactions_schema_arn = create_interactions_schema_response["schemaArn"]

    create_dataset_response = personalize.create_dataset(
        name="getting-started-interactions",
        datasetType="INTERACTIONS",
        datasetGroupArn=dataset_group_arn,
        schemaArn=interactions_schema_arn,
    )
    interactions_dataset_arn = create_dataset_response["datasetArn"]
    assert wait_for(lambda: personalize.describe_dataset(datasetArn=interactions_dataset_arn), "dataset") == "ACTIVE"

    create_dataset_import_job_response = personalize.create_dataset_import_job(
        jobName="getting-started-import",
        datasetArn=interactions_dataset_arn,
        dataSource={"dataLocation": data_location},
        roleArn=ROLE,
        importMode="FULL",
    )
    dataset_import_job_arn = create_dataset_import_job_response["datasetImportJobArn"]
    assert (
        wait_for(
            lambda: personalize.describe_dataset_import_job(datasetImportJobArn=dataset_import_job_arn),
            "datasetImportJob",
        )
        == "ACTIVE"
    )

    # Step 3: create a solution with the User-Personalization-v2 recipe and train a solution version.
    create_solution_response = personalize.create_solution(
        name="getting-started-solution",
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization-v2",
        datasetGroupArn=dataset_group_arn,
    )
    solution_arn = create_solution_response["solutionArn"]
    assert wait_for(lambda: personalize.describe_solution(solutionArn=solution_arn), "solution") == "ACTIVE"

    create_solution_version_response = personalize.create_solution_version(solutionArn=solution_arn)
    solution_version_arn = create_solution_version_response["solutionVersionArn"]
    assert (
        wait_for(
            lambda: personalize.describe_solution_version(solutionVersionArn=solution_version_arn), "solutionVersion"
        )
        == "ACTIVE"
    )
    metrics = personalize.get_solution_metrics(solutionVersionArn=solution_version_arn)["metrics"]
    assert metrics, "the documented evaluation step returns the solution version's metrics"

    # Step 4: deploy the solution version in a campaign.
    create_campaign_response = personalize.create_campaign(
        name="getting-started-campaign", solutionVersionArn=solution_version_arn, minProvisionedTPS=1
    )
    campaign_arn = create_campaign_response["campaignArn"]
    assert wait_for(lambda: personalize.describe_campaign(campaignArn=campaign_arn), "campaign") == "ACTIVE"

    # Step 5: get recommendations.
    user_id = str(interactions["USER_ID"].iloc[0])
    response = personalize_runtime.get_recommendations(campaignArn=campaign_arn, userId=user_id, numResults=NUM_RESULTS)
    item_list = response["itemList"]
    assert len(item_list) == NUM_RESULTS
    known_items = set(interactions["ITEM_ID"].astype(str))
    assert {item["itemId"] for item in item_list} <= known_items
    assert len({item["itemId"] for item in item_list}) == NUM_RESULTS

    # Clean up: each resource after what depends on it has gone.
    personalize.delete_campaign(campaignArn=campaign_arn)
    wait_deleted(lambda: personalize.describe_campaign(campaignArn=campaign_arn))
    personalize.delete_solution(solutionArn=solution_arn)
    wait_deleted(lambda: personalize.describe_solution(solutionArn=solution_arn))
    personalize.delete_dataset(datasetArn=interactions_dataset_arn)
    wait_deleted(lambda: personalize.describe_dataset(datasetArn=interactions_dataset_arn))
    personalize.delete_schema(schemaArn=interactions_schema_arn)
    wait_deleted(lambda: personalize.describe_schema(schemaArn=interactions_schema_arn))
    personalize.delete_dataset_group(datasetGroupArn=dataset_group_arn)
    wait_deleted(lambda: personalize.describe_dataset_group(datasetGroupArn=dataset_group_arn))
