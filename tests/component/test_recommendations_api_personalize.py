"""Routes of the recommendations API against real trained campaigns on Personalize Local (moto SSM/S3).

The dataset is the Personalize Local team's ``small_dataset`` (two taste groups, Action and Drama) with integer
item ids, as anime ids are, plus studios; the filters are the pipeline's own four parameterised filters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from werkzeug.test import Client

from anime_recommender.pipeline.names import ResourceNames
from tests.support.anime_deployment import PROJECT, Live, live_deployment, live_service
from tests.support.api_requests import api_app, api_client

APP = api_app()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_deployment(tmp_path_factory.mktemp("personalize")) as deployment:
        yield deployment


@pytest.fixture
def client(live: Live, monkeypatch: pytest.MonkeyPatch) -> Client:
    """The handler behind the local adapter, with a fresh service on the live campaigns."""
    service = live_service(live)
    monkeypatch.setattr(APP, "recommendation_service", lambda: service)
    return api_client()


def get(client: Client, url: str) -> tuple[int, dict[str, Any]]:
    response = client.get(url)
    return response.status_code, response.get_json()


def post(client: Client, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(url, json=body)
    return response.status_code, response.get_json()


ACTION_FAN, DRAMA_FAN = "u000", "u001"


def test_recommendations_are_titled_scored_and_follow_the_users_taste(client: Client, live: Live) -> None:
    share: dict[str, float] = {}
    for user in (ACTION_FAN, DRAMA_FAN):
        status, body = get(client, f"/users/{user}/recommendations?numResults=10")
        assert status == 200, body
        assert body["recommendationId"]
        assert len(body["items"]) == 10
        for item in body["items"]:
            assert item["title"] == f"Anime {item['id']}"
            assert item["genres"] == live.deployment.genres(item["id"])
            assert isinstance(item["score"], float)
            assert set(item) == {"id", "title", "englishTitle", "genres", "year", "score"}
        share[user] = sum(item["genres"] == ["Action"] for item in body["items"]) / 10
        assert "ResponseMetadata" not in json.dumps(body)
    assert share[ACTION_FAN] > share[DRAMA_FAN], share


def test_genre_filter_overrides_taste(client: Client) -> None:
    status, body = get(client, f"/users/{ACTION_FAN}/recommendations?genre=drama&numResults=8")
    assert status == 200, body
    assert body["items"], "the Drama filter left nothing"
    assert {genre for item in body["items"] for genre in item["genres"]} == {"Drama"}


def test_year_range_keeps_only_anime_from_those_years(client: Client) -> None:
    status, body = get(client, f"/users/{DRAMA_FAN}/recommendations?yearFrom=2000&yearTo=2009&numResults=20")
    assert status == 200, body
    years = [item["year"] for item in body["items"]]
    assert years, "no anime between 2000 and 2009"
    assert all(2000 <= year <= 2009 for year in years), years


def test_studio_and_genre_studio_filters(client: Client, live: Live) -> None:
    status, body = get(client, f"/users/{DRAMA_FAN}/recommendations?studio=Bones&numResults=20")
    assert status == 200, body
    assert body["items"]
    assert all(live.deployment.catalog[str(item["id"])]["studios"] == ["Bones"] for item in body["items"])
    status, body = get(client, f"/users/{DRAMA_FAN}/recommendations?studio=Bones,Sunrise&genre=Action&numResults=20")
    assert status == 200, body
    assert body["items"]
    for item in body["items"]:
        entry = live.deployment.catalog[str(item["id"])]
        assert entry["genres"] == ["Action"]
        assert entry["studios"][0] in {"Bones", "Sunrise"}


def test_exclude_watched_drops_what_the_user_rated(client: Client, live: Live) -> None:
    watched = live.deployment.watched[ACTION_FAN]
    status, body = get(client, f"/users/{ACTION_FAN}/recommendations?numResults=40")
    assert status == 200
    assert watched & {item["id"] for item in body["items"]}, "nothing watched to exclude: the test proves nothing"
    status, body = get(client, f"/users/{ACTION_FAN}/recommendations?excludeWatched=true&numResults=40")
    assert status == 200, body
    assert body["items"]
    assert not watched & {item["id"] for item in body["items"]}


def test_a_live_watch_event_is_excluded_afterwards(client: Client, live: Live) -> None:
    user = "u010"
    status, body = get(client, f"/users/{user}/recommendations?excludeWatched=true&numResults=5")
    assert status == 200, body
    top = body["items"][0]["id"]
    status, body = post(client, f"/users/{user}/events", {"animeId": top, "eventType": "watch", "eventValue": 0})
    assert status == 202, body
    assert body["eventValue"] == 0
    status, body = get(client, f"/users/{user}/recommendations?excludeWatched=true&numResults=5")
    assert status == 200, body
    assert top not in [item["id"] for item in body["items"]]


def test_similar_anime_are_titled_without_scores(client: Client, live: Live) -> None:
    status, body = get(client, "/anime/1/similar?numResults=5")
    assert status == 200, body
    assert body["recommendationId"]
    assert 0 < len(body["items"]) <= 5
    assert 1 not in [item["id"] for item in body["items"]]
    assert all(item["title"] == f"Anime {item['id']}" for item in body["items"])


def test_rankings_return_the_same_anime_best_first(client: Client) -> None:
    candidates = [2, 4, 6, 1, 3, 5]
    status, body = post(client, f"/users/{ACTION_FAN}/rankings", {"animeIds": candidates})
    assert status == 200, body
    assert body["recommendationId"]
    ranked = [item["id"] for item in body["items"]]
    assert sorted(ranked) == sorted(candidates)
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert all(item["title"] == f"Anime {item['id']}" for item in body["items"])


def test_a_campaign_personalize_does_not_know_is_503(client: Client, live: Live) -> None:
    ssm = boto3.client("ssm")
    name = ResourceNames(PROJECT).parameters.campaign("sims")
    ssm.put_parameter(Name=name, Value=live.deployment.parameters[name] + "-deleted", Overwrite=True)
    try:
        status, body = get(client, "/anime/1/similar")
    finally:
        ssm.put_parameter(Name=name, Value=live.deployment.parameters[name], Overwrite=True)
    assert status == 503
    assert "SIMS campaign is not available yet" in body["message"]
    assert "ResourceNotFoundException" in body["message"]


def test_unknown_users_get_cold_start_recommendations(client: Client) -> None:
    status, body = get(client, "/users/someone-new/recommendations?numResults=3")
    assert status == 200, body
    assert len(body["items"]) == 3
