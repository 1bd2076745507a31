"""Contract: personalize-runtime and personalize-events through plain boto3 against deployed campaigns."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from personalize_local import ENDPOINT_VARIABLES
from testing.personalize_setup import DeployedRecommender, SmallDataset, deploy_small_recommender, small_dataset
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import ROLE, USERS_FIELDS, code_of, poll_statuses, schema_json

RECIPES = ("aws-popularity-count", "aws-user-personalization", "aws-sims", "aws-personalized-ranking")
FILTERS = {
    "genre": "INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)",
    "unwatched": "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($WATCHED)",
}


@pytest.fixture(scope="module")
def data() -> SmallDataset:
    """Two taste groups: even items Action, odd items Drama."""
    return small_dataset()


@pytest.fixture(scope="module")
def deployed(stack: Stack, data: SmallDataset) -> Iterator[DeployedRecommender]:
    """All four recipes deployed once per module (per xdist worker)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.setenv(name, stack.pl.endpoint_url)
        yield deploy_small_recommender(stack.bucket, data.interactions_csv, data.items_csv, RECIPES, FILTERS)


def _raises(code: str, call, **kwargs) -> ClientError:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    assert code_of(info.value) == code, info.value
    return info.value


def _event(item: str, event_type: str = "RATING", **extra: object) -> dict:
    return {"eventType": event_type, "itemId": item, "sentAt": time.time(), **extra}


def test_get_recommendations_defaults_limits_and_scores(wire: Wire, deployed: DeployedRecommender) -> None:
    popularity = deployed.campaign_arns["aws-popularity-count"]
    response = wire.runtime.get_recommendations(campaignArn=popularity, userId="u001")
    assert len(response["itemList"]) == 25  # numResults defaults to 25
    assert all(set(item) == {"itemId"} for item in response["itemList"])  # popularity-count has no score
    raw = wire.recorder.raw("GetRecommendations")
    assert raw["recommendationId"].startswith("RID-") and len(raw["recommendationId"]) <= 40
    assert all("score" not in item for item in raw["itemList"])

    personal = wire.runtime.get_recommendations(
        campaignArn=deployed.campaign_arns["aws-user-personalization"], userId="u001", numResults=5
    )["itemList"]
    assert len(personal) == 5 and all(isinstance(item["score"], float) for item in personal)

    _raises(
        "InvalidInputException", wire.runtime.get_recommendations, campaignArn=popularity, userId="u1", numResults=501
    )
    _raises("InvalidInputException", wire.runtime.get_recommendations, campaignArn=popularity, itemId="i001")
    _raises(
        "InvalidInputException",
        wire.runtime.get_recommendations,
        campaignArn=deployed.campaign_arns["aws-personalized-ranking"],
        userId="u001",
    )
    _raises("ResourceNotFoundException", wire.runtime.get_recommendations, campaignArn=popularity + "x", userId="u1")


def test_related_items(wire: Wire, deployed: DeployedRecommender, data: SmallDataset) -> None:
    sims = deployed.campaign_arns["aws-sims"]
    items = wire.runtime.get_recommendations(campaignArn=sims, itemId="i000", numResults=10)["itemList"]
    assert len(items) == 10 and "i000" not in {i["itemId"] for i in items}
    assert all("score" not in item for item in items)
    _raises("InvalidInputException", wire.runtime.get_recommendations, campaignArn=sims, userId="u001")


def test_filters_apply_before_truncation(wire: Wire, deployed: DeployedRecommender, data: SmallDataset) -> None:
    campaign = deployed.campaign_arns["aws-user-personalization"]
    genre = deployed.filter_arns["genre"]
    items = wire.runtime.get_recommendations(
        campaignArn=campaign, userId="u000", numResults=15, filterArn=genre, filterValues={"GENRES": '"Drama"'}
    )["itemList"]
    assert len(items) == 15 and {data.genre_of[i["itemId"]] for i in items} == {"Drama"}
    error = _raises(
        "InvalidInputException", wire.runtime.get_recommendations, campaignArn=campaign, userId="u000", filterArn=genre
    )
    assert "GENRES" in error.response["Error"]["Message"]
    _raises(
        "InvalidInputException",
        wire.runtime.get_recommendations,
        campaignArn=campaign,
        userId="u000",
        filterValues={"GENRES": '"Drama"'},
    )
    _raises(
        "ResourceNotFoundException",
        wire.runtime.get_recommendations,
        campaignArn=campaign,
        userId="u000",
        filterArn=genre + "-gone",
    )


def test_personalized_ranking(wire: Wire, deployed: DeployedRecommender) -> None:
    campaign = deployed.campaign_arns["aws-personalized-ranking"]
    inputs = ["i001", "i002", "not-an-item", "i003", "i004"]
    ranked = wire.runtime.get_personalized_ranking(campaignArn=campaign, userId="u000", inputList=inputs)
    order = [item["itemId"] for item in ranked["personalizedRanking"]]
    assert sorted(order) == sorted(inputs) and order[-1] == "not-an-item"
    assert ranked["personalizedRanking"][-1]["score"] == 0.0  # rankings.html: not in training -> score 0
    assert all("score" in item for item in ranked["personalizedRanking"][:-1])
    assert len(ranked["recommendationId"]) <= 40
    _raises(
        "InvalidInputException",
        wire.runtime.get_personalized_ranking,
        campaignArn=campaign,
        userId="u000",
        inputList=[f"i{n}" for n in range(501)],
    )
    _raises(
        "InvalidInputException",
        wire.runtime.get_personalized_ranking,
        campaignArn=deployed.campaign_arns["aws-user-personalization"],
        userId="u000",
        inputList=inputs,
    )


def test_put_events_change_the_very_next_response(
    wire: Wire, deployed: DeployedRecommender, data: SmallDataset
) -> None:
    campaign = deployed.campaign_arns["aws-user-personalization"]
    unwatched = deployed.filter_arns["unwatched"]
    user = f"new-{uuid.uuid4().hex[:8]}"
    dramas = sorted(item for item, genre in data.genre_of.items() if genre == "Drama")

    def top(n: int = 10, **kwargs: object) -> list[str]:
        response = wire.runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=n, **kwargs)
        return [item["itemId"] for item in response["itemList"]]

    before = top()
    watched = dramas[:5]
    wire.events.put_events(
        trackingId=deployed.tracking_id,
        userId=user,
        sessionId="session-1",
        eventList=[_event(item, eventValue=9.0) for item in watched],
    )
    assert wire.recorder.calls[-1].body == b""  # PutEvents answers with an empty body
    after_filtered = top(filterArn=unwatched, filterValues={"WATCHED": '"RATING"'})
    assert not set(watched) & set(after_filtered)
    after = top()
    assert after != before
    drama_share = sum(data.genre_of[i] == "Drama" for i in after)
    assert drama_share > sum(data.genre_of[i] == "Drama" for i in before) and drama_share >= 6

    ranked = wire.runtime.get_personalized_ranking(
        campaignArn=deployed.campaign_arns["aws-personalized-ranking"], userId=user, inputList=["i010", "i011"]
    )["personalizedRanking"]
    assert ranked[0]["itemId"] == "i011"  # the Drama item first, from the streamed history alone


def test_put_events_validation(wire: Wire, deployed: DeployedRecommender) -> None:
    good = {"trackingId": deployed.tracking_id, "userId": "u001", "sessionId": "s"}
    _raises("InvalidInputException", wire.events.put_events, **good, eventList=[_event("i001")] * 11)
    _raises(
        "InvalidInputException",
        wire.events.put_events,
        **good,
        eventList=[_event("i001", properties=json.dumps({"note": "x" * 1100}))],
    )
    _raises(
        "InvalidInputException",
        wire.events.put_events,
        **good,
        eventList=[_event("i001", properties=json.dumps({"userId": "u2"}))],
    )
    _raises("InvalidInputException", wire.events.put_events, **good, eventList=[_event("i001", properties="{oops")])
    _raises(
        "InvalidInputException",
        wire.events.put_events,
        **good,
        eventList=[_event("i001", properties=json.dumps({"device": "tv"}))],  # not an Interactions field
    )
    _raises(
        "InvalidInputException",
        wire.events.put_events,
        trackingId="no-such-tracker",
        sessionId="s",
        eventList=[_event("i001")],
    )
    wire.events.put_events(
        **good, eventList=[_event("i001", recommendationId="RID-1", impression=["i001", "i002"], eventId="e-1")]
    )


def test_put_items_reach_filters_at_once(wire: Wire, deployed: DeployedRecommender, data: SmallDataset) -> None:
    campaign = deployed.campaign_arns["aws-user-personalization"]
    action_item = next(item for item, genre in sorted(data.genre_of.items()) if genre == "Action")

    def dramas() -> set[str]:
        return {
            item["itemId"]
            for item in wire.runtime.get_recommendations(
                campaignArn=campaign,
                userId="u001",
                numResults=40,
                filterArn=deployed.filter_arns["genre"],
                filterValues={"GENRES": '"Drama"'},
            )["itemList"]
        }

    assert action_item not in dramas()
    wire.events.put_items(
        datasetArn=deployed.items_dataset_arn,
        items=[{"itemId": action_item, "properties": json.dumps({"genres": "Drama|Action", "year": 2001})}],
    )
    assert wire.recorder.calls[-1].body == b""
    assert action_item in dramas()
    _raises(
        "InvalidInputException",
        wire.events.put_items,
        datasetArn=deployed.items_dataset_arn,
        items=[{"itemId": "i001", "properties": json.dumps({"colour": "red"})}],
    )
    _raises(
        "InvalidInputException",
        wire.events.put_items,
        datasetArn=deployed.items_dataset_arn,
        items=[{"itemId": "i001", "properties": json.dumps({"year": "soon"})}],
    )
    _raises(
        "InvalidInputException",
        wire.events.put_items,
        datasetArn=deployed.interactions_dataset_arn,
        items=[{"itemId": "i001", "properties": "{}"}],
    )
    _raises(
        "ResourceNotFoundException",
        wire.events.put_items,
        datasetArn=deployed.items_dataset_arn + "-gone",
        items=[{"itemId": "i001", "properties": "{}"}],
    )


def test_put_users(wire: Wire, deployed: DeployedRecommender) -> None:
    schema = wire.personalize.create_schema(
        name=f"users-{uuid.uuid4().hex[:6]}", schema=schema_json("Users", USERS_FIELDS)
    )
    dataset = wire.personalize.create_dataset(
        name=f"users-{uuid.uuid4().hex[:6]}",
        schemaArn=schema["schemaArn"],
        datasetGroupArn=deployed.dataset_group_arn,
        datasetType="Users",
    )["datasetArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset(datasetArn=dataset)["dataset"])
    wire.events.put_users(datasetArn=dataset, users=[{"userId": "u001", "properties": '{"ageGroup": "adult"}'}])
    _raises(
        "InvalidInputException",
        wire.events.put_users,
        datasetArn=deployed.items_dataset_arn,
        users=[{"userId": "u001", "properties": '{"ageGroup": "adult"}'}],
    )
    _raises(
        "InvalidInputException",
        wire.events.put_users,
        datasetArn=dataset,
        users=[{"userId": f"u{n}", "properties": "{}"} for n in range(11)],
    )


def test_streamed_events_become_training_data(wire: Wire, deployed: DeployedRecommender) -> None:
    fresh = f"fresh-{uuid.uuid4().hex[:6]}"
    for n in range(60):
        wire.events.put_events(
            trackingId=deployed.tracking_id, userId=f"fan-{n}", sessionId=f"s-{n}", eventList=[_event(fresh)]
        )
    solution = deployed.solution_arns["aws-popularity-count"]
    version = wire.personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    poll_statuses(lambda: wire.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
    campaign = deployed.campaign_arns["aws-popularity-count"]
    wire.personalize.update_campaign(campaignArn=campaign, solutionVersionArn=version)
    poll_statuses(lambda: wire.personalize.describe_campaign(campaignArn=campaign)["campaign"]["latestCampaignUpdate"])
    top = wire.runtime.get_recommendations(campaignArn=campaign, userId="u001", numResults=1)["itemList"]
    assert top == [{"itemId": fresh}]


def test_full_import_replaces_and_incremental_appends(stack: Stack, wire: Wire) -> None:
    base = f"modes-{uuid.uuid4().hex[:6]}"
    data = small_dataset(seed=11)
    deployed = deploy_small_recommender(stack.bucket, data.interactions_csv, None, ("aws-popularity-count",), name=base)
    campaign = deployed.campaign_arns["aws-popularity-count"]
    solution = deployed.solution_arns["aws-popularity-count"]
    extra = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n" + "".join(
        f"z{n},zeta,{1700000000 + n},RATING,8\n" for n in range(90)
    )

    def import_and_retrain(text: str, mode: str) -> list[str]:
        location = stack.put(f"{base}/{uuid.uuid4().hex[:6]}.csv", text)
        job = wire.personalize.create_dataset_import_job(
            jobName=f"{base}-{uuid.uuid4().hex[:6]}",
            datasetArn=deployed.interactions_dataset_arn,
            dataSource={"dataLocation": location},
            roleArn=ROLE,
            importMode=mode,
        )["datasetImportJobArn"]
        poll_statuses(lambda: wire.personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])
        version = wire.personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        poll_statuses(lambda: wire.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
        wire.personalize.update_campaign(campaignArn=campaign, solutionVersionArn=version)
        poll_statuses(
            lambda: wire.personalize.describe_campaign(campaignArn=campaign)["campaign"]["latestCampaignUpdate"]
        )
        items = wire.runtime.get_recommendations(campaignArn=campaign, userId="u001", numResults=500)["itemList"]
        return [item["itemId"] for item in items]

    appended = import_and_retrain(extra, "INCREMENTAL")
    assert appended[0] == "zeta" and len(appended) == 41  # the 40 items of the first import are still there
    replaced = import_and_retrain(
        extra + "".join(f"z{n},other,{1700000100 + n},RATING,8\n" for n in range(1100)), "FULL"
    )
    assert set(replaced) == {"zeta", "other"}


def test_concurrent_requests_are_safe(stack: Stack, deployed: DeployedRecommender) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    url = stack.pl.endpoint_url
    campaign = deployed.campaign_arns["aws-user-personalization"]
    user = f"busy-{uuid.uuid4().hex[:6]}"
    items = [f"i{n:03d}" for n in range(20)]

    def worker(chunk: int) -> list[int]:
        session = boto3.session.Session()
        runtime = session.client("personalize-runtime", endpoint_url=url)
        events = session.client("personalize-events", endpoint_url=url)
        sizes = []
        for n in range(chunk * 5, chunk * 5 + 5):
            events.put_events(
                trackingId=deployed.tracking_id, userId=user, sessionId=f"s{n}", eventList=[_event(items[n])]
            )
            sizes.append(len(runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)["itemList"]))
        return sizes

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert [size for sizes in pool.map(worker, range(4)) for size in sizes] == [10] * 20
    runtime = boto3.client("personalize-runtime", endpoint_url=url)
    left = runtime.get_recommendations(
        campaignArn=campaign,
        userId=user,
        numResults=40,
        filterArn=deployed.filter_arns["unwatched"],
        filterValues={"WATCHED": '"RATING"'},
    )["itemList"]
    assert {item["itemId"] for item in left} == {f"i{n:03d}" for n in range(20, 40)}  # every event was kept


def test_exploration_config_reaches_user_personalization_models_only(
    stack: Stack, deployed: DeployedRecommender
) -> None:
    from personalize_local.recipes.base import ExplorationConfig

    backend = stack.pl.backend  # white-box: what the campaign passes to model.recommend
    assert backend.deployments.campaign(
        deployed.campaign_arns["aws-user-personalization"]
    ).exploration == ExplorationConfig(weight=0.3, item_age_cutoff_days=30.0)
    assert backend.deployments.campaign(deployed.campaign_arns["aws-popularity-count"]).exploration is None
    assert backend.deployments.campaign(deployed.campaign_arns["aws-sims"]).exploration is None
