"""The deployed API function returns titled recommendations; watch events on the deployed stream change them."""

from __future__ import annotations

import csv
import json
import urllib.request
from datetime import UTC, datetime
from typing import Any

from local_cloud.waiting import wait_for
from tests.deployed.tier import Cloud, RetrainedDrop


def _titles(retrained_drop: RetrainedDrop) -> dict[int, str]:
    with open(retrained_drop.data_dir / "anime.csv", newline="", encoding="utf-8") as handle:
        return {int(row["MAL_ID"]): row["Name"] for row in csv.DictReader(handle)}


def _a_user(retrained_drop: RetrainedDrop) -> str:
    with open(retrained_drop.data_dir / "rating_complete.csv", newline="", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))["user_id"]


def _http_api(cloud: Cloud) -> str:
    assert cloud.state.http_apis, "the stack has no HTTP API"
    return cloud.state.http_apis["RecommendationsHttpApi"]


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, url
        return json.loads(response.read())


def _recommended_ids(cloud: Cloud, user: str) -> list[int]:
    body = _get_json(f"{_http_api(cloud)}/users/{user}/recommendations?numResults=10&excludeWatched=true")
    return [item["id"] for item in body["items"]]


def test_deployed_api_function_returns_titled_recommendations(cloud: Cloud, retrained_drop: RetrainedDrop) -> None:
    """Invoke the deployed function with an HTTP API (payload 2.0) event: titles come from the drop's catalog."""
    user = _a_user(retrained_drop)
    path = f"/users/{user}/recommendations"
    event = {
        "version": "2.0",
        "routeKey": "GET /users/{userId}/recommendations",
        "rawPath": path,
        "rawQueryString": "numResults=5",
        "queryStringParameters": {"numResults": "5"},
        "pathParameters": {"userId": user},
        "headers": {"accept": "application/json"},
        "isBase64Encoded": False,
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
            "routeKey": "GET /users/{userId}/recommendations",
            "stage": "$default",
            "requestId": "deployed-test",
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "time": "28/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795860000000,
        },
    }
    function_name = cloud.physical_id("RecommendationsApiFunction")
    response = cloud.client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    assert payload["statusCode"] == 200, payload
    items = json.loads(payload["body"])["items"]
    titles = _titles(retrained_drop)
    assert len(items) == 5
    for item in items:
        assert item["title"] == titles[item["id"]], item


def test_http_api_route_serves_titled_recommendations(cloud: Cloud, retrained_drop: RetrainedDrop) -> None:
    """The same through the emulator's execute-api endpoint (route -> integration -> the deployed function)."""
    user = _a_user(retrained_drop)
    body = _get_json(f"{_http_api(cloud)}/users/{user}/recommendations?numResults=10")
    titles = _titles(retrained_drop)
    assert len(body["items"]) == 10
    assert all(item["title"] == titles[item["id"]] for item in body["items"]), body["items"]


def test_watch_events_on_the_deployed_stream_change_the_users_recommendations(
    cloud: Cloud, retrained_drop: RetrainedDrop
) -> None:
    """COMPLETED events for the user's top picks go Kinesis -> forwarder -> PutEvents; the picks then drop out."""
    user = _a_user(retrained_drop)
    before = _recommended_ids(cloud, user)
    watched = before[:3]
    records = [
        {
            "Data": json.dumps(
                {"userId": user, "itemId": str(item), "eventType": "COMPLETED", "sentAt": datetime.now(UTC).isoformat()}
            ).encode(),
            "PartitionKey": user,
        }
        for item in watched
    ]
    put = cloud.client("kinesis").put_records(StreamName=cloud.output("WatchEventsStreamName"), Records=records)
    assert put["FailedRecordCount"] == 0

    after = wait_for(
        lambda: (ids := _recommended_ids(cloud, user)) != before and ids,
        timeout=90,
        interval=0.5,
        what=f"user {user}'s recommendations to change after watch events",
    )
    assert not set(watched) & set(after), (watched, after)
    dead_letters = cloud.client("sqs").receive_message(
        QueueUrl=cloud.output("WatchEventsDeadLetterQueueUrl"), WaitTimeSeconds=0
    )
    assert not dead_letters.get("Messages"), dead_letters["Messages"]
