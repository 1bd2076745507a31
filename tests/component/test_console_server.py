"""The console's recorder, recorded-runs reader and JSON API (werkzeug's test client, no browser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer
from werkzeug.test import Client

from console.model import state_summaries
from console.reader import StepFunctionsReader
from console.recorded import ExecutionRecorder, RecordedStepFunctions
from console.server import ConsoleApp
from console.sources import open_reader
from tests.support import console_runs as runs


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[StepFunctionsReader, Path, dict[str, str]]]:
    """Three finished executions on moto, recorded to ``tmp_path``; yields moto's reader, the folder and the ARNs."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), runs.fast_engine():
        arns = {
            "caught": runs.run("caught", runs.CAUGHT, {"file": runs.HOSTILE}),
            "uncaught": runs.run("uncaught", runs.UNCAUGHT, {}),
            "notifying": runs.run("notifying", runs.NOTIFYING, {}),
        }
        live = StepFunctionsReader(runs.client())
        assert ExecutionRecorder(runs.client(), tmp_path).record() == 3
        assert ExecutionRecorder(runs.client(), tmp_path).record() == 3  # a new recorder rewrites
        yield live, tmp_path, arns


def test_recorded_runs_answer_like_the_api(recorded: tuple[StepFunctionsReader, Path, dict[str, str]]) -> None:
    live, folder, arns = recorded
    stored = StepFunctionsReader(RecordedStepFunctions(folder))
    assert {m["name"] for m in stored.machines()} == {m["name"] for m in live.machines()}
    for arn in arns.values():
        assert stored.execution(arn)["status"] == live.execution(arn)["status"]
        assert stored.history(arn) == live.history(arn)
        status = live.execution(arn)["status"]
        assert state_summaries(stored.history(arn), status) == state_summaries(live.history(arn), status)
    machine = live.execution(arns["caught"])["stateMachineArn"]
    assert [e["executionArn"] for e in stored.executions(machine)] == [arns["caught"]]


def test_recorder_skips_unchanged_executions(recorded: tuple[StepFunctionsReader, Path, dict[str, str]]) -> None:
    live, folder, _ = recorded
    recorder = ExecutionRecorder(live.client, folder)
    assert recorder.record() == 3
    assert recorder.record() == 0


def test_api_serves_states_notification_chart_and_graph(
    recorded: tuple[StepFunctionsReader, Path, dict[str, str]],
) -> None:
    _, folder, arns = recorded
    client = Client(ConsoleApp(StepFunctionsReader(RecordedStepFunctions(folder)), "test"))

    machines = client.get("/api/machines").json["machines"]
    assert sorted(m["name"] for m in machines) == ["caught", "notifying", "uncaught"]
    caught = client.get("/api/execution", query_string={"arn": arns["caught"]}).json
    assert caught["execution"]["status"] == "FAILED"
    assert caught["execution"]["cause"] == runs.HOSTILE
    assert caught["states"]["Call"]["status"] == "caught"
    assert caught["states"]["Call"]["retries"] == runs.RETRIES
    assert caught["notification"] is None and caught["chart"] is False

    notifying = client.get("/api/execution", query_string={"arn": arns["notifying"]}).json
    assert notifying["notification"]["subject"].startswith("Anime recommender retraining FAILED")
    assert arns["notifying"].rsplit(":", 1)[-1] in notifying["notification"]["message"]
    chart = client.get("/api/chart.png", query_string={"arn": arns["notifying"]})
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    assert client.get("/api/chart.png", query_string={"arn": arns["caught"]}).status_code == 404

    graph = client.get("/api/graph.svg", query_string={"machine": caught["execution"]["machineArn"]})
    assert graph.mimetype == "image/svg+xml"
    assert "<b>" not in graph.text and "&lt;b&gt;" in graph.text


def test_reads_a_step_functions_endpoint_over_http_and_reports_an_unreachable_one() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        remote = boto3.client("stepfunctions", region_name="us-east-1", endpoint_url=endpoint)
        machine = remote.create_state_machine(name="remote", definition=json.dumps(runs.UNCAUGHT), roleArn=runs.ROLE)
        arn = remote.start_execution(stateMachineArn=machine["stateMachineArn"], name="over-http")["executionArn"]
        client = Client(ConsoleApp(open_reader(endpoint_url=endpoint, region="us-east-1"), endpoint))
        assert [m["name"] for m in client.get("/api/machines").json["machines"]] == ["remote"]
        listed = client.get("/api/executions", query_string={"machine": machine["stateMachineArn"]}).json
        assert [e["executionArn"] for e in listed] == [arn]
        assert client.get("/api/execution", query_string={"arn": arn}).json["execution"]["name"] == "over-http"
    finally:
        server.stop()
    down = Client(ConsoleApp(open_reader(endpoint_url=endpoint, region="us-east-1"), endpoint)).get("/api/machines")
    assert down.status_code == 502 and "Could not connect" in down.json["error"]


def test_api_is_read_only_and_locked_down(recorded: tuple[StepFunctionsReader, Path, dict[str, str]]) -> None:
    _, folder, arns = recorded
    client = Client(ConsoleApp(StepFunctionsReader(RecordedStepFunctions(folder)), "test"))
    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.post("/api/execution", query_string={"arn": arns["caught"]}).status_code == 405
    assert client.delete("/").status_code == 405
    assert client.get("/static/..%2Fserver.py").status_code == 404
    assert client.get("/api/execution", query_string={"arn": "arn:aws:states:x:1:execution:no:pe"}).status_code == 404
    assert json.loads(client.get("/api/executions", query_string={"machine": "nope"}).text) == []
