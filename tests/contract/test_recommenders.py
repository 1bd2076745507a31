"""Contract: a VIDEO_ON_DEMAND domain dataset group serves its use cases from recommenders through plain boto3."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest

from personalize_local import ENDPOINT_VARIABLES, local_personalize
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import raises_code, schema_json
from tests.contract.shapes import WireRecorder
from tests.support.personalize_setup import SmallDataset, wait_active

VOD_INTERACTIONS = [
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
]
VOD_ITEMS = [
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRES", "type": "string", "categorical": True},
    {"name": "CREATION_TIMESTAMP", "type": "long"},
]
USE_CASES = ("aws-vod-top-picks", "aws-vod-more-like-x", "aws-vod-because-you-watched-x", "aws-vod-most-popular")


@dataclass
class VodGroup:
    """A VIDEO_ON_DEMAND dataset group with its recommenders."""

    group_arn: str
    tracking_id: str
    recommenders: dict[str, str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)


def _watches(small: SmallDataset) -> tuple[str, str]:
    """The small dataset as VOD data: every interaction a Watch; items with GENRES and CREATION_TIMESTAMP."""
    interactions = pd.read_csv(io.StringIO(small.interactions_csv))
    interactions["EVENT_TYPE"] = "Watch"
    interactions = interactions[["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"]]
    items = pd.read_csv(io.StringIO(small.items_csv))[["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"]]
    return interactions.to_csv(index=False), items.to_csv(index=False)


def build_vod_group(bucket: str, small: SmallDataset, use_cases: tuple[str, ...]) -> VodGroup:
    """Create the domain group, import the data and create one recommender per use case (all ACTIVE)."""
    personalize, s3 = boto3.client("personalize"), boto3.client("s3")
    base = f"vod-{uuid.uuid4().hex[:8]}"
    interactions_csv, items_csv = _watches(small)
    group = personalize.create_dataset_group(name=base, domain="VIDEO_ON_DEMAND")["datasetGroupArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
    datasets = {}
    for dataset_type, fields, csv in (
        ("Interactions", VOD_INTERACTIONS, interactions_csv),
        ("Items", VOD_ITEMS, items_csv),
    ):
        schema = personalize.create_schema(
            name=f"{base}-{dataset_type.lower()}", schema=schema_json(dataset_type, fields), domain="VIDEO_ON_DEMAND"
        )["schemaArn"]
        arn = personalize.create_dataset(
            name=f"{base}-{dataset_type.lower()}", schemaArn=schema, datasetGroupArn=group, datasetType=dataset_type
        )["datasetArn"]
        wait_active(lambda arn=arn: personalize.describe_dataset(datasetArn=arn)["dataset"], arn)
        key = f"{base}/{dataset_type}.csv"
        s3.put_object(Bucket=bucket, Key=key, Body=csv.encode())
        job = personalize.create_dataset_import_job(
            jobName=f"{base}-{dataset_type.lower()}",
            datasetArn=arn,
            dataSource={"dataLocation": f"s3://{bucket}/{key}"},
        )["datasetImportJobArn"]
        datasets[dataset_type] = job
    for job in datasets.values():
        wait_active(
            lambda job=job: personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"], job
        )
    tracker = personalize.create_event_tracker(name=f"{base}-tracker", datasetGroupArn=group)
    vod = VodGroup(group, tracker["trackingId"])
    vod.filters["genre"] = personalize.create_filter(
        name=f"{base}-genre", datasetGroupArn=group, filterExpression="INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)"
    )["filterArn"]
    for case in use_cases:
        vod.recommenders[case] = personalize.create_recommender(
            name=f"{base}-{case}", datasetGroupArn=group, recipeArn=f"arn:aws:personalize:::recipe/{case}"
        )["recommenderArn"]
    for arn in vod.recommenders.values():
        wait_active(lambda arn=arn: personalize.describe_recommender(recommenderArn=arn)["recommender"], arn)
    wait_active(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"], group
    )
    wait_active(lambda: personalize.describe_filter(filterArn=vod.filters["genre"])["filter"], group)
    return vod


@pytest.fixture(scope="module")
def vod(stack: Stack, small: SmallDataset) -> Iterator[VodGroup]:
    """One VIDEO_ON_DEMAND group with four use cases, per module."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.setenv(name, stack.pl.endpoint_url)
        yield build_vod_group(stack.bucket, small, USE_CASES)


def _watched(small: SmallDataset, user: str) -> set[str]:
    frame = pd.read_csv(io.StringIO(small.interactions_csv))
    return set(frame.loc[frame["USER_ID"] == user, "ITEM_ID"])


def test_vod_use_cases_serve_from_recommenders(wire: Wire, vod: VodGroup, small: SmallDataset) -> None:
    runtime = wire.runtime
    action_fan = next(user for user, taste in small.taste_of.items() if taste == "Action")
    watched = _watched(small, action_fan)

    picks = runtime.get_recommendations(recommenderArn=vod.recommenders["aws-vod-top-picks"], userId=action_fan)
    items = [item["itemId"] for item in picks["itemList"]]
    assert items and not set(items) & watched  # top picks leave out what the user watched
    assert picks["recommendationId"].startswith("RID-")

    related = {}
    for case in ("aws-vod-more-like-x", "aws-vod-because-you-watched-x"):
        response = runtime.get_recommendations(
            recommenderArn=vod.recommenders[case], itemId="i000", userId=action_fan, numResults=10
        )
        related[case] = [item["itemId"] for item in response["itemList"]]
        assert related[case] and "i000" not in related[case] and not set(related[case]) & watched
        no_user = runtime.get_recommendations(recommenderArn=vod.recommenders[case], itemId="i000", numResults=10)
        action = [i["itemId"] for i in no_user["itemList"] if small.genre_of[i["itemId"]] == "Action"]
        assert len(action) > len(no_user["itemList"]) / 2  # i000 is Action: its neighbours mostly are too
    raises_code(
        "InvalidInputException", runtime.get_recommendations, recommenderArn=vod.recommenders["aws-vod-more-like-x"]
    )

    drama = runtime.get_recommendations(
        recommenderArn=vod.recommenders["aws-vod-most-popular"],
        userId=action_fan,
        filterArn=vod.filters["genre"],
        filterValues={"GENRES": '"Drama"'},
    )["itemList"]
    assert drama and all(small.genre_of[item["itemId"]] == "Drama" for item in drama)
    promoted = runtime.get_recommendations(
        recommenderArn=vod.recommenders["aws-vod-top-picks"],
        userId=action_fan,
        numResults=10,
        promotions=[{"name": "p", "percentPromotedItems": 50, "filterArn": vod.filters["genre"],
                     "filterValues": {"GENRES": '"Drama"'}}],
    )["itemList"]  # fmt: skip
    assert sum(1 for item in promoted if item.get("promotionName") == "p") == 5


def test_recommender_lifecycle_and_metrics(wire: Wire, vod: VodGroup) -> None:
    personalize, runtime = wire.personalize, wire.runtime
    arn = vod.recommenders["aws-vod-most-popular"]
    described = personalize.describe_recommender(recommenderArn=arn)["recommender"]
    assert described["status"] == "ACTIVE" and described["recipeArn"].endswith("/aws-vod-most-popular")
    assert described["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 1
    assert 0.0 <= described["modelMetrics"]["coverage"] <= 1.0
    assert "precision_at_25" in described["modelMetrics"]
    listed = personalize.list_recommenders(datasetGroupArn=vod.group_arn)["recommenders"]
    assert {r["recommenderArn"] for r in listed} == set(vod.recommenders.values())

    personalize.stop_recommender(recommenderArn=arn)
    seen = poll_until(lambda: personalize.describe_recommender(recommenderArn=arn)["recommender"]["status"], "INACTIVE")
    assert seen[0] in ("STOP PENDING", "STOP IN_PROGRESS", "INACTIVE")
    raises_code("InvalidInputException", runtime.get_recommendations, recommenderArn=arn, userId="u001")
    raises_code("ResourceInUseException", personalize.stop_recommender, recommenderArn=arn)
    personalize.start_recommender(recommenderArn=arn)
    poll_until(lambda: personalize.describe_recommender(recommenderArn=arn)["recommender"]["status"], "ACTIVE")
    assert runtime.get_recommendations(recommenderArn=arn, userId="u001")["itemList"]

    personalize.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 3})
    poll_until(
        lambda: personalize.describe_recommender(recommenderArn=arn)["recommender"]["latestRecommenderUpdate"][
            "status"
        ],
        "ACTIVE",
    )
    config = personalize.describe_recommender(recommenderArn=arn)["recommender"]["recommenderConfig"]
    assert config["minRecommendationRequestsPerSecond"] == 3

    raises_code("ResourceInUseException", personalize.delete_dataset_group, datasetGroupArn=vod.group_arn)
    raises_code(
        "InvalidInputException",
        personalize.create_recommender,
        name=f"ecomm-{uuid.uuid4().hex[:6]}",
        datasetGroupArn=vod.group_arn,
        recipeArn="arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
    )
    vod_cases = personalize.list_recipes(domain="VIDEO_ON_DEMAND")["recipes"]
    assert {r["name"] for r in vod_cases} >= set(USE_CASES) and all(r["domain"] == "VIDEO_ON_DEMAND" for r in vod_cases)


def test_domain_schemas_are_checked(wire: Wire, vod: VodGroup) -> None:
    personalize = wire.personalize
    no_genres = [f for f in VOD_ITEMS if f["name"] != "GENRES"] + [{"name": "YEAR", "type": ["null", "long"]}]
    error = raises_code(
        "InvalidInputException",
        personalize.create_schema,
        name=f"bad-{uuid.uuid4().hex[:6]}",
        schema=schema_json("Items", no_genres),
        domain="VIDEO_ON_DEMAND",
    )
    assert "GENRES" in str(error)
    custom = personalize.create_schema(
        name=f"custom-{uuid.uuid4().hex[:6]}", schema=schema_json("Users", [{"name": "USER_ID", "type": "string"},
                                                                           {"name": "AGE", "type": ["null", "long"]}])
    )["schemaArn"]  # fmt: skip
    error = raises_code(
        "InvalidInputException",
        personalize.create_dataset,
        name="users",
        schemaArn=custom,
        datasetGroupArn=vod.group_arn,
        datasetType="Users",
    )
    assert "domain" in str(error)


def poll_until(read, wanted: str, timeout: float = 60.0) -> list[str]:  # type: ignore[no-untyped-def]
    """Poll ``read()`` until it returns ``wanted``; the distinct values seen."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)
        if value == wanted:
            return seen
        time.sleep(0.01)  # polling interval
    raise AssertionError(f"never {wanted}; seen {seen}")


def test_recommenders_retrain_when_new_data_arrived(tmp_path: Path, stack: Stack, small: SmallDataset) -> None:
    with local_personalize(tmp_path / "retrain", step_delay=0.005, recommender_retrain_seconds=0.2) as pl:
        recorder = WireRecorder()
        vod = build_vod_group(stack.bucket, small, ("aws-vod-most-popular",))
        runtime = recorder.attach(boto3.client("personalize-runtime"))
        events = recorder.attach(boto3.client("personalize-events"))
        arn = vod.recommenders["aws-vod-most-popular"]
        assert "i999" not in [
            i["itemId"] for i in runtime.get_recommendations(recommenderArn=arn, userId="u001")["itemList"]
        ]
        now = time.time()
        for n in range(60):
            event: dict[str, Any] = {"eventType": "Watch", "itemId": "i999", "sentAt": now + n}
            events.put_events(trackingId=vod.tracking_id, userId=f"u{n:03d}", sessionId=f"s{n}", eventList=[event])
        poll_until(
            lambda: runtime.get_recommendations(recommenderArn=arn, userId="u100", numResults=1)["itemList"][0][
                "itemId"
            ],
            "i999",
        )  # the retrained model has the new most-watched video first
        assert pl.backend.store.get(arn).internal["dataToken"] == pl.backend.recommenders._data_token(vod.group_arn)
        assert not recorder.violations, "\n".join(recorder.violations)
