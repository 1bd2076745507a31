"""The WSGI application and a threaded HTTP server bound to 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from threadpoolctl import threadpool_limits
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from personalize_local.datadir_lock import DataDirLock
from personalize_local.exceptions import (
    PersonalizeError,
    SerializationException,
    UnknownOperationException,
)
from personalize_local.models import BackendConfig, PersonalizeBackend
from personalize_local.responses import CONTROL_SERVICE, JSON_11, REST_JSON, Responses, signing_region
from personalize_local.urls import control_operation, url_map

HOST = "127.0.0.1"
SERVING_BLAS_THREADS = 1
#: Seconds a connection may sit idle or send its request slowly before the server drops it (half-open and
#: slowloris connections otherwise hold a thread forever).
REQUEST_TIMEOUT = 60.0
#: Largest request body accepted. Personalize's largest requests (PutItems/PutUsers: 10 records with up to 24 KB of
#: properties each, https://docs.aws.amazon.com/personalize/latest/dg/limits.html) are far smaller.
MAX_BODY_BYTES = 8 * 1024 * 1024
logger = logging.getLogger("personalize_local")


class _ServingBlasLimit:
    """BLAS at ``SERVING_BLAS_THREADS`` thread(s) in the whole process while at least one server runs.

    Each request's model call is a small BLAS product (an iALS fold-in and ``user @ item_factors.T``); with one
    multi-threaded BLAS pool per call, concurrent request threads oversubscribe the cores and throughput collapses.
    Threadpool limits are process-wide, so they are set when the first server starts and restored when the last one
    stops, never per request. Code that wants more BLAS threads for one large computation while a server runs (EASE's
    inversion at training) asks for them around that call (``recipes.building_blocks.all_cores_blas``).
    """

    _lock = threading.Lock()
    _servers = 0
    _limiter: threadpool_limits | None = None

    @classmethod
    def acquire(cls, threads: int | None) -> bool:
        """Count one more running server; limit BLAS if it is the first. False (no-op) when ``threads`` is None."""
        if threads is None:
            return False
        with cls._lock:
            if cls._servers == 0:
                cls._limiter = threadpool_limits(limits=threads, user_api="blas")
            cls._servers += 1
        return True

    @classmethod
    def release(cls) -> None:
        """Count one server less; restore the original BLAS threads after the last."""
        with cls._lock:
            cls._servers -= 1
            if cls._servers == 0 and cls._limiter is not None:
                cls._limiter.restore_original_limits()
                cls._limiter = None


class PersonalizeApp:
    """WSGI app serving all three Personalize APIs from one backend."""

    def __init__(self, backend: PersonalizeBackend) -> None:
        self.backend = backend
        self.responses = Responses(backend)

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        """WSGI entry point: the one place where anything unexpected becomes a modelled error, never a bare 500."""
        try:
            response = self.dispatch(Request(environ))
        except Exception as exc:  # a server bug: answered the way AWS reports internal errors
            logger.exception("%s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            response = error_response(PersonalizeError(f"{type(exc).__name__}: {exc}"), JSON_11)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route one request."""
        request.max_content_length = MAX_BODY_BYTES
        try:
            (service, operation), _ = url_map.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            error = UnknownOperationException(f"No route for {request.method} {request.path}")
            return error_response(error, REST_JSON, status=exc.code or 404)
        if service == "ping":
            return Response(json.dumps({"status": "ok"}), content_type="application/json")
        content_type = JSON_11 if service == CONTROL_SERVICE else REST_JSON
        if service == CONTROL_SERVICE:
            operation = control_operation(request.headers.get("X-Amz-Target"))
            if operation is None:
                return error_response(UnknownOperationException("Missing or foreign X-Amz-Target header"), JSON_11)
        try:
            body = read_body(request)
        except SerializationException as exc:
            return error_response(exc, content_type)
        region = signing_region(request.headers.get("Authorization"))
        wire = self.responses.handle(service, operation, body, region)
        return Response(wire.body, status=wire.status, content_type=wire.content_type, headers=wire.headers)


def read_body(request: Request) -> bytes:
    """The whole request body; SerializationException when it is too large, cut short or badly chunked."""
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise SerializationException(f"Request body is larger than {MAX_BODY_BYTES} bytes") from None
    except (OSError, HTTPException) as exc:  # broken chunked encoding, a client gone or too slow mid-body
        raise SerializationException(f"Request body could not be read: {exc}") from None


def error_response(error: PersonalizeError, content_type: str, status: int | None = None) -> Response:
    """``{"__type": code, "message": ...}`` with ``status``; by default 500 for an internal failure, else 400 (what
    botocore's models declare for the errors answered here, before an operation is known)."""
    body = json.dumps({"__type": error.code, "message": error.message})
    headers = {"x-amzn-ErrorType": error.code}
    status = status or (500 if error.code == PersonalizeError.code else 400)
    return Response(body, status=status, content_type=content_type, headers=headers)


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs errors but not every request (run the CLI with --verbose to see requests); drops a connection idle or
    slow for ``REQUEST_TIMEOUT`` seconds (``socketserver.StreamRequestHandler.timeout`` sets the socket timeout)."""

    timeout = REQUEST_TIMEOUT

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if logger.isEnabledFor(logging.INFO):
            super().log_request(code, size)


class PersonalizeServer:
    """A backend plus a threaded werkzeug server on 127.0.0.1, run in a background thread or in the foreground.

    A connection idle (or sending its request) for ``request_timeout`` seconds is closed. The data directory is
    locked while the server exists (:class:`DataDirLock`: a second server on it raises ``DataDirInUse``). ``host``
    is 127.0.0.1; only the container image binds 0.0.0.0 (see ``personalize_local.cli.serve``).

    While it runs, BLAS is limited to ``blas_threads`` per process (see :class:`_ServingBlasLimit`); ``None`` leaves
    BLAS as it is.
    """

    def __init__(
        self,
        config: BackendConfig,
        port: int = 0,
        blas_threads: int | None = SERVING_BLAS_THREADS,
        request_timeout: float = REQUEST_TIMEOUT,
        host: str = HOST,
    ) -> None:
        self._lock = DataDirLock(config.data_dir)
        self._lock.acquire()  # before the backend opens (and sweeps) the directory
        try:
            self.backend = PersonalizeBackend(config)
            handler = type("RequestHandler", (_QuietRequestHandler,), {"timeout": request_timeout})
            self._http: BaseWSGIServer = make_server(
                host, port, PersonalizeApp(self.backend), threaded=True, request_handler=handler
            )
        except BaseException:
            self._lock.release()
            raise
        self._blas_threads = blas_threads
        self._blas_limited = False
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0 = any free port)."""
        return self._http.server_port

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` (also when bound to all interfaces: the address a local client uses)."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._limit_blas()
        self.backend.start()
        self._thread = threading.Thread(target=self._http.serve_forever, name="personalize-local", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._limit_blas()
        self.backend.start()
        try:
            self._http.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving, finish the worker's current steps and close the store."""
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._http.server_close()
        self.backend.shutdown()
        self._lock.release()
        if self._blas_limited:
            self._blas_limited = False
            _ServingBlasLimit.release()

    def _limit_blas(self) -> None:
        if not self._blas_limited:
            self._blas_limited = _ServingBlasLimit.acquire(self._blas_threads)


def data_dir_path(data_dir: str | Path) -> Path:
    """The data directory as an absolute path."""
    return Path(data_dir).expanduser().resolve()
