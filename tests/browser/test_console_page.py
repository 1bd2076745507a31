"""The console in a real browser: headless Chromium (Debian's ``chromium``) renders the page served from recorded
moto runs; the assertions read the DOM after the page's scripts ran. Run by `make test-browser`, not `make test`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from moto import mock_aws

from console.browser import ready_dom
from console.reader import StepFunctionsReader
from console.recorded import ExecutionRecorder, RecordedStepFunctions
from console.server import ConsoleApp, serving
from tests.support import console_runs as runs


class Dom(HTMLParser):
    """Elements of a dumped DOM: (tag, attributes) in document order, plus the text under each id'd element."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        self.elements.append((tag, values))
        if tag not in {"meta", "link", "img", "br", "input", "path", "rect"}:
            self._open.append(values.get("id"))
            if values.get("id"):
                self.text_by_id[values["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag not in {"meta", "link", "img", "br", "input", "path", "rect"}:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def find(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        """Elements with every wanted attribute (``class_`` matches one class)."""
        found = []
        for name, attrs in self.elements:
            if name != tag:
                continue
            classes = attrs.get("class", "").split()
            if "class_" in wanted and wanted["class_"] not in classes:
                continue
            if all(attrs.get(key) == value for key, value in wanted.items() if key != "class_"):
                found.append(attrs)
        return found


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The console on 127.0.0.1 serving recorded runs: a caught-then-failed one (hostile input and cause), an
    uncaught failure and one with a notification and metrics."""
    folder: Path = tmp_path_factory.mktemp("runs")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), runs.fast_engine():
        arns = {
            "caught": runs.run("caught", runs.CAUGHT, {"file": runs.HOSTILE}),
            "notifying": runs.run("notifying", runs.NOTIFYING, {}),
        }
        ExecutionRecorder(runs.client(), folder).record()
    app = ConsoleApp(StepFunctionsReader(RecordedStepFunctions(folder)), f"recorded runs <i>{runs.HOSTILE}</i>")
    with serving(app) as server:
        yield f"http://127.0.0.1:{server.server_port}/", arns


class StopsAfterFirstLook(StepFunctionsReader):
    """moto's live Step Functions; the first time the page sees the execution RUNNING, the execution is stopped."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.served: list[str] = []

    def execution(self, arn: str) -> dict[str, Any]:
        """DescribeExecution, remembering what the page was told."""
        described = super().execution(arn)
        self.served.append(described["status"])
        if described["status"] == "RUNNING":
            self.client.stop_execution(executionArn=arn)
            runs.wait_until_stopped(arn)
        return described


def _page(console_url: tuple[str, dict[str, str]], which: str) -> Dom:
    url, arns = console_url
    return Dom(ready_dom(f"{url}#{quote(arns[which], safe='')}"))


def test_states_are_coloured_by_status(console_url: tuple[str, dict[str, str]]) -> None:
    dom = _page(console_url, "caught")
    status = {g["data-state"]: g.get("data-status") for g in dom.find("g", class_="state")}
    assert status["Start"] == "succeeded"
    assert status["Per item"] == "succeeded"
    assert status["Call"] == "caught"
    assert status[runs.HOSTILE_STATE] == "failed"
    assert status["Never reached"] == "not-reached"
    for name, value in status.items():  # the class the CSS colours by matches the status
        node = next(g for g in dom.find("g", class_="state") if g["data-state"] == name)
        assert value in node["class"].split()
    rows = {row["data-state"]: row["data-status"] for row in dom.find("tr") if "data-state" in row}
    assert rows["Call"] == "caught" and rows["Count"] == "succeeded"


def test_a_failed_states_cause_is_visible_and_escaped(console_url: tuple[str, dict[str, str]]) -> None:
    url, arns = console_url
    html = ready_dom(f"{url}#{quote(arns['caught'], safe='')}")
    dom = Dom(html)
    assert dom.text_by_id["exec-cause"] == runs.HOSTILE  # shown as text ...
    assert dom.text_by_id["exec-error-name"] == "Hostile"
    assert not dom.find("img", src="x")  # ... never parsed as an element
    assert "pwned" not in re.sub(r"&lt;img.*?&gt;", "", html.split("<body", 1)[1].split(">", 1)[0])
    assert "&lt;img src=x" in html
    assert not dom.find("b") and not dom.find("i")  # hostile state name and source line stay text
    assert "Lambda.ResourceNotFoundException" in html  # the caught Task's error is in its row


def test_notification_and_metrics_chart_are_shown(console_url: tuple[str, dict[str, str]]) -> None:
    dom = _page(console_url, "notifying")
    assert dom.text_by_id["notification-subject"].startswith("Anime recommender retraining FAILED")
    assert "Live campaigns were not changed" in dom.text_by_id["notification-message"]
    (image,) = dom.find("img", id="chart-img")
    assert image["src"].startswith("/api/chart.png?arn=")
    section = dom.find("section", id="chart")[0]
    assert "hidden" not in section


def test_a_running_execution_is_refreshed_until_it_ends() -> None:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        arn = runs.run("sleeping", runs.LONG_WAIT, {}, finish=False)
        runs.wait_for_state(arn, "Sleep")
        reader = StopsAfterFirstLook(runs.client())
        with serving(ConsoleApp(reader, "moto")) as server:
            dom = Dom(ready_dom(f"http://127.0.0.1:{server.server_port}/#{quote(arn, safe='')}"))
    assert reader.served[0] == "RUNNING"  # the first render showed it running ...
    (body,) = dom.find("body")
    assert body["data-status"] == "ABORTED"  # ... and the page polled until it ended, without a reload
    status = {g["data-state"]: g.get("data-status") for g in dom.find("g", class_="state")}
    assert status == {"First": "succeeded", "Sleep": "failed"}
