"""Personalize Local under hostile input: malformed bodies, broken framing, idle connections, crashes mid-import.

Every request gets a modelled JSON error (never a bare 500), the server stays up, and no job leaves stray files or
doubled rows behind.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from personalize_local import LocalPersonalize, local_personalize
from personalize_local.datafiles import DataFiles
from personalize_local.models import BackendConfig, PersonalizeBackend
from personalize_local.server import MAX_BODY_BYTES, PersonalizeApp, PersonalizeServer
from testing.personalize_setup import infer_schema, wait_active
from testing.polling import wait_until
from tests.support.fake_aws import use_fake_credentials
from tests.support.wire_api import WireApi

TARGET = "AmazonPersonalize.ListDatasetGroups"
JSON_11 = "application/x-amz-json-1.1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPersonalize]:
    """One server for the module's wire tests."""
    with local_personalize(tmp_path_factory.mktemp("hostile"), set_environment=False) as pl:
        yield pl


def _post(pl: LocalPersonalize, body: bytes, path: str = "/", target: str | None = TARGET) -> tuple[int, dict]:
    host, port = pl.endpoint_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": JSON_11 if path == "/" else "application/json"}
    if target:
        headers["X-Amz-Target"] = target
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _raw(pl: LocalPersonalize, request: bytes) -> bytes:
    """Send raw bytes on one connection and read until the server closes it."""
    host, port = pl.endpoint_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _assert_alive(pl: LocalPersonalize) -> None:
    status, body = _post(pl, b"{}")
    assert status == 200 and body == {"datasetGroups": []}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": "\xff\xfe"}', "not valid UTF-8"),
        (b"[" * 200_000 + b"]" * 200_000, "too deeply"),
        (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "too deeply"),
        (b'{"maxResults": NaN}', "NaN is not a JSON value"),
        (b'{"maxResults": 5', "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/recommendations"])
def test_malformed_bodies_are_serialization_exceptions(
    server: LocalPersonalize, body: bytes, message: str, path: str
) -> None:
    status, error = _post(server, body, path=path, target=TARGET if path == "/" else None)
    assert (status, error["__type"]) == (400, "SerializationException")
    assert message in error["message"]
    _assert_alive(server)


def test_broken_chunked_encoding_is_a_serialization_exception(server: LocalPersonalize) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + TARGET.encode() + b"\r\n"
        b"Content-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"zz-not-a-length\r\n{}\r\n0\r\n\r\n"
    )
    head, _, body = _raw(server, request).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["__type"] == "SerializationException"
    _assert_alive(server)


def test_an_oversized_body_is_refused_before_it_is_read_whole(server: LocalPersonalize) -> None:
    status, error = _post(server, b" " * (MAX_BODY_BYTES + 1))
    assert (status, error["__type"]) == (400, "SerializationException")
    assert f"larger than {MAX_BODY_BYTES} bytes" in error["message"]
    _assert_alive(server)


def test_a_missing_target_is_an_unknown_operation(server: LocalPersonalize) -> None:
    status, error = _post(server, b"{}", target=None)
    assert (status, error["__type"]) == (400, "UnknownOperationException")


def test_an_unexpected_error_is_an_internal_failure_in_json(
    server: LocalPersonalize, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: PersonalizeApp, request: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(PersonalizeApp, "dispatch", broken)
    status, error = _post(server, b"{}")
    assert (status, error) == (500, {"__type": "InternalFailure", "message": "RuntimeError: a bug"})


def test_idle_connections_are_closed_after_the_request_timeout(tmp_path: Path) -> None:
    server = PersonalizeServer(BackendConfig(data_dir=tmp_path), request_timeout=0.2, blas_threads=None)
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as idle:
            idle.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # a request that never finishes its headers
            assert idle.recv(1024) == b""  # the server hung up (the client's own timeout would raise instead)
        handle = LocalPersonalize(server.endpoint_url, tmp_path, server.backend)
        _assert_alive(handle)
    finally:
        server.stop()


def test_temporary_files_of_a_killed_process_are_removed_at_startup(tmp_path: Path) -> None:
    files = DataFiles(tmp_path)
    stray_download = files.scratch_dir() / "personalize-local-import-abc"
    stray_download.write_bytes(b"USER_ID,ITEM_ID\n")
    stray_parquet = tmp_path / "datasets" / "d1" / ".0123abcd.tmp"
    stray_parquet.parent.mkdir(parents=True)
    stray_parquet.write_bytes(b"PAR1")
    kept = tmp_path / "datasets" / "d1" / "bulk.parquet"
    kept.write_bytes(b"PAR1")
    with local_personalize(tmp_path, set_environment=False):
        assert not stray_download.exists() and not stray_parquet.exists()
        assert kept.exists()


def test_a_failed_parquet_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = DataFiles(tmp_path)

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        files.write_bulk("d1", pd.DataFrame({"USER_ID": ["u1"]}))
    assert list((tmp_path / "datasets" / "d1").iterdir()) == []


# ---------------------------------------------------------------------------------------------- imports
SCHEMA = infer_schema("USER_ID,ITEM_ID,TIMESTAMP\nu1,a,1\n", "Interactions")


def _wait(api: WireApi, arn: str, timeout: float = 30.0) -> dict:
    def finished() -> dict | None:
        job = api.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
        return job if job["status"] in ("ACTIVE", "CREATE FAILED") else None

    return wait_until(finished, timeout=timeout, interval=0.01, max_interval=0.01, message=f"{arn} never finished")


def _dataset(api: WireApi) -> tuple[str, dict]:
    group = api.create_dataset_group(name="g")["datasetGroupArn"]
    schema = api.create_schema(name="s", schema=SCHEMA)["schemaArn"]
    wait_active(lambda: api.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
    dataset = api.create_dataset(name="d", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema)
    wait_active(lambda: api.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"], dataset["datasetArn"])
    return dataset["datasetArn"], api.backend.store.get(dataset["datasetArn"]).internal


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WireApi]:
    """An in-process backend whose imports read in-process moto S3."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    use_fake_credentials(monkeypatch)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="data")
        api = WireApi(PersonalizeBackend(BackendConfig(data_dir=tmp_path, step_delay=0.0)))
        api.start()
        try:
            yield api
        finally:
            api.shutdown()


def _put(key: str, rows: list[tuple[str, str, int]]) -> str:
    text = "USER_ID,ITEM_ID,TIMESTAMP\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows)
    boto3.client("s3").put_object(Bucket="data", Key=key, Body=text.encode())
    return f"s3://data/{key}"


def test_a_resumed_incremental_import_does_not_append_its_rows_twice(api: WireApi) -> None:
    dataset, internal = _dataset(api)
    full = _put("full.csv", [("u1", "a", 1), ("u2", "b", 2)])
    first = api.create_dataset_import_job(jobName="full", datasetArn=dataset, dataSource={"dataLocation": full})
    assert _wait(api, first["datasetImportJobArn"])["status"] == "ACTIVE"
    more = _put("more.csv", [("u1", "c", 3)])
    job = api.create_dataset_import_job(
        jobName="more", datasetArn=dataset, dataSource={"dataLocation": more}, importMode="INCREMENTAL"
    )["datasetImportJobArn"]
    assert _wait(api, job)["status"] == "ACTIVE"
    # The server died after writing the output but before the job was marked ACTIVE: after a restart the job runs
    # again from the start.
    api.backend.dataset_groups._run_import(api.backend.store.get(job))
    bulk = api.backend.lifecycle.files.read_bulk(internal["id"])
    assert sorted(bulk["ITEM_ID"]) == ["a", "b", "c"]


def test_an_import_that_fails_leaves_no_download_behind(api: WireApi) -> None:
    dataset, _ = _dataset(api)
    boto3.client("s3").put_object(Bucket="data", Key="bad.csv", Body=b"USER_ID,ITEM_ID,TIMESTAMP\nu1,a,notanumber\n")
    job = api.create_dataset_import_job(
        jobName="bad", datasetArn=dataset, dataSource={"dataLocation": "s3://data/bad.csv"}
    )
    failed = _wait(api, job["datasetImportJobArn"])
    assert failed["status"] == "CREATE FAILED" and "TIMESTAMP" in failed["failureReason"]
    assert list(api.backend.lifecycle.files.scratch_dir().iterdir()) == []


def test_an_unreachable_s3_endpoint_fails_the_import_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there now
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    use_fake_credentials(monkeypatch)
    api = WireApi(PersonalizeBackend(BackendConfig(data_dir=tmp_path, step_delay=0.0)))
    api.start()
    try:
        dataset, _ = _dataset(api)
        job = api.create_dataset_import_job(
            jobName="j", datasetArn=dataset, dataSource={"dataLocation": "s3://x/y.csv"}
        )
        failed = _wait(api, job["datasetImportJobArn"], timeout=120)
    finally:
        api.shutdown()
    assert failed["status"] == "CREATE FAILED"
    assert endpoint in failed["failureReason"] and "--s3" in failed["failureReason"]
    assert "AWS_ENDPOINT_URL_S3" in failed["failureReason"]
