"""`make serve` end to end over real HTTP: the demo's files on disk → serve_api's backend (moto seeded from them,
Personalize Local restarted on the saved state) → the werkzeug server on a free 127.0.0.1 port → urllib."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from moto import mock_aws

from offline.serve_api import DemoState, demo_backend, main, running_server
from personalize_local import local_personalize
from tests.support.anime_deployment import PROJECT, AnimeDeployment, deploy_anime_recommender
from tests.support.api_auth import TEST_AUTH, bearer
from tests.support.api_requests import api_app, api_handler


def make_demo_output(tmp_path: Path) -> tuple[DemoState, AnimeDeployment]:
    """What `make demo` leaves behind: Personalize Local state plus demo-output/{ssm-parameters,catalog}.json."""
    state = DemoState(
        state_dir=tmp_path / ".personalize-local",
        ssm_parameters_file=tmp_path / "demo-output" / "ssm-parameters.json",
        catalog_file=tmp_path / "demo-output" / "catalog.json",
    )
    with mock_aws(), local_personalize(data_dir=state.state_dir):
        deployment = deploy_anime_recommender(PROJECT)
    state.ssm_parameters_file.parent.mkdir()
    state.ssm_parameters_file.write_text(json.dumps(deployment.parameters))
    state.catalog_file.write_text(json.dumps(deployment.catalog))
    return state, deployment


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AnimeDeployment]]:
    """The demo's files, then serve_api's backend and server on them; the handler starts cold on that backend."""
    environment = {"AWS_DEFAULT_REGION": "us-east-1", "PROJECT_NAME": PROJECT, "POWERTOOLS_TRACE_DISABLED": "true"}
    with mock.patch.dict(os.environ, environment):
        state, deployment = make_demo_output(tmp_path_factory.mktemp("demo"))
        handler = api_handler()
        service_factory = api_app().recommendation_service
        service_factory.cache_clear()
        try:
            with demo_backend(state, PROJECT), running_server(handler, port=0, auth=TEST_AUTH) as server:
                service_factory()  # the cold start happens here, while the backend's endpoints are set
                yield f"http://127.0.0.1:{server.server_port}", deployment
        finally:
            service_factory.cache_clear()


def call(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed body) of a real HTTP request (default: with a trusted service's token)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(bearer(token) if token else bearer())}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, payload = error.code, dict(error.headers), error.read()
    text = payload.decode()
    return status, headers, json.loads(text) if headers.get("Content-Type", "").startswith("application/json") else text


def test_every_route_over_http_against_the_saved_demo_state(base_url: tuple[str, AnimeDeployment]) -> None:
    base, deployment = base_url
    status, _, body = call(f"{base}/users/u000/recommendations?genre=Drama&numResults=5")
    assert status == 200, body
    assert [item["genres"] for item in body["items"]] == [["Drama"]] * 5
    assert all(item["title"] == deployment.catalog[str(item["id"])]["title"] for item in body["items"])

    status, _, body = call(f"{base}/anime/1/similar?numResults=3")
    assert status == 200, body
    assert len(body["items"]) == 3

    status, _, body = call(f"{base}/users/u000/rankings", {"animeIds": [1, 2, 3]})
    assert status == 200, body
    assert sorted(item["id"] for item in body["items"]) == [1, 2, 3]

    status, _, body = call(f"{base}/users/u000/events", {"animeId": 2, "eventType": "rating", "eventValue": 0})
    assert status == 202, body
    assert body["eventValue"] == 0

    status, _, body = call(f"{base}/anime/2")
    assert status == 200
    assert body["title"] == "Anime 2"

    status, _, body = call(f"{base}/anime/99999")
    assert status == 404
    status, _, body = call(f"{base}/users/u000/recommendations?numResults=101")
    assert status == 400
    assert body["parameter"] == "numResults"


def test_over_http_a_user_token_reads_its_own_user_only(base_url: tuple[str, AnimeDeployment]) -> None:
    base, _ = base_url
    own = TEST_AUTH.issue("u000")
    status, _, body = call(f"{base}/users/u000/recommendations?numResults=3", token=own)
    assert status == 200, body
    status, _, body = call(f"{base}/users/u001/recommendations?numResults=3", token=own)
    assert status == 403, body
    status, _, body = call(f"{base}/users/u000/events", {"animeId": 2, "eventType": "rating"}, token=own)
    assert status == 202, body
    anonymous = urllib.request.Request(f"{base}/users/u000/recommendations")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(anonymous, timeout=30)
    assert refused.value.code == 401
    status, _, _ = call(f"{base}/users/u000/recommendations", token=TEST_AUTH.issue("u000", audience="other-app"))
    assert status == 401


def test_swagger_ui_and_schema_are_served(base_url: tuple[str, AnimeDeployment]) -> None:
    base, _ = base_url
    status, headers, page = call(f"{base}/swagger")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page
    status, _, schema = call(f"{base}/swagger?format=json")
    assert status == 200
    assert "/users/{userId}/recommendations" in schema["paths"]


def test_without_a_demo_serve_says_to_run_make_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["--state-dir", str(tmp_path / "none"), "--demo-output", str(tmp_path / "none")])
    assert exit_code == 2
    error = capsys.readouterr().err
    assert "run `make demo` first" in error
    assert error.count("\n") == 1
