"""Routes of the recommendations API: API Gateway v2 events through the real handler, moto SSM/S3.

Personalize is botocore's own Stubber here (error injection and exact request checks); the Personalize Local
tests in test_recommendations_api_personalize.py serve real trained campaigns.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws
from werkzeug.test import Client, EnvironBuilder

from anime_recommender.contracts.parameters import PLACEHOLDER
from anime_recommender.contracts.sessions import default_session_id
from anime_recommender.recommendations_api import PublishedSettings, RecommendationService, SettingsConfig
from anime_recommender.recommendations_api.catalog import parse_s3_uri
from local_cloud.http_routes import declared_routes
from offline.serve_api import http_api_event
from sam_app.template import load_template
from tests.support.api_requests import api_app, api_client, invoke

REPO = Path(__file__).resolve().parents[2]
PROJECT = "anime-recs"
CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/anime-recs-{}"
FILTERS = {
    name: f"arn:aws:personalize:us-east-1:123456789012:filter/anime-recs-{name}"
    for name in ("base", "genre", "studio", "genre-studio")
}
CATALOG = {
    "1": {"title": "Cowboy Bebop", "englishTitle": "Cowboy Bebop", "genres": ["Action", "Sci-Fi"], "year": 1998,
          "score": 8.78, "type": "TV", "studios": ["Sunrise"]},
    "5": {"title": "Cowboy Bebop: Tengoku no Tobira", "englishTitle": None, "genres": ["Action", "Drama"],
          "year": 2001, "score": 8.39, "type": "Movie", "studios": ["Bones"]},
    "6": {"title": "Trigun", "englishTitle": "Trigun", "genres": ["Action", "Comedy"], "year": 1998, "score": 8.24,
          "type": "TV", "studios": ["Madhouse"]},
    "20": {"title": "Naruto", "englishTitle": "Naruto", "genres": ["Action", "Comedy"], "year": 2002, "score": 7.91,
           "type": "TV", "studios": ["Studio Pierrot"]},
}  # fmt: skip
ALL_PARAMETERS = {
    f"/{PROJECT}/campaigns/user-personalization": CAMPAIGN.format("user-personalization"),
    f"/{PROJECT}/campaigns/sims": CAMPAIGN.format("sims"),
    f"/{PROJECT}/campaigns/personalized-ranking": CAMPAIGN.format("personalized-ranking"),
    f"/{PROJECT}/tracking-id": "0f1e2d3c-tracking",
    f"/{PROJECT}/filters": json.dumps(FILTERS),
    f"/{PROJECT}/event-types": json.dumps(["RATING", "WATCHING", "COMPLETED", "ON_HOLD", "DROPPED", "PLAN_TO_WATCH"]),
    f"/{PROJECT}/catalog": "s3://anime-recs-data/prepared/drop-1/catalog.json",
}
#: What template.yaml creates before the first pipeline run (tests/unit/test_contracts_parameters.py holds them equal).
BEFORE_THE_FIRST_RUN = {name: PLACEHOLDER for name in ALL_PARAMETERS} | {
    f"/{PROJECT}/filters": "{}",
    f"/{PROJECT}/event-types": "[]",
}

APP = api_app()


class Api:
    """The handler behind the local adapter, plus stubbed Personalize clients."""

    def __init__(self, client: Client, runtime: Stubber, events: Stubber) -> None:
        self.client = client
        self.runtime = runtime
        self.events = events

    def call(self, method: str, url: str, body: Any = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Returns (status, JSON body, headers); the request comes from a browser app's origin."""
        data = body if body is None or isinstance(body, str) else json.dumps(body)
        response = self.client.open(
            url, method=method, data=data, content_type="application/json", headers={"Origin": "https://app.example"}
        )
        return response.status_code, json.loads(response.get_data(as_text=True) or "null"), dict(response.headers)


def publish(project: str, parameters: dict[str, str], catalog: dict[str, Any] | None = CATALOG) -> None:
    """What the pipeline publishes for ``project``: SSM parameters and the catalog object they point at."""
    ssm = boto3.client("ssm", region_name="us-east-1")
    for name, value in parameters.items():
        ssm.put_parameter(Name=name.replace(f"/{PROJECT}/", f"/{project}/"), Value=value, Type="String", Overwrite=True)
    uri = parameters.get(f"/{PROJECT}/catalog")
    if uri is not None and catalog is not None:
        bucket, key = parse_s3_uri(uri)
        s3 = boto3.client("s3", region_name="us-east-1")
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(catalog).encode())


@dataclass
class Backend:
    """One moto account for the whole module; each state of the pipeline lives under its own project name."""

    ssm: Any
    s3: Any
    runtime: Any
    events: Any


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    with mock_aws():
        publish(PROJECT, ALL_PARAMETERS)
        publish("unpublished", {f"/{PROJECT}/catalog": ALL_PARAMETERS[f"/{PROJECT}/catalog"]})
        publish("no-filters", {k: v for k, v in ALL_PARAMETERS.items() if not k.endswith("/filters")})
        publish("first-run", BEFORE_THE_FIRST_RUN, catalog=None)
        catalog = {f"/{PROJECT}/catalog": ALL_PARAMETERS[f"/{PROJECT}/catalog"]}
        publish("placeholders-but-catalog", BEFORE_THE_FIRST_RUN | catalog)
        yield Backend(
            ssm=boto3.client("ssm", region_name="us-east-1"),
            s3=boto3.client("s3", region_name="us-east-1"),
            runtime=boto3.client("personalize-runtime", region_name="us-east-1"),
            events=boto3.client("personalize-events", region_name="us-east-1"),
        )


def make_api(backend: Backend, monkeypatch: pytest.MonkeyPatch, project: str = PROJECT) -> Iterator[Api]:
    """The handler with a fresh service (empty caches) for ``project``; Personalize stubbed."""
    service = RecommendationService(
        settings=PublishedSettings(SettingsConfig(project_name=project), backend.ssm),
        runtime_client=backend.runtime,
        events_client=backend.events,
        s3_client=backend.s3,
        clock=lambda: 1_795_860_000.0,
    )
    monkeypatch.setattr(APP, "recommendation_service", lambda: service)
    with Stubber(backend.runtime) as runtime_stub, Stubber(backend.events) as events_stub:
        yield Api(api_client(), runtime_stub, events_stub)
        runtime_stub.assert_no_pending_responses()
        events_stub.assert_no_pending_responses()


@pytest.fixture
def api(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """Everything published."""
    yield from make_api(backend, monkeypatch)


@pytest.fixture
def unpublished(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """Only the catalog is published (the pipeline has not deployed any campaign yet)."""
    yield from make_api(backend, monkeypatch, "unpublished")


@pytest.fixture
def logged() -> Iterator[list[dict[str, Any]]]:
    """The API's log lines (JSON, as CloudWatch gets them) while the test runs."""
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(APP.logger.registered_formatter)
    target = logging.getLogger(APP.logger.name)
    target.addHandler(handler)
    yield lines
    target.removeHandler(handler)


# ---------------------------------------------------------------------------------------------------- success
def test_recommendations_are_titled_and_keep_scores_and_recommendation_id(api: Api) -> None:
    api.runtime.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": "6", "score": 0.61}, {"itemId": "1", "score": 0.2}], "recommendationId": "RID-1"},
        {"campaignArn": CAMPAIGN.format("user-personalization"), "userId": "42", "numResults": 25},
    )
    status, body, headers = api.call("GET", "/users/42/recommendations")
    assert status == 200, body
    assert body == {
        "recommendationId": "RID-1",
        "items": [
            {"id": 6, "title": "Trigun", "englishTitle": "Trigun", "genres": ["Action", "Comedy"], "year": 1998,
             "score": 0.61},
            {"id": 1, "title": "Cowboy Bebop", "englishTitle": "Cowboy Bebop", "genres": ["Action", "Sci-Fi"],
             "year": 1998, "score": 0.2},
        ],
    }  # fmt: skip
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_filters_go_to_personalize_as_the_pipeline_filter_with_wire_format_values(api: Api) -> None:
    api.runtime.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": "20", "score": 0.5}], "recommendationId": "RID-2"},
        {
            "campaignArn": CAMPAIGN.format("user-personalization"),
            "userId": "42",
            "numResults": 10,
            "filterArn": FILTERS["genre-studio"],
            "filterValues": {
                "GENRES": '"Action","Comedy"',
                "STUDIOS": '"Studio Pierrot"',
                "YEAR_FROM": "2000",
                "WATCHED_EVENT_TYPES": '"RATING","WATCHING","COMPLETED","ON_HOLD","DROPPED","watch"',
            },
        },
    )
    url = "/users/42/recommendations?genre=action,Comedy&studio=studio%20pierrot&yearFrom=2000&excludeWatched=true"
    status, body, _ = api.call("GET", url + "&numResults=10")
    assert status == 200, body
    assert [item["title"] for item in body["items"]] == ["Naruto"]


def test_repeated_query_values_count_like_comma_separated_ones(api: Api) -> None:
    api.runtime.add_response(
        "get_recommendations",
        {"itemList": [], "recommendationId": "RID-3"},
        {
            "campaignArn": ANY,
            "userId": "42",
            "numResults": 25,
            "filterArn": FILTERS["genre"],
            "filterValues": {"GENRES": '"Drama","Comedy"', "YEAR_TO": "2001"},
        },
    )
    status, body, _ = api.call("GET", "/users/42/recommendations?genre=Drama&genre=Comedy&yearTo=2001")
    assert status == 200, body
    assert body == {"recommendationId": "RID-3", "items": []}


def test_similar_anime_come_from_sims_without_scores(api: Api) -> None:
    api.runtime.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": "5"}, {"itemId": "6"}], "recommendationId": "RID-4"},
        {"campaignArn": CAMPAIGN.format("sims"), "itemId": "1", "numResults": 2},
    )
    status, body, _ = api.call("GET", "/anime/1/similar?numResults=2")
    assert status == 200, body
    assert [item["title"] for item in body["items"]] == ["Cowboy Bebop: Tengoku no Tobira", "Trigun"]
    assert all("score" not in item for item in body["items"])
    assert body["items"][0]["englishTitle"] is None


def test_rankings_reorder_the_given_anime(api: Api) -> None:
    api.runtime.add_response(
        "get_personalized_ranking",
        {
            "personalizedRanking": [{"itemId": "20", "score": 0.7}, {"itemId": "1", "score": 0.3}],
            "recommendationId": "RID-5",
        },
        {"campaignArn": CAMPAIGN.format("personalized-ranking"), "userId": "42", "inputList": ["1", "20"]},
    )
    status, body, _ = api.call("POST", "/users/42/rankings", {"animeIds": [1, 20]})
    assert status == 200, body
    assert [(item["id"], item["score"]) for item in body["items"]] == [(20, 0.7), (1, 0.3)]
    assert body["recommendationId"] == "RID-5"


@pytest.mark.parametrize("event_value", [0, 7.5, None])
def test_events_go_to_the_tracker_and_event_value_zero_is_kept(api: Api, event_value: float | None) -> None:
    sent: dict[str, Any] = {"eventType": "rating", "sentAt": 1_795_860_000, "itemId": "5"}
    if event_value is not None:
        sent["eventValue"] = event_value
    api.events.add_response(
        "put_events",
        {},
        {"trackingId": "0f1e2d3c-tracking", "userId": "42", "sessionId": "s-1", "eventList": [sent]},
    )
    request = {"animeId": 5, "eventType": "rating", "sessionId": "s-1"}
    if event_value is not None:
        request["eventValue"] = event_value
    status, body, _ = api.call("POST", "/users/42/events", request)
    assert status == 202, body
    assert body["eventValue"] == event_value
    assert body["sentAt"] == 1_795_860_000
    assert "ResponseMetadata" not in json.dumps(body)


def test_event_without_session_joins_the_users_default_session_and_forwards_the_recommendation_id(api: Api) -> None:
    api.events.add_response(
        "put_events",
        {},
        {
            "trackingId": ANY,
            "userId": "42",
            "sessionId": default_session_id("42"),
            "eventList": [{"eventType": "watch", "sentAt": ANY, "itemId": "1", "recommendationId": "RID-1"}],
        },
    )
    status, body, _ = api.call(
        "POST", "/users/42/events", {"animeId": 1, "eventType": "watch", "recommendationId": "RID-1"}
    )
    assert status == 202, body
    assert body["sessionId"] == default_session_id("42")


def test_anime_detail_comes_from_the_catalog(api: Api) -> None:
    status, body, _ = api.call("GET", "/anime/5")
    assert status == 200
    assert body == {
        "id": 5, "title": "Cowboy Bebop: Tengoku no Tobira", "englishTitle": None, "genres": ["Action", "Drama"],
        "year": 2001, "malScore": 8.39, "type": "Movie", "studios": ["Bones"],
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------------- 400
@pytest.mark.parametrize(
    ("url", "parameter", "words"),
    [
        ("/users/42/recommendations?numResults=0", "numResults", "from 1 to 100"),
        ("/users/42/recommendations?numResults=101", "numResults", "from 1 to 100"),
        ("/users/42/recommendations?numResults=ten", "numResults", "valid integer"),
        ("/anime/1/similar?numResults=500", "numResults", "less than or equal to 100"),
        ("/users/42/recommendations?yearFrom=1990s", "yearFrom", "valid integer"),
        ("/users/42/recommendations?yearTo=late", "yearTo", "valid integer"),
        ("/users/42/recommendations?yearFrom=2010&yearTo=2000", "yearFrom", "must not be after yearTo"),
        ("/users/42/recommendations?excludeWatched=perhaps", "excludeWatched", "true or false"),
        ("/users/42/recommendations?genre=Action,Mecha", "genre", "Unknown genre 'Mecha'; valid values: Action, "),
        ("/users/42/recommendations?studio=Madhose", "studio", "did you mean: Madhouse"),
        ("/anime/one", "animeId", "valid integer"),
        ("/anime/0/similar", "animeId", "greater than or equal to 1"),
    ],
)
def test_bad_query_and_path_parameters_are_400_naming_the_parameter(
    api: Api, url: str, parameter: str, words: str
) -> None:
    status, body, _ = api.call("GET", url)
    assert status == 400, body
    assert body["parameter"] == parameter
    assert parameter in body["message"]
    assert words in body["message"]


@pytest.mark.parametrize(
    ("path", "payload", "parameter", "words"),
    [
        ("rankings", {"animeIds": []}, "animeIds", "at least 1 item"),
        ("rankings", {"animeIds": list(range(1, 502))}, "animeIds", "at most 500 items"),
        ("rankings", {"animeIds": [1, "two"]}, "animeIds", "animeIds.1"),
        ("rankings", {"animeIds": [1, 6, 1]}, "animeIds", "more than once: [1]"),
        ("rankings", {"ids": [1]}, "animeIds", "Field required"),
        ("rankings", "{not json", "body", "not valid JSON"),
        ("rankings", None, "body", "Field required"),
        ("events", {"animeId": 1}, "eventType", "eventType is required"),
        ("events", {"animeId": 1, "eventType": ""}, "eventType", "at least 1 character"),
        ("events", {"animeId": 1, "eventType": "watch", "eventValue": "high"}, "eventValue", "valid number"),
        ("events", {"animeId": "x", "eventType": "watch"}, "animeId", "valid integer"),
        ("events", {"animeId": 1, "eventType": "watch", "extra": 1}, "extra", "Extra inputs are not permitted"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(api: Api, path: str, payload: Any, parameter: str, words: str) -> None:
    status, body, _ = api.call("POST", f"/users/42/{path}", payload)
    assert status == 400, body
    assert body["parameter"] == parameter
    assert words in body["message"]


def test_user_id_longer_than_personalize_allows_is_400(api: Api) -> None:
    status, body, _ = api.call("GET", "/users/" + "u" * 257 + "/recommendations")
    assert status == 400
    assert body["parameter"] == "userId"


# ---------------------------------------------------------------------------------------------------- 404
@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("GET", "/anime/99999", None),
        ("GET", "/anime/99999/similar", None),
        ("POST", "/users/42/rankings", {"animeIds": [1, 99999, 88888]}),
        ("POST", "/users/42/events", {"animeId": 99999, "eventType": "watch"}),
    ],
)
def test_unknown_anime_is_404_naming_it(api: Api, method: str, url: str, payload: Any) -> None:
    status, body, _ = api.call(method, url, payload)
    assert status == 404, body
    assert "99999" in body["message"]
    assert body["error"] == "NotFound"


def test_unknown_route_is_404_json(api: Api) -> None:
    status, body, _ = api.call("GET", "/users/42")
    assert status == 404
    assert body["message"] == "No route GET /users/42"


@pytest.mark.parametrize(
    ("method", "url", "allowed"), [("DELETE", "/anime/1", "GET"), ("GET", "/users/42/events", "POST")]
)
def test_a_known_path_with_another_method_is_405_with_allow(api: Api, method: str, url: str, allowed: str) -> None:
    status, body, headers = api.call(method, url)
    assert status == 405, body
    assert headers["Allow"] == allowed
    assert f"use {allowed}" in body["message"]


# ---------------------------------------------------------------------------------------------------- 503 / 500
@pytest.mark.parametrize(
    ("method", "url", "payload", "missing"),
    [
        ("GET", "/users/42/recommendations", None, "/unpublished/campaigns/user-personalization"),
        ("GET", "/anime/1/similar", None, "/unpublished/campaigns/sims"),
        ("POST", "/users/42/rankings", {"animeIds": [1]}, "/unpublished/campaigns/personalized-ranking"),
        ("POST", "/users/42/events", {"animeId": 1, "eventType": "watch"}, "/unpublished/tracking-id"),
    ],
)
def test_before_the_pipeline_publishes_a_campaign_the_api_says_503(
    unpublished: Api, method: str, url: str, payload: Any, missing: str
) -> None:
    status, body, headers = unpublished.call(method, url, payload)
    assert status == 503, body
    assert missing in body["message"]
    assert "not published" in body["message"]
    assert headers["Retry-After"] == "60"


ROUTES_AND_THEIR_PARAMETER = [
    ("GET", "/users/42/recommendations", None, "campaigns/user-personalization"),
    ("GET", "/users/42/recommendations?genre=Drama", None, "campaigns/user-personalization"),
    ("GET", "/anime/1/similar", None, "campaigns/sims"),
    ("POST", "/users/42/rankings", {"animeIds": [1]}, "campaigns/personalized-ranking"),
    ("POST", "/users/42/events", {"animeId": 1, "eventType": "watch"}, "tracking-id"),
    ("GET", "/anime/1", None, "catalog"),
]


def assert_not_ready(status: int, body: dict[str, Any], headers: dict[str, str], parameter: str) -> None:
    """503 "not ready" naming the parameter that still holds the stack's placeholder."""
    assert status == 503, body
    assert f"SSM parameter {parameter} still holds the stack's placeholder {PLACEHOLDER!r}" in body["message"]
    assert "not published" in body["message"]
    assert headers["Retry-After"] == "60"


@pytest.mark.parametrize(("method", "url", "payload", "parameter"), ROUTES_AND_THEIR_PARAMETER)
def test_before_the_first_pipeline_run_every_route_says_503_not_ready(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, method: str, url: str, payload: Any, parameter: str
) -> None:
    for api in make_api(backend, monkeypatch, "first-run"):
        status, body, headers = api.call(method, url, payload)
        assert_not_ready(status, body, headers, "/first-run/catalog")  # every route reads the catalog first


@pytest.mark.parametrize(("method", "url", "payload", "parameter"), ROUTES_AND_THEIR_PARAMETER)
def test_every_placeholder_parameter_a_route_reads_is_503_not_ready(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, method: str, url: str, payload: Any, parameter: str
) -> None:
    for api in make_api(backend, monkeypatch, "placeholders-but-catalog"):
        status, body, headers = api.call(method, url, payload)
        if parameter == "catalog":
            assert status == 200, body
        else:
            assert_not_ready(status, body, headers, f"/placeholders-but-catalog/{parameter}")


def test_without_a_catalog_the_api_says_503(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    for api in make_api(backend, monkeypatch, "nothing-published"):
        status, body, _ = api.call("GET", "/anime/1")
        assert status == 503
        assert "/nothing-published/catalog" in body["message"]


def test_missing_filters_parameter_is_503_only_when_a_filter_is_needed(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    for api in make_api(backend, monkeypatch, "no-filters"):
        status, body, _ = api.call("GET", "/users/42/recommendations?genre=Drama")
        assert status == 503
        assert "/no-filters/filters" in body["message"]
        api.runtime.add_response("get_recommendations", {"itemList": [], "recommendationId": "RID-6"})
        status, body, _ = api.call("GET", "/users/42/recommendations")
        assert status == 200


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ResourceNotFoundException", "Campaign not found"),
        ("InvalidInputException", "The campaign is not ACTIVE: CREATE IN_PROGRESS"),
    ],
)
def test_campaign_not_active_is_503(api: Api, code: str, message: str) -> None:
    api.runtime.add_client_error("get_recommendations", service_error_code=code, service_message=message)
    status, body, _ = api.call("GET", "/users/42/recommendations")
    assert status == 503
    assert "user-personalization campaign is not available yet" in body["message"]


@pytest.mark.parametrize("code", ["ThrottlingException", "TooManyRequestsException"])
def test_throttling_is_503_with_a_short_retry_after(api: Api, code: str) -> None:
    api.runtime.add_client_error("get_personalized_ranking", service_error_code=code, http_status_code=400)
    status, body, headers = api.call("POST", "/users/42/rankings", {"animeIds": [1, 5]})
    assert status == 503, body
    assert headers["Retry-After"] == "1"
    assert "throttling" in body["message"]


def test_throttled_put_events_is_503(api: Api) -> None:
    api.events.add_client_error("put_events", service_error_code="ThrottlingException", http_status_code=400)
    status, _, headers = api.call("POST", "/users/42/events", {"animeId": 1, "eventType": "watch"})
    assert status == 503
    assert headers["Retry-After"] == "1"


def test_a_request_personalize_refuses_is_a_logged_500_with_the_request_id(api: Api, logged: list[dict]) -> None:
    api.runtime.add_client_error(
        "get_recommendations", service_error_code="InvalidInputException", service_message="bad userId"
    )
    status, body, headers = api.call("GET", "/users/42/recommendations")
    assert status == 500, body
    assert "Retry-After" not in headers
    assert "bad userId" not in body["message"]
    errors = [line for line in logged if line["level"] == "ERROR"]
    assert [line["correlation_id"] for line in errors] == [body["requestId"]]
    assert "UpstreamRejectedError" in errors[0]["exception"]


def test_other_personalize_errors_are_503_without_leaking_the_boto3_error(api: Api) -> None:
    api.runtime.add_client_error(
        "get_recommendations", service_error_code="InternalFailure", service_message="secret", http_status_code=500
    )
    status, body, _ = api.call("GET", "/anime/1/similar")
    assert status == 503
    assert "secret" not in body["message"]
    assert "ResponseMetadata" not in json.dumps(body)


# ---------------------------------------------------------------------------------------------------- caching
def test_settings_and_catalog_are_cached_until_the_catalog_uri_changes(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = "cache-test"
    first = "s3://anime-recs-data/prepared/cache-1/catalog.json"
    publish(project, {f"/{PROJECT}/catalog": first})
    for api in make_api(backend, monkeypatch, project):
        assert api.call("GET", "/anime/1")[1]["title"] == "Cowboy Bebop"
        backend.s3.put_object(Bucket="anime-recs-data", Key="prepared/cache-1/catalog.json", Body=b"{}")
        assert api.call("GET", "/anime/1")[1]["title"] == "Cowboy Bebop", "catalog must come from the cache"
        renamed = {**CATALOG, "1": {**CATALOG["1"], "title": "Kaubōi Bibappu"}}
        second = "s3://anime-recs-data/prepared/cache-2/catalog.json"
        publish(project, {f"/{PROJECT}/catalog": second}, catalog=None)
        backend.s3.put_object(Bucket="anime-recs-data", Key="prepared/cache-2/catalog.json", Body=json.dumps(renamed))
        assert api.call("GET", "/anime/1")[1]["title"] == "Cowboy Bebop", "the SSM value is cached for max_age"
        service: RecommendationService = APP.recommendation_service()
        service.settings = PublishedSettings(SettingsConfig(project_name=project, max_age_seconds=0), backend.ssm)
        assert api.call("GET", "/anime/1")[1]["title"] == "Kaubōi Bibappu"


# ---------------------------------------------------------------------------------------------------- API surface
def test_openapi_schema_documents_every_route_and_swagger_ui_is_served(api: Api) -> None:
    response = api.client.get("/swagger?format=json")
    spec = json.loads(response.get_data(as_text=True))
    assert set(spec["paths"]) == {
        "/",
        "/users/{userId}/recommendations",
        "/anime/{animeId}/similar",
        "/users/{userId}/rankings",
        "/users/{userId}/events",
        "/anime/{animeId}",
    }
    parameters = {p["name"] for p in spec["paths"]["/users/{userId}/recommendations"]["get"]["parameters"]}
    assert parameters == {"userId", "genre", "studio", "yearFrom", "yearTo", "excludeWatched", "numResults"}
    html = api.client.get("/swagger")
    assert html.status_code == 200
    assert "swagger-ui" in html.get_data(as_text=True).lower()


def test_each_operation_declares_exactly_the_statuses_it_returns(api: Api) -> None:
    spec = json.loads(api.client.get("/swagger?format=json").get_data(as_text=True))
    declared = {
        f"{method.upper()} {path}": set(operation["responses"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert declared == {
        "GET /": {"200", "500"},
        "GET /users/{userId}/recommendations": {"200", "400", "401", "403", "500", "503"},
        "GET /anime/{animeId}/similar": {"200", "400", "401", "404", "500", "503"},
        "POST /users/{userId}/rankings": {"200", "400", "401", "403", "404", "415", "500", "503"},
        "POST /users/{userId}/events": {"202", "400", "401", "403", "404", "415", "500", "503"},
        "GET /anime/{animeId}": {"200", "400", "401", "404", "500", "503"},
    }
    assert "HTTPValidationError" not in json.dumps(spec)
    error_schema = spec["components"]["schemas"]["ErrorBody"]
    assert set(error_schema["properties"]) == {"statusCode", "error", "message", "parameter", "requestId"}


def test_the_template_routes_every_documented_operation_to_the_function(api: Api) -> None:
    """API Gateway only forwards declared routes: one missing from the template is a bare 404 from API Gateway."""
    spec = json.loads(api.client.get("/swagger?format=json").get_data(as_text=True))
    documented = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item}
    routed = {
        route_key
        for api_id, function, route_key in declared_routes(load_template(REPO / "template.yaml"))
        if function == "RecommendationsApiFunction"
    }
    assert routed == documented | {"GET /swagger"}


def test_swagger_try_it_out_targets_the_api_it_was_served_from(api: Api) -> None:
    """A relative server URL: resolved against the Swagger page, it keeps any stage or custom-domain prefix."""
    spec = json.loads(api.client.get("/swagger?format=json").get_data(as_text=True))
    assert [server["url"] for server in spec["servers"]] == ["."]
    page = api.client.get("/swagger").get_data(as_text=True)
    assert '"url": "."' in page


def test_the_root_is_a_json_index_linking_the_documentation(api: Api) -> None:
    status, body, headers = api.call("GET", "/")
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    assert body["documentation"] == {"swaggerUi": "swagger", "openApi": "swagger?format=json"}
    assert "POST /users/{userId}/events" in body["routes"]
    assert api.client.get(urljoin("http://localhost/", body["documentation"]["openApi"])).status_code == 200


def test_cors_preflight_is_answered(api: Api) -> None:
    response = api.client.options(
        "/users/42/rankings", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("event_file", sorted((REPO / "events").glob("api-*.json")), ids=lambda path: path.name)
def test_sample_events_run_through_the_lambda_handler(api: Api, event_file: Path) -> None:
    event = json.loads(event_file.read_text())
    if "recommendations" in event["rawPath"] or "similar" in event["rawPath"]:
        api.runtime.add_response("get_recommendations", {"itemList": [{"itemId": "6"}], "recommendationId": "R"})
    elif "rankings" in event["rawPath"]:
        ranked = [{"itemId": str(anime_id)} for anime_id in json.loads(event["body"])["animeIds"]]
        api.runtime.add_response("get_personalized_ranking", {"personalizedRanking": ranked, "recommendationId": "R"})
    elif "events" in event["rawPath"]:
        api.events.add_response("put_events", {})
    result = invoke(event)
    assert result["statusCode"] in (200, 202), result["body"]
    assert "ResponseMetadata" not in result["body"]


def test_the_local_adapter_builds_http_api_v2_events() -> None:
    request = EnvironBuilder(path="/users/7/recommendations", query_string="genre=A&genre=B&numResults=3").get_request()
    event = http_api_event(request)
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/users/7/recommendations"
    assert event["queryStringParameters"] == {"genre": "A,B", "numResults": "3"}
    assert event["requestContext"]["http"]["method"] == "GET"
