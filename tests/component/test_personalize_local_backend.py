"""Personalize Local: the backend's lifecycle (asynchronous statuses, restart), quotas, pagination and routing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.test import Client

from personalize_local.exceptions import (
    InvalidInputException,
    InvalidNextTokenException,
    LimitExceededException,
    ResourceInUseException,
    ValidationException,
)
from personalize_local.models import BackendConfig, PersonalizeBackend
from personalize_local.server import PersonalizeApp
from testing.polling import wait_until
from tests.support.unimplemented import unimplemented_control_operation
from tests.support.wire_api import WireApi


def _backend(path: Path, delay: float, **extra: object) -> WireApi:
    backend = WireApi(PersonalizeBackend(BackendConfig(data_dir=path, step_delay=delay, **extra)))  # type: ignore[arg-type]
    backend.start()
    return backend


def _poll(backend: WireApi, arn: str, status: str, timeout: float = 10.0) -> None:
    wait_until(
        lambda: backend.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == status,
        timeout=timeout,
        interval=0.01,
        max_interval=0.01,
        message=f"{arn} never reached {status}",
    )


def test_creates_are_asynchronous_and_resume_after_a_restart(tmp_path: Path) -> None:
    slow = _backend(tmp_path, delay=30.0)
    arn = slow.create_dataset_group(name="g1")["datasetGroupArn"]
    assert slow.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "CREATE PENDING"
    with pytest.raises(ResourceInUseException, match="not ACTIVE"):
        slow.create_event_tracker(name="t", datasetGroupArn=arn)
    slow.shutdown()  # stops mid-way: the group is still pending on disk

    # a short pause between transitions: the second delete must come while the first is still under way
    fast = _backend(tmp_path, delay=0.5)
    try:
        _poll(fast, arn, "ACTIVE")
        fast.delete_dataset_group(datasetGroupArn=arn)
        with pytest.raises(ResourceInUseException, match="already being deleted"):
            fast.delete_dataset_group(datasetGroupArn=arn)
    finally:
        fast.shutdown()


def test_dataset_group_quota_and_pagination(tmp_path: Path) -> None:
    backend = _backend(tmp_path, delay=0.0, max_dataset_groups=3)
    try:
        for n in range(3):
            backend.create_dataset_group(name=f"g{n}")
        with pytest.raises(LimitExceededException):
            backend.create_dataset_group(name="g3")
        first = backend.list_dataset_groups(maxResults=2)
        second = backend.list_dataset_groups(maxResults=2, nextToken=first["nextToken"])
        names = [g["name"] for g in first["datasetGroups"] + second["datasetGroups"]]
        assert names == ["g2", "g1", "g0"] and "nextToken" not in second
        with pytest.raises(InvalidNextTokenException):
            backend.list_dataset_groups(nextToken="bm9wZQ==")
        with pytest.raises(ValidationException, match="maxResults"):  # ListDatasetGroups models no InvalidInput
            backend.list_dataset_groups(maxResults=0)
        with pytest.raises(InvalidInputException, match="roleArn"):
            backend.create_dataset_group(name="keyless", roleArn="arn:aws:iam::1:role/r")
    finally:
        backend.shutdown()


def _json(response: object) -> dict:
    return json.loads(response.get_data())  # type: ignore[attr-defined]


def test_wire_routing_and_errors(tmp_path: Path) -> None:
    backend = _backend(tmp_path, delay=0.0)
    client = Client(PersonalizeApp(backend.backend))
    try:
        target = {"X-Amz-Target": "AmazonPersonalize.CreateDatasetGroup"}
        response = client.post("/", data="{not json", headers=target)
        assert response.status_code == 400 and _json(response)["__type"] == "SerializationException"
        response = client.post("/", data="{}", headers=target)
        assert response.status_code == 400 and "name" in _json(response)["message"]
        response = client.post("/", data='{"name": "g", "extra": 1}', headers=target)
        assert response.status_code == 400 and "extra" in _json(response)["message"]
        response = client.post("/", data='{"name": "g"}', headers=target)
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/x-amz-json-1.1"
        assert _json(response) == {"datasetGroupArn": "arn:aws:personalize:us-east-1:123456789012:dataset-group/g"}
        assert client.post("/", data="{}").status_code == 400  # no X-Amz-Target
        unimplemented = unimplemented_control_operation()
        response = client.post("/", data="{}", headers={"X-Amz-Target": f"AmazonPersonalize.{unimplemented}"})
        assert _json(response)["__type"] == "UnknownOperationException"
        response = client.post(
            "/recommendations", data=json.dumps({"campaignArn": "arn:aws:personalize:x:1:campaign/c"})
        )
        assert response.status_code == 404 and _json(response)["__type"] == "ResourceNotFoundException"
        assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
        assert client.get("/nowhere").status_code == 404
        assert _json(client.get("/ping")) == {"status": "ok"}
    finally:
        backend.shutdown()


def test_exploration_config_parsing() -> None:
    from personalize_local.models.deployments import exploration_config
    from personalize_local.recipes.base import ExplorationConfig

    assert exploration_config(None) == ExplorationConfig(weight=0.3, item_age_cutoff_days=30.0)
    config = {"item_exploration_config": {"explorationWeight": "0.1", "explorationItemAgeCutOff": "7"}}
    assert exploration_config(config) == ExplorationConfig(weight=0.1, item_age_cutoff_days=7.0)
    for bad in ({"explorationWeight": "-1"}, {"explorationItemAgeCutOff": "0"}, {"explorationWeight": "x"}, {"w": "1"}):
        with pytest.raises(InvalidInputException):
            exploration_config({"item_exploration_config": bad})


def test_a_store_of_another_format_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    import sqlite3

    from personalize_local.store import MetadataStore, StoreFormatError

    MetadataStore(tmp_path / "new.sqlite3").close()  # a new store is stamped and opens again
    MetadataStore(tmp_path / "new.sqlite3").close()
    old = MetadataStore(tmp_path / "old.sqlite3")
    old.close()
    with sqlite3.connect(tmp_path / "old.sqlite3") as conn:  # what an older version left: documents, no stamp
        conn.execute("PRAGMA user_version = 0")
        conn.execute(
            "INSERT INTO resources VALUES ('arn:aws:personalize:us-east-1:1:schema/s', 'schema', 's', NULL, 1, "
            "'{\"schemaArn\": \"x\"}', '{}')"
        )
    with pytest.raises(StoreFormatError, match="delete the data directory"):
        MetadataStore(tmp_path / "old.sqlite3")
