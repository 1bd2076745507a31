"""Contract: the data lifecycle through plain boto3 — dataset export jobs (BULK / PUT / ALL to S3) and data deletion
jobs (the GDPR path: import -> delete a user -> the export has none of their rows -> retrain -> no history)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from personalize_local import ENDPOINT_VARIABLES
from testing.personalize_setup import DeployedRecommender, deploy_small_recommender, small_dataset
from testing.polling import wait_until
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import ROLE, poll_statuses, raises_code
from tests.contract.lifecycle_helpers import export_csv

HEADER = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]
NO_EXPLORATION = {"itemExplorationConfig": {"explorationWeight": "0"}}


@pytest.fixture(scope="module")
def deployed(stack: Stack) -> Iterator[DeployedRecommender]:
    """A user-personalization campaign without exploration, so a user's answer depends only on their history."""
    data = small_dataset(seed=23)
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.setenv(name, stack.pl.endpoint_url)
        yield deploy_small_recommender(
            stack.bucket,
            data.interactions_csv,
            None,
            ("aws-user-personalization",),
            campaign_configs={"aws-user-personalization": NO_EXPLORATION},
        )


def _delete_users(wire: Wire, group_arn: str, location: str, timeout: float = 60.0) -> dict[str, Any]:
    """Create a data deletion job reading ``location``; poll it until COMPLETED or FAILED; its last document."""
    arn = wire.personalize.create_data_deletion_job(
        jobName=f"gdpr-{uuid.uuid4().hex[:6]}",
        datasetGroupArn=group_arn,
        dataSource={"dataLocation": location},
        roleArn=ROLE,
    )["dataDeletionJobArn"]
    statuses = []

    def final() -> dict | None:
        doc = wire.personalize.describe_data_deletion_job(dataDeletionJobArn=arn)["dataDeletionJob"]
        statuses.append(doc["status"])
        return doc if doc["status"] in ("COMPLETED", "FAILED") else None

    doc = wait_until(
        final, timeout=timeout, interval=0.01, max_interval=0.01, message=lambda: f"no final status; seen {statuses}"
    )
    order = ["PENDING", "IN_PROGRESS", doc["status"]]
    assert [order.index(s) for s in statuses] == sorted(order.index(s) for s in statuses), statuses
    return doc


def _bulk_rows(user: str) -> int:
    frame = pd.read_csv(io.StringIO(small_dataset(seed=23).interactions_csv), dtype=str)
    return int((frame["USER_ID"] == user).sum())


def test_export_modes_write_what_was_imported_how(stack: Stack, wire: Wire, deployed: DeployedRecommender) -> None:
    streamer = f"streamer-{uuid.uuid4().hex[:6]}"
    wire.events.put_events(
        trackingId=deployed.tracking_id,
        userId=streamer,
        sessionId="s1",
        eventList=[{"eventType": "RATING", "itemId": f"i00{n}", "sentAt": 1_700_000_000 + n} for n in range(3)],
    )
    bulk_doc, bulk = export_csv(wire, stack, deployed.interactions_dataset_arn, "BULK")
    put_doc, put = export_csv(wire, stack, deployed.interactions_dataset_arn, None)
    _, both = export_csv(wire, stack, deployed.interactions_dataset_arn, "ALL")

    assert bulk_doc["ingestionMode"] == "BULK" and put_doc["ingestionMode"] == "PUT"  # PUT is the default
    assert list(bulk.columns) == HEADER and list(put.columns) == HEADER  # the schema's fields, in schema order
    assert len(bulk) == len(pd.read_csv(io.StringIO(small_dataset(seed=23).interactions_csv)))
    assert streamer not in set(bulk["USER_ID"])
    assert (put["USER_ID"] == streamer).sum() == 3
    assert len(both) == len(bulk) + len(put)
    listed = wire.personalize.list_dataset_export_jobs(datasetArn=deployed.interactions_dataset_arn)
    assert bulk_doc["datasetExportJobArn"] in {j["datasetExportJobArn"] for j in listed["datasetExportJobs"]}


def test_export_failures_name_what_and_where(stack: Stack, wire: Wire, deployed: DeployedRecommender) -> None:
    arn = wire.personalize.create_dataset_export_job(
        jobName=f"nobucket-{uuid.uuid4().hex[:6]}",
        datasetArn=deployed.interactions_dataset_arn,
        roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": "s3://no-such-bucket-here/out/"}},
    )["datasetExportJobArn"]
    seen = poll_statuses(
        lambda: wire.personalize.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]
    )
    assert seen[-1] == "CREATE FAILED"
    reason = wire.personalize.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]["failureReason"]
    assert "s3://no-such-bucket-here/out/" in reason
    raises_code(
        "InvalidInputException",
        wire.personalize.create_dataset_export_job,
        jobName="bad-mode",
        datasetArn=deployed.interactions_dataset_arn,
        roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/x/"}},
        ingestionMode="SOME",
    )


def test_deleting_a_user_removes_them_from_exports_training_and_runtime(
    stack: Stack, wire: Wire, deployed: DeployedRecommender
) -> None:
    victim, stranger = "u004", f"never-seen-{uuid.uuid4().hex[:6]}"
    wire.events.put_events(
        trackingId=deployed.tracking_id,
        userId=victim,
        sessionId="s-victim",
        eventList=[{"eventType": "RATING", "itemId": "i001", "sentAt": 1_700_000_000}],
    )
    campaign = deployed.campaign_arns["aws-user-personalization"]
    before = wire.runtime.get_recommendations(campaignArn=campaign, userId=victim)["itemList"]
    as_new_user = wire.runtime.get_recommendations(campaignArn=campaign, userId=stranger)["itemList"]
    assert before != as_new_user  # the victim has a history that shapes their recommendations

    location = stack.put(f"deletions/{uuid.uuid4().hex[:6]}.csv", f"USER_ID\n{victim}\nnobody-{stranger}\n")
    doc = _delete_users(wire, deployed.dataset_group_arn, location)
    arn = doc["dataDeletionJobArn"]
    assert doc["status"] == "COMPLETED", doc.get("failureReason")
    assert doc["numDeleted"] == _bulk_rows(victim) + 1  # every bulk row and the streamed event
    assert doc["dataSource"] == {"dataLocation": location}
    listed = wire.personalize.list_data_deletion_jobs(datasetGroupArn=deployed.dataset_group_arn)["dataDeletionJobs"]
    assert arn in {j["dataDeletionJobArn"] for j in listed}

    _, exported = export_csv(wire, stack, deployed.interactions_dataset_arn, "ALL")
    assert victim not in set(exported["USER_ID"]) and len(exported)
    # the runtime answers at once as for a user it never saw
    assert wire.runtime.get_recommendations(campaignArn=campaign, userId=victim)["itemList"] == as_new_user

    solution = deployed.solution_arns["aws-user-personalization"]
    version = wire.personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    poll_statuses(lambda: wire.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
    wire.personalize.update_campaign(campaignArn=campaign, solutionVersionArn=version, campaignConfig=NO_EXPLORATION)
    poll_statuses(lambda: wire.personalize.describe_campaign(campaignArn=campaign)["campaign"]["latestCampaignUpdate"])
    after = wire.runtime.get_recommendations(campaignArn=campaign, userId=victim)["itemList"]
    assert after == wire.runtime.get_recommendations(campaignArn=campaign, userId=stranger)["itemList"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "does not exist"),
        ("USER_ID,EXTRA\nu001,x\n", "EXTRA"),
        ('USER_ID\nu001\n""\n', "line 3, column USER_ID"),
    ],
)
def test_deletion_failures_name_what_and_where(
    stack: Stack, wire: Wire, deployed: DeployedRecommender, content: str | None, problem: str
) -> None:
    key = f"deletions/bad-{uuid.uuid4().hex[:6]}.csv"
    location = f"s3://{stack.bucket}/{key}" if content is None else stack.put(key, content)
    doc = _delete_users(wire, deployed.dataset_group_arn, location)
    assert doc["status"] == "FAILED"
    assert location in doc["failureReason"] and problem in doc["failureReason"], doc["failureReason"]
    assert "numDeleted" not in doc
