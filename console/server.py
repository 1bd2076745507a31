"""The console's web server (werkzeug): a read-only JSON API over a :class:`StepFunctionsReader`, the page and its
graph. Binds 127.0.0.1 only; answers GET and HEAD only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request, Response

from console.extras import evaluation, metrics_chart_png, notification
from console.graph import render_svg
from console.model import state_summaries
from console.reader import StepFunctionsReader
from offline.serve_api import LOCAL_HOST, serving_wsgi

STATIC_DIR = Path(__file__).parent / "static"
HOST = LOCAL_HOST  # loopback only
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class ConsoleApp:
    """WSGI application: ``/``, ``/static/<file>``, ``/api/...``."""

    def __init__(self, reader: StepFunctionsReader, source: str) -> None:
        self.reader = reader
        self.source = source
        methods = ["GET", "HEAD"]
        self.routes = Map(
            [
                Rule("/", endpoint="index", methods=methods),
                Rule("/static/<name>", endpoint="static", methods=methods),
                Rule("/api/machines", endpoint="machines", methods=methods),
                Rule("/api/executions", endpoint="executions", methods=methods),
                Rule("/api/graph.svg", endpoint="graph", methods=methods),
                Rule("/api/execution", endpoint="execution", methods=methods),
                Rule("/api/chart.png", endpoint="chart", methods=methods),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, values = self.routes.bind_to_environ(environ).match()
            response = getattr(self, f"on_{endpoint}")(request, **values)
        except HTTPException as error:
            response = error.get_response()
        except KeyError as error:
            response = NotFound(str(error)).get_response()
        except (BotoCoreError, ClientError) as error:  # the endpoint is down, the credentials are wrong...
            response = Response(json.dumps({"error": str(error)}), status=502, mimetype="application/json")
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    @staticmethod
    def _json(value: Any) -> Response:
        return Response(json.dumps(value, default=str), mimetype="application/json")

    @staticmethod
    def _arg(request: Request, name: str) -> str:
        value = request.args.get(name)
        if not value:
            raise NotFound(f"missing ?{name}=")
        return value

    def on_index(self, request: Request) -> Response:
        """The page."""
        return self.on_static(request, "index.html")

    def on_static(self, request: Request, name: str) -> Response:
        """A file of console/static (no sub-folders)."""
        path = STATIC_DIR / name
        if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
            raise NotFound(name)
        return Response(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])

    def on_machines(self, request: Request) -> Response:
        """State machines (name, ARN) and where they are read from."""
        machines = [{"arn": m["stateMachineArn"], "name": m["name"]} for m in self.reader.machines()]
        return self._json({"source": self.source, "machines": sorted(machines, key=lambda m: m["name"])})

    def on_executions(self, request: Request) -> Response:
        """A machine's executions, newest first."""
        executions = self.reader.executions(self._arg(request, "machine"))
        keys = ("executionArn", "name", "status", "startDate", "stopDate")
        return self._json([{key: execution.get(key) for key in keys} for execution in executions])

    def on_graph(self, request: Request) -> Response:
        """The machine's definition drawn as SVG."""
        described = self.reader.machine(self._arg(request, "machine"))
        return Response(render_svg(json.loads(described["definition"])), mimetype="image/svg+xml")

    def on_execution(self, request: Request) -> Response:
        """One execution: its description, every state's summary, its notification and whether it has a chart."""
        arn = self._arg(request, "arn")
        described = self.reader.execution(arn)
        events = self.reader.history(arn)
        summaries = state_summaries(events, described["status"])
        return self._json(
            {
                "execution": {
                    "arn": arn,
                    "name": described.get("name"),
                    "machineArn": described.get("stateMachineArn"),
                    "status": described["status"],
                    "startDate": _iso(described.get("startDate")),
                    "stopDate": _iso(described.get("stopDate")),
                    "input": described.get("input"),
                    "output": described.get("output"),
                    "error": described.get("error"),
                    "cause": described.get("cause"),
                },
                "events": len(events),
                "states": {name: summary.to_json() for name, summary in summaries.items()},
                "notification": notification(events),
                "chart": evaluation(events) is not None,
            }
        )

    def on_chart(self, request: Request) -> Response:
        """The execution's metrics chart (PNG)."""
        found = evaluation(self.reader.history(self._arg(request, "arn")))
        if found is None:
            raise NotFound("this execution has no evaluation")
        return Response(metrics_chart_png(found), mimetype="image/png")


@contextmanager
def serving(app: ConsoleApp, port: int = 0) -> Iterator[BaseWSGIServer]:
    """Serve ``app`` on 127.0.0.1 (``port`` 0 = any free port) in a thread until the block ends (requests are not
    logged)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with serving_wsgi(app, port, name="console-server") as server:
        yield server
