"""The API is not open: the per-user check in the handler, and `make serve`'s local JWT verification."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from werkzeug.test import Client, EnvironBuilder

from anime_recommender.recommendations_api.authorization import (
    AccessDeniedError,
    TrustPolicy,
    check_user_access,
    is_trusted_service,
)
from offline.local_auth import LocalAuth
from offline.serve_api import http_api_event, load_handler, local_context, wsgi_app

REPO = Path(__file__).resolve().parents[2]
HANDLER = load_handler()


BODIES = {"rankings": {"animeIds": [1, 2]}, "events": {"animeId": 1, "eventType": "watch"}}


def event_with_claims(path: str, claims: dict[str, Any] | None, method: str = "GET") -> dict[str, Any]:
    body = BODIES.get(path.rsplit("/", 1)[-1]) if method == "POST" else None
    builder = EnvironBuilder(path=path, method=method, json=body) if body else EnvironBuilder(path=path, method=method)
    event = http_api_event(builder.get_request())
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


def status_and_body(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = HANDLER(event, local_context())
    return result["statusCode"], json.loads(result["body"])


# ---------------------------------------------------------------------------------------------------- handler
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/users/7/recommendations"), ("POST", "/users/7/rankings"), ("POST", "/users/7/events")],
)
def test_user_routes_without_claims_are_401(method: str, path: str) -> None:
    status, body = status_and_body(event_with_claims(path, None, method))
    assert status == 401
    assert body["error"] == "Unauthorized"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/users/7/recommendations"), ("POST", "/users/7/rankings"), ("POST", "/users/7/events")],
)
def test_another_users_data_is_403(method: str, path: str) -> None:
    status, body = status_and_body(event_with_claims(path, {"sub": "8", "scope": "openid"}, method))
    assert status == 403
    assert body["error"] == "Forbidden"


def test_the_sample_events_carry_the_claims_of_their_own_user() -> None:
    for path in sorted((REPO / "events").glob("api-users-*.json")) + sorted((REPO / "events").glob("api-user-*.json")):
        event = json.loads(path.read_text())
        user = event["rawPath"].split("/")[2]
        assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == user, path.name


def test_own_user_and_trusted_services_pass_the_check() -> None:
    policy = TrustPolicy(scope="anime-recs/service", group="recommender-services")
    check_user_access(event_with_claims("/users/7/events", {"sub": "7"}), "7", policy)
    check_user_access(event_with_claims("/", {"sub": "svc", "scope": "openid anime-recs/service"}), "7", policy)
    check_user_access(
        event_with_claims("/", {"sub": "svc", "cognito:groups": "[admins recommender-services]"}), "7", policy
    )
    check_user_access(event_with_claims("/", {"sub": "svc", "cognito:groups": ["recommender-services"]}), "7", policy)


def test_a_lookalike_scope_or_group_is_not_trusted() -> None:
    policy = TrustPolicy(scope="anime-recs/service", group="recommender-services")
    assert not is_trusted_service({"scope": "anime-recs/service-reader"}, policy)
    assert not is_trusted_service({"cognito:groups": "[recommender-services-old]"}, policy)
    with pytest.raises(AccessDeniedError) as denied:
        check_user_access(event_with_claims("/", {"sub": "70"}), "7", policy)
    assert denied.value.status == 403


def test_anime_routes_need_no_user_match() -> None:
    status, body = status_and_body(event_with_claims("/anime/0", {"sub": "8"}))
    assert status == 400 and body["parameter"] == "animeId"  # validation, not authorization, answered


# ---------------------------------------------------------------------------------------------------- make serve
class Recorder:
    """A stand-in handler that records the events that reach it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


@pytest.fixture
def served() -> tuple[Client, LocalAuth, Recorder]:
    auth, handler = LocalAuth(), Recorder()
    return Client(wsgi_app(handler, auth)), auth, handler


def test_serve_refuses_requests_without_a_token(served: tuple[Client, LocalAuth, Recorder]) -> None:
    client, _, handler = served
    response = client.get("/users/1/recommendations")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert handler.events == []


def test_serve_refuses_a_wrong_audience_a_foreign_key_and_an_expired_token(
    served: tuple[Client, LocalAuth, Recorder],
) -> None:
    client, auth, handler = served
    expired = jwt.encode(
        {"iss": auth.issuer, "aud": auth.audience, "sub": "1", "exp": int(time.time()) - 60}, auth.key, "HS256"
    )
    for token in (auth.issue("1", audience="another-app"), LocalAuth().issue("1"), expired, "not-a-jwt"):
        response = client.get("/users/1/recommendations", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
    assert handler.events == []


def test_serve_passes_the_verified_claims_where_api_gateway_puts_them(
    served: tuple[Client, LocalAuth, Recorder],
) -> None:
    client, auth, handler = served
    response = client.get("/users/1/recommendations", headers={"Authorization": f"Bearer {auth.issue('1')}"})
    assert response.status_code == 200
    [event] = handler.events
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "1"


def test_serve_keeps_swagger_open(served: tuple[Client, LocalAuth, Recorder]) -> None:
    client, _, handler = served
    assert client.get("/swagger").status_code == 200 and len(handler.events) == 1


def test_serve_with_the_real_handler_refuses_another_users_token() -> None:
    auth = LocalAuth()
    client = Client(wsgi_app(HANDLER, auth))
    response = client.get("/users/2/recommendations", headers={"Authorization": f"Bearer {auth.issue('1')}"})
    assert response.status_code == 403


def test_the_local_cloud_switch_turns_the_user_check_off_and_nothing_else_does(monkeypatch: pytest.MonkeyPatch) -> None:
    event = event_with_claims("/users/7/recommendations", None)
    monkeypatch.setenv("USER_CHECK", "local-unenforced")
    check_user_access(event, "7")
    for value in ("", "enforced", "LOCAL-UNENFORCED", "off"):
        monkeypatch.setenv("USER_CHECK", value)
        with pytest.raises(AccessDeniedError):
            check_user_access(event, "7")
