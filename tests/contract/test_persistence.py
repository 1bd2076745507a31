"""Contract: state survives a restart (SQLite metadata, Parquet data, saved models, streamed events)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from personalize_local import local_personalize
from testing.personalize_setup import deploy_small_recommender, small_dataset

BUCKET = "restart-data"


@pytest.mark.slow  # over 3 s on 2 busy cores
def test_state_survives_a_restart(tmp_path: Path) -> None:
    data = small_dataset()
    state = tmp_path / "state"
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        with local_personalize(state):
            deployed = deploy_small_recommender(
                BUCKET,
                data.interactions_csv,
                data.items_csv,
                ("aws-popularity-count", "aws-user-personalization"),
                {"unwatched": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("RATING")'},
            )
            personalize = boto3.client("personalize")
            runtime = boto3.client("personalize-runtime")
            events = boto3.client("personalize-events")
            events.put_events(
                trackingId=deployed.tracking_id,
                userId="newcomer",
                sessionId="s1",
                eventList=[{"eventType": "RATING", "itemId": "i001", "sentAt": time.time()}],
            )
            events.put_items(
                datasetArn=deployed.items_dataset_arn,
                items=[{"itemId": "i000", "properties": json.dumps({"genres": "Comedy"})}],
            )
            up = deployed.campaign_arns["aws-user-personalization"]
            before = runtime.get_recommendations(campaignArn=up, userId="newcomer", numResults=10)["itemList"]
            campaign_before = personalize.describe_campaign(campaignArn=up)["campaign"]
            version = deployed.solution_version_arns["aws-user-personalization"]
            metrics_before = personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
            groups_before = personalize.list_dataset_groups()["datasetGroups"]

        with local_personalize(state):
            personalize = boto3.client("personalize")
            runtime = boto3.client("personalize-runtime")
            assert personalize.list_dataset_groups()["datasetGroups"] == groups_before
            assert personalize.describe_campaign(campaignArn=up)["campaign"] == campaign_before
            assert personalize.get_solution_metrics(solutionVersionArn=version)["metrics"] == metrics_before
            after = runtime.get_recommendations(campaignArn=up, userId="newcomer", numResults=10)["itemList"]
            assert after == before  # same model, and the streamed event is still in the user's history
            filtered = runtime.get_recommendations(
                campaignArn=up, userId="newcomer", numResults=40, filterArn=deployed.filter_arns["unwatched"]
            )["itemList"]
            assert "i001" not in {item["itemId"] for item in filtered} and len(filtered) == 39
            boto3.client("personalize-events").put_events(
                trackingId=deployed.tracking_id,
                userId="newcomer",
                sessionId="s2",
                eventList=[{"eventType": "RATING", "itemId": "i003", "sentAt": time.time()}],
            )
            filtered = runtime.get_recommendations(
                campaignArn=up, userId="newcomer", numResults=40, filterArn=deployed.filter_arns["unwatched"]
            )["itemList"]
            assert not {"i001", "i003"} & {item["itemId"] for item in filtered}
