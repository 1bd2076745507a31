"""The WSGI application and a threaded HTTP server bound to 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from threadpoolctl import threadpool_limits
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from personalize_local.exceptions import UnknownOperationException
from personalize_local.models import BackendConfig, PersonalizeBackend
from personalize_local.responses import CONTROL_SERVICE, JSON_11, Responses, signing_region
from personalize_local.urls import control_operation, url_map

HOST = "127.0.0.1"
SERVING_BLAS_THREADS = 1
logger = logging.getLogger("personalize_local")


class _ServingBlasLimit:
    """BLAS at ``SERVING_BLAS_THREADS`` thread(s) in the whole process while at least one server runs.

    Each request's model call is a small BLAS product (an iALS fold-in and ``user @ item_factors.T``); with one
    multi-threaded BLAS pool per call, concurrent request threads oversubscribe the cores and throughput collapses.
    Threadpool limits are process-wide, so they are set when the first server starts and restored when the last one
    stops, never per request. Code that wants more BLAS threads for one large computation while a server runs (EASE's
    inversion at training) asks for them around that call (``personalize_local.recipes._common.all_cores_blas``).
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
        """WSGI entry point."""
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route one request."""
        try:
            (service, operation), _ = url_map.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            error = UnknownOperationException(f"No route for {request.method} {request.path}")
            body = json.dumps({"__type": error.code, "message": error.message})
            return Response(body, status=exc.code or 404, content_type="application/json")
        if service == "ping":
            return Response(json.dumps({"status": "ok"}), content_type="application/json")
        if service == CONTROL_SERVICE:
            operation = control_operation(request.headers.get("X-Amz-Target"))
            if operation is None:
                error = UnknownOperationException("Missing or foreign X-Amz-Target header")
                body = json.dumps({"__type": error.code, "message": error.message})
                return Response(body, status=400, content_type=JSON_11)
        region = signing_region(request.headers.get("Authorization"))
        wire = self.responses.handle(service, operation, request.get_data(), region)
        return Response(wire.body, status=wire.status, content_type=wire.content_type, headers=wire.headers)


class _QuietRequestHandler(WSGIRequestHandler):
    """Logs errors but not every request (run the CLI with --verbose to see requests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if logger.isEnabledFor(logging.INFO):
            super().log_request(code, size)


class PersonalizeServer:
    """A backend plus a threaded werkzeug server on 127.0.0.1, run in a background thread or in the foreground.

    While it runs, BLAS is limited to ``blas_threads`` per process (see :class:`_ServingBlasLimit`); ``None`` leaves
    BLAS as it is.
    """

    def __init__(self, config: BackendConfig, port: int = 0, blas_threads: int | None = SERVING_BLAS_THREADS) -> None:
        self.backend = PersonalizeBackend(config)
        self._blas_threads = blas_threads
        self._blas_limited = False
        self._http: BaseWSGIServer = make_server(
            HOST, port, PersonalizeApp(self.backend), threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0 = any free port)."""
        return self._http.server_port

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
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
        if self._blas_limited:
            self._blas_limited = False
            _ServingBlasLimit.release()

    def _limit_blas(self) -> None:
        if not self._blas_limited:
            self._blas_limited = _ServingBlasLimit.acquire(self._blas_threads)


def data_dir_path(data_dir: str | Path) -> Path:
    """The data directory as an absolute path."""
    return Path(data_dir).expanduser().resolve()
