"""`make serve`: the recommendations API's Lambda handler behind a local HTTP server on 127.0.0.1.

Each HTTP request becomes an API Gateway HTTP API (payload v2) event for the real handler in
``functions/recommendations_api/app.py``; its result becomes the HTTP response. Behind the handler: an in-process
moto (SSM + S3) seeded from what ``make demo`` left in ``demo-output/``, and Personalize Local on the demo's state
in ``.personalize-local/``, so the campaigns the demo trained answer.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from offline.local_auth import UNAUTHORIZED_RESULT, LocalAuth, TokenRejectedError
from sam_app.handlers import LambdaContext, code_dir, load_module

FUNCTION_FOLDER = "recommendations_api"
HANDLER_MODULE = "recommendations_api_app"
"""The name the handler module is loaded under once per process (a warm execution environment)."""
FUNCTION_NAME = "recommendations-api-local"
DEFAULT_PORT = 8080
LOCAL_HOST = "127.0.0.1"
TEXT_CONTENT_TYPES = ("application/json", "text/", "application/xml", "application/x-www-form-urlencoded")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def local_context() -> LambdaContext:
    """A fresh Lambda context per request, as the template configures the function."""
    return LambdaContext.for_function(FUNCTION_NAME, memory_mb=512, timeout_s=15)


# ---------------------------------------------------------------------------------------------------- HTTP <-> event
def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 text (API Gateway base64-encodes bodies that are not)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def raw_request_path(request: Request) -> str:
    """The path as the client sent it, percent-encoding intact (``a%2Fb`` stays one segment)."""
    raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw_uri:
        return request.path
    path = urlsplit(raw_uri.encode("latin-1").decode("utf-8", "replace")).path
    return path or "/"


def http_api_event(request: Request) -> dict[str, Any]:
    """An API Gateway HTTP API payload v2 event for ``request`` (``$default`` route and stage).

    ``rawPath`` is the path as the client sent it (still percent-encoded, like a ``$default`` route's); the
    handler decodes each path parameter once. ``requestContext.http.path`` is the decoded path.
    """
    raw_body = request.get_data(cache=False)
    content_type = request.headers.get("content-type", "")
    is_text = not raw_body or (content_type.startswith(TEXT_CONTENT_TYPES) and is_utf8(raw_body))
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query = {key: ",".join(values) for key, values in request.args.lists()}
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_request_path(request),
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr or LOCAL_HOST,
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if request.cookies:
        event["cookies"] = [f"{name}={value}" for name, value in request.cookies.items()]
    if query:
        event["queryStringParameters"] = query
    if raw_body:
        event["body"] = raw_body.decode("utf-8") if is_text else base64.b64encode(raw_body).decode("ascii")
    return event


def http_response(result: dict[str, Any]) -> Response:
    """The Lambda proxy result (payload v2) as a werkzeug response."""
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(data, status=int(result.get("statusCode", 200)))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = value
    for cookie in result.get("cookies") or ():
        response.headers.add("Set-Cookie", cookie)
    return response


def wsgi_app(handler: Handler, auth: LocalAuth | None = None) -> Callable[..., Any]:
    """A WSGI application that runs ``handler`` for every request, like API Gateway would.

    With ``auth``, routes other than ``/`` and /swagger need a local bearer token (API Gateway's JWT authorizer: 401
    without).

    One request at a time, like one Lambda execution environment (the Powertools router keeps per-request state).
    """
    one_at_a_time = threading.Lock()

    @Request.application
    def application(request: Request) -> Response:
        event = http_api_event(request)
        if auth is not None and request.path != "/" and not request.path.startswith("/swagger"):
            try:
                auth.authorize(event)
            except TokenRejectedError:
                return http_response(UNAUTHORIZED_RESULT)
        with one_at_a_time:
            result = handler(event, local_context())
        return http_response(result)

    return application


def api_module() -> ModuleType:
    """The API function's ``app`` module, loaded once per process (imported after the environment is set, like a
    cold start; later calls share it, like a warm execution environment)."""
    return load_module(code_dir(FUNCTION_FOLDER), name=HANDLER_MODULE, reuse=True)


def load_handler() -> Handler:
    """The real Lambda handler."""
    return api_module().lambda_handler


@contextlib.contextmanager
def serving_wsgi(app: Any, port: int = 0, name: str = "serve-api") -> Iterator[BaseWSGIServer]:
    """Serve the WSGI ``app`` on 127.0.0.1 in a background thread (``port=0``: a free port) until the block ends."""
    server = make_server(LOCAL_HOST, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def running_server(handler: Handler, port: int = 0, auth: LocalAuth | None = None) -> Iterator[BaseWSGIServer]:
    """Serve ``handler`` on 127.0.0.1 in a background thread (``port=0``: a free port) until the block ends."""
    with serving_wsgi(wsgi_app(handler, auth), port) as server:
        yield server


# ---------------------------------------------------------------------------------------------------- demo backend
@dataclass(frozen=True)
class DemoState:
    """Where ``make demo`` left its results."""

    state_dir: Path
    ssm_parameters_file: Path
    catalog_file: Path

    def missing(self) -> list[Path]:
        """The paths that do not exist."""
        return [path for path in (self.state_dir, self.ssm_parameters_file, self.catalog_file) if not path.exists()]


def seed_moto(ssm_parameters: dict[str, Any], catalog_file: Path, project_name: str) -> None:
    """Put the pipeline's SSM parameters and the catalog (at the URI the catalog parameter names) into moto."""
    import boto3

    from anime_recommender.contracts.parameters import ParameterNames
    from anime_recommender.recommendations_api.catalog import parse_s3_uri

    ssm = boto3.client("ssm")
    for name, value in ssm_parameters.items():
        text = value if isinstance(value, str) else json.dumps(value)
        ssm.put_parameter(Name=name, Value=text, Type="String", Overwrite=True)
    catalog_parameter = ParameterNames(project_name).catalog
    catalog_uri = ssm_parameters.get(catalog_parameter)
    if catalog_uri is None:
        raise SystemExit(f"serve_api: {catalog_parameter} is not in the demo's SSM parameters; rerun `make demo`")
    bucket, key = parse_s3_uri(catalog_uri)
    s3 = boto3.client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=catalog_file.read_bytes(), ContentType="application/json")


def prepare_local_environment() -> None:
    """Offline settings: fake credentials and region, no real endpoints, no X-Ray, readable logs."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name == "AWS_PROFILE":
            del os.environ[name]
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        os.environ[name] = value
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "recommendations-api")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "AnimeRecommenderLocal")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@contextlib.contextmanager
def demo_backend(state: DemoState, project_name: str) -> Iterator[str]:
    """moto (SSM + S3) seeded from the demo, and Personalize Local on the demo's state; yields its endpoint."""
    from moto import mock_aws

    from personalize_local import local_personalize

    ssm_parameters = json.loads(state.ssm_parameters_file.read_text())
    with mock_aws():
        seed_moto(ssm_parameters, state.catalog_file, project_name)
        with local_personalize(data_dir=state.state_dir) as personalize:
            yield personalize.endpoint_url


def _stop(signum: int, frame: object) -> None:
    """SIGTERM stops the server like Ctrl-C does (Personalize Local then saves and stops cleanly)."""
    raise KeyboardInterrupt


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m offline.serve_api", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    parser.add_argument("--state-dir", type=Path, default=Path(".personalize-local"), help="Personalize Local state")
    parser.add_argument("--demo-output", type=Path, default=Path("demo-output"), help="what `make demo` wrote")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve the API until Ctrl-C."""
    arguments = parse_arguments(argv)
    state = DemoState(
        state_dir=arguments.state_dir,
        ssm_parameters_file=arguments.demo_output / "ssm-parameters.json",
        catalog_file=arguments.demo_output / "catalog.json",
    )
    missing = state.missing()
    if missing:
        shown = ", ".join(str(path) for path in missing)
        print(f"make serve: no trained models to serve ({shown} missing) - run `make demo` first.", file=sys.stderr)
        return 2
    prepare_local_environment()
    signal.signal(signal.SIGTERM, _stop)
    project_name = os.environ.get("PROJECT_NAME", "anime-recs")
    with demo_backend(state, project_name) as personalize_endpoint:
        handler = load_handler()
        auth = LocalAuth()
        try:
            with running_server(handler, arguments.port, auth) as server:
                base = f"http://{LOCAL_HOST}:{server.server_port}"
                print(f"Recommendations API: {base}  (Personalize Local at {personalize_endpoint})")
                print(f"Swagger UI:          {base}/swagger")
                print(f"OpenAPI schema:      {base}/swagger?format=json")
                print(f"Token of user 0 (Authorization: Bearer ...): {auth.issue('0')}")
                print(f"Token of a trusted service:                  {auth.issue_service()}")
                print("Press Ctrl-C to stop.", flush=True)
                threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopped")
        except OSError as error:
            print(f"make serve: cannot listen on {LOCAL_HOST}:{arguments.port} ({error}); try --port", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
