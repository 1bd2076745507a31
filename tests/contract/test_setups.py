"""Contract: the supported ways to run Personalize Local next to moto, and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from personalize_local import ENDPOINT_VARIABLES, local_personalize
from personalize_local.cli.serve import READY_LINE
from testing.personalize_setup import deploy_small_recommender, small_dataset


def test_in_process_mock_aws_serves_s3_while_personalize_reaches_the_local_server(tmp_path: Path) -> None:
    with mock_aws(), local_personalize(tmp_path) as pl:
        assert {os.environ[name] for name in ENDPOINT_VARIABLES} == {pl.endpoint_url}
        client = boto3.client("personalize")
        assert client.meta.endpoint_url == pl.endpoint_url
        names = {r["name"] for r in client.list_recipes()["recipes"]}  # moto does not implement ListRecipes
        assert "aws-sims" in names
    assert not {name for name in ENDPOINT_VARIABLES if name in os.environ}  # restored on exit


def test_threaded_moto_server_through_aws_endpoint_url_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_server.start()
    try:
        host, port = moto_server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://{host}:{port}")
        boto3.client("s3").create_bucket(Bucket="moto-server-data")
        data = small_dataset()
        with local_personalize(tmp_path) as pl:
            deployed = deploy_small_recommender(
                "moto-server-data", data.interactions_csv, None, ("aws-popularity-count",)
            )
            items = boto3.client("personalize-runtime").get_recommendations(
                campaignArn=deployed.campaign_arns["aws-popularity-count"], userId="anyone", numResults=3
            )["itemList"]
            assert len(items) == 3
            assert pl.endpoint_url != f"http://{host}:{port}"
    finally:
        moto_server.stop()


def test_command_line_server_prints_the_exports_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "personalize_local", "serve", "--port", "0", "--data-dir", str(tmp_path / "cli")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip()]
        while lines[-1] not in (READY_LINE, ""):  # the banner ends with the ready line ("" = the process ended)
            lines.append(process.stdout.readline().strip())
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
        assert set(ENDPOINT_VARIABLES) <= set(exports)
        url = exports["AWS_ENDPOINT_URL_PERSONALIZE"]
        assert url.startswith("http://127.0.0.1:")
        client = boto3.client("personalize", endpoint_url=url)
        assert client.list_dataset_groups()["datasetGroups"] == []
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert (tmp_path / "cli" / "metadata.sqlite3").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
