"""Hostile input at the REST API, on campaigns trained by Personalize Local (moto SSM/S3), through the real handler
behind `make serve`'s HTTP adapter.

Regression tests for each defect an adversary found, then Hypothesis properties: path ids (the API accepts exactly
the ids the event stream accepts, decoded once from a percent-encoded path), JSON bodies (any shape, nesting, huge
numbers, NaN/Infinity) and content types; and Schemathesis fuzzing from the API's own OpenAPI document (every
operation: no 5xx, only declared statuses, bodies that match the declared schemas). One trained deployment serves
them all.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from werkzeug.test import Client

from anime_recommender.forward_events.record import WatchEvent
from anime_recommender.recommendations_api.request_input import MAX_BODY_DEPTH
from offline.serve_api import wsgi_app
from tests.component import test_recommendations_api_personalize as on_personalize_local
from tests.support.anime_deployment import Live, live_service
from tests.support.api_requests import api_app, api_client, api_handler, invoke
from tests.support.fuzzing import fuzz_settings

APP = api_app()
live = on_personalize_local.live
"""The trained deployment (a module-scoped fixture: this module trains its own)."""
EVENTS = Path(__file__).resolve().parents[2] / "events"
KNOWN_ANIME = 1
SERVER_ERRORS = range(500, 600)


@dataclass
class Api:
    """The API on the live campaigns, and the user ids its PutEvents calls sent."""

    client: Client
    sent_user_ids: list[str] = field(default_factory=list)

    def call(
        self, method: str, url: str, data: str | bytes | None = None, content_type: str | None = "application/json"
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, headers) of one request; ``content_type=None`` sends no Content-Type."""
        headers = {"Content-Type": content_type} if content_type is not None else {}
        response = self.client.open(url, method=method, data=data, headers=headers)
        return response.status_code, json.loads(response.get_data(as_text=True)), dict(response.headers)

    def post_event(self, encoded_user: str, body: str, content_type: str | None = "application/json") -> Any:
        """POST /users/{encoded_user}/events with a raw body."""
        return self.call("POST", f"/users/{encoded_user}/events", body, content_type)


@pytest.fixture
def api(live: Live, monkeypatch: pytest.MonkeyPatch) -> Api:
    events = boto3.client("personalize-events", endpoint_url=live.endpoint_url)
    result = Api(api_client())

    def record(params: dict[str, Any], **_: Any) -> None:
        result.sent_user_ids.append(params["userId"])

    events.meta.events.register("provide-client-params.personalize-events.PutEvents", record)
    service = live_service(live, events_client=events)
    monkeypatch.setattr(APP, "recommendation_service", lambda: service)
    return result


def event_body(**fields: Any) -> str:
    """A JSON body for POST /users/{userId}/events (NaN and Infinity written as Python's json writes them)."""
    return json.dumps({"animeId": KNOWN_ANIME, "eventType": "watch", **fields})


def stream_user_id(text: str) -> str | None:
    """The user id the event stream makes of ``text`` (its own model), or None if the stream rejects it."""
    try:
        return WatchEvent.model_validate({"userId": text, "itemId": "1", "eventType": "watch"}).userId
    except ValidationError:
        return None


def assert_names(body: dict[str, Any], status: int, parameter: str) -> None:
    """A classified client error: the status, the parameter it names, and the message mentioning it."""
    assert body["statusCode"] == status, body
    assert body["parameter"] == parameter, body
    assert body["requestId"], body


# ---------------------------------------------------------------------------------------------------- defects
@pytest.mark.parametrize("route", ["events", "rankings"])
@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 900, 100_000])
def test_deeply_nested_json_is_400_body(api: Api, route: str, depth: int) -> None:
    status, body, _ = api.call("POST", f"/users/u000/{route}", "[" * depth + "]" * depth)
    assert status == 400, body
    assert_names(body, 400, "body")
    assert f"deeper than {MAX_BODY_DEPTH} levels" in body["message"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_a_body_that_is_not_sent_as_json_is_415_naming_the_content_type(api: Api, content_type: str | None) -> None:
    status, body, _ = api.post_event("u000", event_body(), content_type)
    assert status == 415, body
    assert_names(body, 415, "Content-Type")
    assert "application/json" in body["message"]
    assert api.sent_user_ids == []


def test_a_form_body_that_would_validate_is_still_415(api: Api) -> None:
    status, body, _ = api.call("POST", "/users/u000/rankings", "animeIds=1", "application/x-www-form-urlencoded")
    assert status == 415, body


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_parameters_or_other_letter_case_is_accepted(api: Api, content_type: str) -> None:
    status, body, _ = api.post_event("u000", event_body(), content_type)
    assert status == 202, body


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e309", "-1e309"])
def test_event_value_that_is_not_a_finite_number_is_400_not_503(api: Api, value: str) -> None:
    status, body, headers = api.post_event("u000", event_body()[:-1] + f', "eventValue": {value}}}')
    assert status == 400, body
    assert_names(body, 400, "eventValue")
    assert "Retry-After" not in headers
    assert api.sent_user_ids == []


@pytest.mark.parametrize("ids", [["1e309"], ["NaN"], [1, "Infinity"]])
def test_anime_ids_that_are_not_finite_integers_are_400(api: Api, ids: list[Any]) -> None:
    text = '{"animeIds": [' + ", ".join(str(value) for value in ids) + "]}"
    status, body, _ = api.call("POST", "/users/u000/rankings", text)
    assert status == 400, body
    assert_names(body, 400, "animeIds")


def test_an_integer_too_long_for_python_is_400_body(api: Api) -> None:
    status, body, _ = api.post_event("u000", '{"animeId": ' + "7" * 5000 + ', "eventType": "watch"}')
    assert status == 400, body
    assert_names(body, 400, "body")


@pytest.mark.parametrize("user_id", ["a#b", "what?", 'say "hi"', "😀", "nul\x00", "a/b", "100%", "%2F", "é ü"])
def test_ids_the_stream_accepts_reach_personalize_through_a_percent_encoded_path(api: Api, user_id: str) -> None:
    encoded = quote(user_id, safe="")
    status, body, _ = api.post_event(encoded, event_body())
    assert status == 202, body
    assert body["userId"] == user_id
    assert api.sent_user_ids == [user_id]
    status, body, _ = api.call("GET", f"/users/{encoded}/recommendations?numResults=2")
    assert status == 200, body


def test_a_path_id_is_decoded_exactly_once(api: Api) -> None:
    status, body, _ = api.post_event("a%252Fb", event_body())
    assert status == 202, body
    assert api.sent_user_ids == ["a%2Fb"]


@pytest.mark.parametrize(
    ("encoded", "words"), [("%FF", "not UTF-8"), ("%20%20", "at least 1 character"), ("u" * 257, "at most 256")]
)
def test_path_ids_the_stream_rejects_are_400_naming_user_id(api: Api, encoded: str, words: str) -> None:
    status, body, _ = api.call("GET", f"/users/{encoded}/recommendations")
    assert status == 400, body
    assert_names(body, 400, "userId")
    assert words in body["message"]


def test_a_deployed_route_event_with_decoded_path_keeps_the_id_api_gateway_decoded(api: Api) -> None:
    """As API Gateway sends it: an explicit route, ``pathParameters`` decoded once, ``rawPath`` decoded too."""
    user_id = 'he said "?" 😀'
    path = f"/users/{user_id}/events"
    event = json.loads((EVENTS / "api-user-event.json").read_text())
    event.update(rawPath=path, pathParameters={"userId": user_id}, routeKey="POST /users/{userId}/events")
    event["requestContext"].update(routeKey=event["routeKey"], http={**event["requestContext"]["http"], "path": path})
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = user_id  # the user's own token
    event["body"] = event_body()
    result = invoke(event)
    assert result["statusCode"] == 202, result
    assert json.loads(result["body"])["userId"] == user_id
    assert api.sent_user_ids == [user_id]


def test_a_body_that_is_not_utf8_is_400_body(api: Api) -> None:
    event = json.loads((EVENTS / "api-user-event.json").read_text())
    event.update(body=base64.b64encode(b'{"animeId": 1, "eventType": "\xff"}').decode(), isBase64Encoded=True)
    result = invoke(event)
    assert result["statusCode"] == 400, result
    assert_names(json.loads(result["body"]), 400, "body")


def test_an_event_the_router_cannot_read_is_a_500_with_the_request_id(api: Api) -> None:
    result = invoke({"version": "2.0", "rawPath": "/"})
    assert result["statusCode"] == 500
    body = json.loads(result["body"])
    assert body["requestId"]
    assert "Internal error" in body["message"]


# ---------------------------------------------------------------------------------------------------- properties
ID_CHARACTERS = st.one_of(st.characters(codec="utf-8"), st.sampled_from('#?"/%\\\x00 \t\n+&=;😀'))


@pytest.mark.fuzz
@fuzz_settings(max_examples=40)
@given(text=st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=300))
def test_the_api_accepts_exactly_the_user_ids_the_stream_accepts(api: Api, text: str) -> None:
    expected = stream_user_id(text)
    api.sent_user_ids.clear()
    status, body, _ = api.post_event(quote(text, safe=""), event_body())
    if expected is None:
        assert status == 400, body
        assert_names(body, 400, "userId")
        assert api.sent_user_ids == []
    else:
        assert status == 202, body
        assert body["userId"] == expected
        assert api.sent_user_ids == [expected]


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
EVENT_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "animeId": st.one_of(st.just(KNOWN_ANIME), JSON_VALUES),
        "eventType": st.one_of(st.just("watch"), JSON_VALUES),
        "eventValue": JSON_VALUES,
        "sessionId": JSON_VALUES,
        "recommendationId": JSON_VALUES,
    },
)
NESTED = st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "1" + "]" * depth)


@pytest.mark.fuzz
@fuzz_settings(max_examples=60)
@given(
    route=st.sampled_from(["events", "rankings"]),
    text=st.one_of(JSON_VALUES.map(json.dumps), EVENT_LIKE.map(json.dumps), NESTED, st.text(max_size=50)),
)
def test_any_json_body_is_answered_without_a_server_error(api: Api, route: str, text: str) -> None:
    status, body, _ = api.call("POST", f"/users/u000/{route}", text)
    assert status not in SERVER_ERRORS, (text, body)
    if status == 400:
        assert body["parameter"], body
        assert body["parameter"] in body["message"] or body["parameter"] == "body", body


MEDIA_TYPE = r"([a-zA-Z]{1,12}/[a-zA-Z+.-]{1,16}|application/json)(; ?[a-z]+=[a-z0-9-]+)?"


@pytest.mark.fuzz
@fuzz_settings(max_examples=30)
@given(
    content_type=st.one_of(
        st.none(), st.from_regex(r"[a-z]{1,12}/[a-z+.-]{1,16}(; ?[a-z]+=[a-z0-9-]+)?", fullmatch=True)
    )
)
def test_any_content_type_but_json_is_415(api: Api, content_type: str | None) -> None:
    status, body, _ = api.post_event("u000", event_body(), content_type)
    if content_type is not None and content_type.split(";")[0].strip().lower() == "application/json":
        assert status == 202, body
    else:
        assert status == 415, (content_type, body)
        assert_names(body, 415, "Content-Type")


# ---------------------------------------------------------------------------------------------------- schemathesis
SCHEMA = schemathesis.openapi.from_wsgi("/swagger?format=json", wsgi_app(api_handler()))
"""The API's own OpenAPI document, as /swagger serves it (loaded once; no backend is needed to serve it)."""


BUSINESS_RULES_BEYOND_THE_SCHEMA = [schemathesis.checks.positive_data_acceptance]
"""Schema-valid requests the API rightly refuses with a 400 naming the parameter: unknown genres and studios,
yearFrom after yearTo, duplicate animeIds. Every other built-in check runs (no 5xx, declared statuses, content
types and bodies, schema-invalid input rejected with 4xx, 405 for undeclared methods, ...)."""


@pytest.mark.fuzz
@SCHEMA.parametrize()
@fuzz_settings(max_examples=25)
def test_every_operation_conforms_to_its_openapi_document(case: schemathesis.Case, api: Api) -> None:
    case.call_and_validate(base_url="http://localhost", excluded_checks=BUSINESS_RULES_BEYOND_THE_SCHEMA)
