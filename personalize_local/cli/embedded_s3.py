"""An S3 endpoint served by the same command (moto's ``ThreadedMotoServer``), so ``aws s3 cp`` and dataset imports
work with nothing else running. Its buckets live in memory and are gone when the server stops."""

from __future__ import annotations

import os
import socket


class EmbeddedS3:
    """moto's server on ``host``:``port`` (0 = any free port), started and stopped with Personalize Local."""

    def __init__(self, host: str, port: int) -> None:
        from moto.server import ThreadedMotoServer  # imported only when asked for: moto is large

        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._host, self._port = host, port
        self._started = False

    def start(self) -> str:
        """Start serving; the endpoint URL (``http://127.0.0.1:<port>``). OSError when the port is taken."""
        # ThreadedMotoServer binds in its thread and would wait forever for a port it cannot bind: check first.
        with socket.socket() as probe:
            probe.bind((self._host, self._port))
        self._server.start()
        self._started = True
        return self.endpoint_url

    @property
    def endpoint_url(self) -> str:
        """Where local clients reach it."""
        _, port = self._server.get_host_and_port()
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        """Stop serving (the buckets are dropped)."""
        if self._started:
            self._server.stop()
            self._started = False


def point_imports_at(endpoint_url: str) -> None:
    """Make this process's dataset imports read S3 at ``endpoint_url``, with dummy credentials when none are set
    (an emulator accepts any)."""
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint_url
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        os.environ["AWS_ACCESS_KEY_ID"] = "test"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "test"
