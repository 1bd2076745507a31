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
from testing.personalize_setup import SmallDataset, wait_active
from testing.polling import wait_until
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import raises_code, schema_json
from tests.contract.shapes import WireRecorder

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
ECOMMERCE_ITEMS = [
    {"name": "ITEM_ID", "type": "string"},
    {"name": "PRICE", "type": "float"},
    {"name": "CATEGORY_L1", "type": "string", "categorical": True},
]
USE_CASES = ("aws-vod-top-picks", "aws-vod-more-like-x", "aws-vod-because-you-watched-x", "aws-vod-most-popular")


@dataclass
class DomainGroup:
    """A domain dataset group with its recommenders and a genre filter (``$GENRES``)."""

    group_arn: str
    tracking_id: str
    recommenders: dict[str, str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)


def _domain_data(small: SmallDataset, domain: str) -> tuple[str, str, list[dict[str, Any]], str]:
    """The small dataset in a domain's shape: (interactions CSV, items CSV, items fields, the genre column).

    VIDEO_ON_DEMAND: every interaction a Watch, items with GENRES and CREATION_TIMESTAMP. ECOMMERCE: every
    interaction a View and a Purchase a second later, items with PRICE and CATEGORY_L1 (the genre).
    """
    interactions = pd.read_csv(io.StringIO(small.interactions_csv))[["USER_ID", "ITEM_ID", "TIMESTAMP"]]
    items = pd.read_csv(io.StringIO(small.items_csv))
    if domain == "VIDEO_ON_DEMAND":
        interactions["EVENT_TYPE"] = "Watch"
        catalogue = items[["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"]]
        return interactions.to_csv(index=False), catalogue.to_csv(index=False), VOD_ITEMS, "GENRES"
    views, purchases = interactions.assign(EVENT_TYPE="View"), interactions.assign(EVENT_TYPE="Purchase")
    purchases["TIMESTAMP"] += 1
    catalogue = pd.DataFrame({"ITEM_ID": items["ITEM_ID"], "PRICE": 9.5, "CATEGORY_L1": items["GENRES"]})
    both = pd.concat([views, purchases], ignore_index=True)
    return both.to_csv(index=False), catalogue.to_csv(index=False), ECOMMERCE_ITEMS, "CATEGORY_L1"


def build_domain_group(bucket: str, small: SmallDataset, domain: str, use_cases: tuple[str, ...]) -> DomainGroup:
    """Create the domain group, import the data and create one recommender per use case (all ACTIVE)."""
    personalize, s3 = boto3.client("personalize"), boto3.client("s3")
    base = f"{domain[:4].lower()}-{uuid.uuid4().hex[:8]}"
    interactions_csv, items_csv, items_fields, genre = _domain_data(small, domain)
    group = personalize.create_dataset_group(name=base, domain=domain)["datasetGroupArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
    datasets = {}
    for dataset_type, fields, csv in (
        ("Interactions", VOD_INTERACTIONS, interactions_csv),
        ("Items", items_fields, items_csv),
    ):
        schema = personalize.create_schema(
            name=f"{base}-{dataset_type.lower()}", schema=schema_json(dataset_type, fields), domain=domain
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
    built = DomainGroup(group, tracker["trackingId"])
    built.filters["genre"] = personalize.create_filter(
        name=f"{base}-genre", datasetGroupArn=group, filterExpression=f"INCLUDE ItemID WHERE Items.{genre} IN ($GENRES)"
    )["filterArn"]
    for case in use_cases:
        built.recommenders[case] = personalize.create_recommender(
            name=f"{base}-{case}", datasetGroupArn=group, recipeArn=f"arn:aws:personalize:::recipe/{case}"
        )["recommenderArn"]
    for arn in built.recommenders.values():
        wait_active(lambda arn=arn: personalize.describe_recommender(recommenderArn=arn)["recommender"], arn)
    wait_active(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"], group
    )
    wait_active(lambda: personalize.describe_filter(filterArn=built.filters["genre"])["filter"], group)
    return built


@pytest.fixture(scope="module")
def vod(stack: Stack, small: SmallDataset) -> Iterator[DomainGroup]:
    """One VIDEO_ON_DEMAND group with four use cases, per module."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.setenv(name, stack.pl.endpoint_url)
        yield build_domain_group(stack.bucket, small, "VIDEO_ON_DEMAND", USE_CASES)


def _watched(small: SmallDataset, user: str) -> set[str]:
    frame = pd.read_csv(io.StringIO(small.interactions_csv))
    return set(frame.loc[frame["USER_ID"] == user, "ITEM_ID"])


def test_vod_use_cases_serve_from_recommenders(wire: Wire, vod: DomainGroup, small: SmallDataset) -> None:
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


def test_recommender_lifecycle_and_metrics(wire: Wire, vod: DomainGroup) -> None:
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


def test_domain_schemas_are_checked(wire: Wire, vod: DomainGroup) -> None:
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

    def reached() -> bool:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)
        return value == wanted

    wait_until(
        reached, timeout=timeout, interval=0.01, max_interval=0.01, message=lambda: f"never {wanted}; seen {seen}"
    )
    return seen


def test_recommenders_retrain_when_new_data_arrived(tmp_path: Path, stack: Stack, small: SmallDataset) -> None:
    with local_personalize(tmp_path / "retrain", step_delay=0.005, recommender_retrain_seconds=0.2) as pl:
        recorder = WireRecorder()
        vod = build_domain_group(stack.bucket, small, "VIDEO_ON_DEMAND", ("aws-vod-most-popular",))
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
        backend = pl.backend  # white-box: every event has reached a training once the scheduler caught up
        poll_until(
            lambda: str(
                backend.store.get(arn).internal["dataToken"] == backend.recommenders._data_token(vod.group_arn)
            ),
            "True",
        )
        assert not recorder.violations, "\n".join(recorder.violations)


def test_ecommerce_use_cases_serve_from_recommenders(wire: Wire, stack: Stack, small: SmallDataset) -> None:
    cases = ("aws-ecomm-customers-who-viewed-x-also-viewed", "aws-ecomm-popular-items-by-purchases",
             "aws-ecomm-recommended-for-you")  # fmt: skip
    shop = build_domain_group(stack.bucket, small, "ECOMMERCE", cases)
    runtime = wire.runtime
    viewed = runtime.get_recommendations(recommenderArn=shop.recommenders[cases[0]], itemId="i001", numResults=10)
    drama = [i["itemId"] for i in viewed["itemList"] if small.genre_of[i["itemId"]] == "Drama"]
    assert len(drama) > len(viewed["itemList"]) / 2  # i001 is Drama: customers who viewed it viewed Drama
    fan = next(user for user, taste in small.taste_of.items() if taste == "Drama")
    for case in cases[1:]:
        items = runtime.get_recommendations(recommenderArn=shop.recommenders[case], userId=fan)["itemList"]
        assert items
    mine = runtime.get_recommendations(recommenderArn=shop.recommenders[cases[2]], userId=fan)["itemList"]
    assert not {i["itemId"] for i in mine} & _watched(small, fan)  # purchased items are left out
    filtered = runtime.get_recommendations(
        recommenderArn=shop.recommenders[cases[1]], userId=fan, filterArn=shop.filters["genre"],
        filterValues={"GENRES": '"Action"'},
    )["itemList"]  # fmt: skip
    assert filtered and all(small.genre_of[i["itemId"]] == "Action" for i in filtered)
