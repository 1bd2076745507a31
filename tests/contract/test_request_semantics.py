"""Contract: request semantics that must match AWS — error status codes from the models, regions from the SigV4
signature, PutEvents extras reaching training, AWS's input constraints, and promotions."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator

import boto3
import botocore.session
import pandas as pd
import pytest

from personalize_local import ENDPOINT_VARIABLES
from testing.personalize_setup import DeployedRecommender, SmallDataset, deploy_small_recommender
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import poll_statuses, raises_code, schema_json

FILTERS = {
    "drama": 'INCLUDE ItemID WHERE Items.GENRES IN ("Drama")',
    "genre": "INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)",
}


def _with_extra_columns(interactions_csv: str) -> str:
    """The interactions plus the optional Interactions columns PutEvents can fill (empty in the bulk data)."""
    frame = pd.read_csv(io.StringIO(interactions_csv))
    frame["NUMBER_OF_RATINGS"] = 1
    frame["IMPRESSION"] = ""
    frame["RECOMMENDATION_ID"] = ""
    return frame.to_csv(index=False)


@pytest.fixture(scope="module")
def deployed(stack: Stack, small: SmallDataset) -> Iterator[DeployedRecommender]:
    """User-personalization and popularity-count on interactions with NUMBER_OF_RATINGS/IMPRESSION/RECOMMENDATION_ID."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.setenv(name, stack.pl.endpoint_url)
        yield deploy_small_recommender(
            stack.bucket,
            _with_extra_columns(small.interactions_csv),
            small.items_csv,
            ("aws-user-personalization", "aws-popularity-count"),
            FILTERS,
            # no exploration: the same request gets the same list, so a promotion's effect can be compared
            campaign_configs={"aws-user-personalization": {"itemExplorationConfig": {"explorationWeight": "0"}}},
        )


def _declared_status(service: str, code: str) -> int:
    """The status botocore's raw JSON model declares for an error shape (400 when it declares none)."""
    loader = botocore.session.get_session().get_component("data_loader")
    raw = loader.load_service_model(service, "service-2")
    return raw["shapes"][code].get("error", {}).get("httpStatusCode", 400)


# ---------------------------------------------------------------------------------------------- status codes
def test_error_status_codes_are_the_models(wire: Wire, deployed: DeployedRecommender) -> None:
    missing = deployed.dataset_group_arn + "-missing"
    error = raises_code("ResourceNotFoundException", wire.personalize.describe_dataset_group, datasetGroupArn=missing)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400  # JSON 1.1: every modelled error is 400
    assert _declared_status("personalize", "ResourceNotFoundException") == 400

    campaign = deployed.campaign_arns["aws-user-personalization"] + "-missing"
    error = raises_code(
        "ResourceNotFoundException", wire.runtime.get_recommendations, campaignArn=campaign, userId="u1"
    )
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert _declared_status("personalize-runtime", "ResourceNotFoundException") == 404

    items = [{"itemId": "i1", "properties": '{"genres": "Drama"}'}]
    dataset = deployed.items_dataset_arn + "-missing"
    error = raises_code("ResourceNotFoundException", wire.events.put_items, datasetArn=dataset, items=items)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    eleven = [{"itemId": f"i{n}"} for n in range(11)]
    error = raises_code(
        "InvalidInputException", wire.events.put_items, datasetArn=deployed.items_dataset_arn, items=eleven
    )
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == _declared_status(
        "personalize-events", "InvalidInputException"
    )


def test_every_modelled_error_gets_the_models_status() -> None:
    from personalize_local.responses import SERVICES, error_status, service_model

    checked = 0
    for service in SERVICES:
        for shape in service_model(service).error_shapes:
            assert error_status(service, shape.name) == _declared_status(service, shape.name), (service, shape.name)
            checked += 1
    assert checked >= 10
    assert error_status("personalize-events", "ResourceInUseException") == 409


# ---------------------------------------------------------------------------------------------- regions
def test_arns_carry_the_signed_region_and_regions_are_separate(wire: Wire, stack: Stack) -> None:
    singapore = boto3.client("personalize", region_name="ap-southeast-1")
    name = f"regional-{uuid.uuid4().hex[:8]}"
    arn = singapore.create_dataset_group(name=name)["datasetGroupArn"]
    assert arn.startswith("arn:aws:personalize:ap-southeast-1:123456789012:dataset-group/")
    assert poll_statuses(lambda: singapore.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])[-1] == "ACTIVE"
    assert name in [g["name"] for g in singapore.list_dataset_groups()["datasetGroups"]]
    assert name not in [g["name"] for g in wire.personalize.list_dataset_groups()["datasetGroups"]]  # us-east-1
    raises_code("ResourceNotFoundException", wire.personalize.describe_dataset_group, datasetGroupArn=arn)
    same_name = wire.personalize.create_dataset_group(name=name)["datasetGroupArn"]  # names are per region
    assert same_name.startswith("arn:aws:personalize:us-east-1:")
    poll_statuses(lambda: wire.personalize.describe_dataset_group(datasetGroupArn=same_name)["datasetGroup"])
    singapore.delete_dataset_group(datasetGroupArn=arn)
    wire.personalize.delete_dataset_group(datasetGroupArn=same_name)


# ---------------------------------------------------------------------------------------------- PutEvents extras
def test_put_events_extras_are_stored_and_train(wire: Wire, stack: Stack, deployed: DeployedRecommender) -> None:
    now = time.time()
    events = [
        {
            "eventId": "e-1",
            "eventType": "RATING",
            "itemId": "i001",
            "sentAt": now,
            "eventValue": 8.0,
            "properties": '{"numberOfRatings": "12"}',
            "impression": ["i001", "i003", "i005"],
            "recommendationId": "RID-" + "0" * 36,
        },
        {"eventId": "e-1", "eventType": "RATING", "itemId": "i007", "sentAt": now + 1},  # same id: not trained on
    ]
    wire.events.put_events(trackingId=deployed.tracking_id, userId="u900", sessionId="s-900", eventList=events)
    stored = [e for e in stack.pl.backend.store.events(deployed.dataset_group_arn) if e["user_id"] == "u900"]
    assert stored[0]["properties"] == {"numberOfRatings": "12"} and stored[0]["impression"] == "i001|i003|i005"
    assert stored[0]["recommendation_id"] == "RID-" + "0" * 36 and stored[0]["event_id"] == "e-1"
    frames = stack.pl.backend.group_data.frames(deployed.dataset_group_arn)
    mine = frames.interactions[frames.interactions["USER_ID"] == "u900"]
    assert mine["ITEM_ID"].tolist() == ["i001"]  # the second e-1 is left out of training
    assert str(mine["NUMBER_OF_RATINGS"].iloc[0]) == "12" and mine["IMPRESSION"].iloc[0] == "i001|i003|i005"

    solution = deployed.solution_arns["aws-user-personalization"]
    for mode in ("FULL", "UPDATE"):
        version = wire.personalize.create_solution_version(solutionArn=solution, trainingMode=mode)
        arn = version["solutionVersionArn"]
        seen = poll_statuses(
            lambda arn=arn: wire.personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"],
            timeout=180,
        )
        failure = wire.personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]
        assert seen[-1] == "ACTIVE", failure.get("failureReason")


# ---------------------------------------------------------------------------------------------- input constraints
def test_inputs_are_checked_as_strictly_as_aws(wire: Wire, deployed: DeployedRecommender) -> None:
    personalize, runtime = wire.personalize, wire.runtime
    error = raises_code("InvalidInputException", personalize.create_dataset_group, name="x" * 64)
    assert "failed to satisfy constraint: Member must have length less than or equal to 63" in str(error)
    error = raises_code("InvalidInputException", personalize.create_dataset_group, name="kms", kmsKeyArn="not-a-key")
    assert "regular expression pattern" in str(error)
    for tag in ({"tagKey": "aws:team", "tagValue": "x"}, {"tagKey": "k" * 129, "tagValue": "x"}):
        raises_code("InvalidInputException", personalize.create_dataset_group, name="tagged-bad", tags=[tag])
    assert "tagged-bad" not in [g["name"] for g in personalize.list_dataset_groups()["datasetGroups"]]

    campaign = deployed.campaign_arns["aws-user-personalization"]
    genre = deployed.filter_arns["genre"]
    error = raises_code("InvalidInputException", runtime.get_recommendations, campaignArn=campaign, userId="u" * 257)
    assert "length less than or equal to 256" in str(error)
    too_many = {f"P{n}": '"x"' for n in range(26)}
    for values in (too_many, {"GENRES": '"' + "x" * 1000 + '"'}, {"GENRES": '"Drama"', "NOPE": '"x"'}):
        raises_code(
            "InvalidInputException",
            runtime.get_recommendations,
            campaignArn=campaign,
            userId="u001",
            filterArn=genre,
            filterValues=values,
        )
    error = raises_code(
        "InvalidInputException",
        personalize.create_filter,
        name=f"f-{uuid.uuid4().hex[:6]}",
        datasetGroupArn=deployed.dataset_group_arn,
        filterExpression='INCLUDE ItemID WHERE Items.NOPE IN ("x")',
    )
    assert "Items.NOPE" in str(error)


def test_event_value_needs_an_event_value_field(wire: Wire) -> None:
    personalize = wire.personalize
    group = personalize.create_dataset_group(name=f"novalue-{uuid.uuid4().hex[:6]}")["datasetGroupArn"]
    poll_statuses(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    fields = [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
    ]
    schema = personalize.create_schema(
        name=f"novalue-{uuid.uuid4().hex[:6]}", schema=schema_json("Interactions", fields)
    )
    dataset = personalize.create_dataset(
        name="i", schemaArn=schema["schemaArn"], datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    tracker = personalize.create_event_tracker(name=f"t-{uuid.uuid4().hex[:6]}", datasetGroupArn=group)
    poll_statuses(lambda: personalize.describe_dataset(datasetArn=dataset)["dataset"])
    poll_statuses(
        lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"]
    )
    event = {"eventType": "WATCH", "itemId": "i1", "sentAt": time.time()}
    wire.events.put_events(trackingId=tracker["trackingId"], sessionId="s", userId="u", eventList=[event])
    error = raises_code(
        "InvalidInputException",
        wire.events.put_events,
        trackingId=tracker["trackingId"],
        sessionId="s",
        userId="u",
        eventList=[{**event, "eventValue": 1.0}],
    )
    assert "EVENT_VALUE" in str(error)


# ---------------------------------------------------------------------------------------------- promotions
def test_promotions_take_their_share_from_the_promotion_filter(
    wire: Wire, deployed: DeployedRecommender, small: SmallDataset
) -> None:
    action_fan = next(user for user, taste in small.taste_of.items() if taste == "Action")
    promotion = {"name": "drama-week", "percentPromotedItems": 40, "filterArn": deployed.filter_arns["drama"]}
    for recipe in ("aws-user-personalization", "aws-popularity-count"):
        campaign = deployed.campaign_arns[recipe]
        plain = wire.runtime.get_recommendations(campaignArn=campaign, userId=action_fan, numResults=10)["itemList"]
        items = wire.runtime.get_recommendations(
            campaignArn=campaign, userId=action_fan, numResults=10, promotions=[promotion]
        )["itemList"]
        promoted = [item for item in items if item.get("promotionName") == "drama-week"]
        assert len(items) == 10 and len(promoted) == 4, items
        assert all(small.genre_of[item["itemId"]] == "Drama" for item in promoted)
        assert len({item["itemId"] for item in items}) == 10
        regular = [item["itemId"] for item in items if "promotionName" not in item]
        assert (
            regular == [item["itemId"] for item in plain if item["itemId"] not in {p["itemId"] for p in promoted}][:6]
        )
    popularity = deployed.campaign_arns["aws-popularity-count"]
    raises_code(
        "InvalidInputException",
        wire.runtime.get_recommendations,
        campaignArn=popularity,
        userId=action_fan,
        promotions=[{"name": "p", "percentPromotedItems": 10}],
    )
