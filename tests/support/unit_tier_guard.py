"""What the unit tier refuses: network sockets, child processes, AWS requests, moto, Personalize Local engines.

Each refusal raises :class:`EmulatorInUnitTier` where the test does the forbidden thing and is remembered, so a test
that swallows the exception still fails when :meth:`UnitTierGuard.check` runs after it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from botocore.endpoint import Endpoint

# Sockets a unit test may still open: in-process pipes (asyncio's self-pipe, multiprocessing's queues).
_LOCAL_FAMILIES = {getattr(socket, "AF_UNIX", None)}

MOVE_HINT = "emulators, servers and child processes belong in tests/component"


class EmulatorInUnitTier(AssertionError):
    """A unit test started an emulator, a server, a child process or an AWS request."""


class UnitTierGuard:
    """Patches the entry points of every emulator and server for one test, and remembers each refused use."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def refuse(self, what: str) -> EmulatorInUnitTier:
        """Remember that the test tried ``what`` and return the error to raise."""
        self.refused.append(what)
        return EmulatorInUnitTier(f"a unit test may not {what}: {MOVE_HINT}")

    def install(self, patch: pytest.MonkeyPatch) -> None:
        """Patch sockets, subprocesses, forks, botocore's endpoint, moto and Personalize Local for this test."""
        for method in ("bind", "connect", "connect_ex"):
            patch.setattr(socket.socket, method, self._socket_method(method, getattr(socket.socket, method)))
        patch.setattr(subprocess.Popen, "__init__", self._refusing("start a child process"))
        for name in ("fork", "forkpty", "system", "posix_spawn", "posix_spawnp"):
            if hasattr(os, name):
                patch.setattr(os, name, self._refusing(f"call os.{name}"))
        patch.setattr(Endpoint, "make_request", self._refusing("send an AWS request (moto or a real endpoint)"))
        moto_models = sys.modules.get("moto.core.models")
        if moto_models is not None:
            patch.setattr(moto_models.MockAWS, "start", self._refusing("start moto"))
        backend = sys.modules.get("personalize_local.models.backend")
        if backend is not None:
            patch.setattr(backend.PersonalizeBackend, "__init__", self._refusing("run a Personalize Local backend"))

    def check(self) -> None:
        """Fail if the test tried anything refused, even when it caught the error."""
        if self.refused:
            raise EmulatorInUnitTier(f"this unit test tried to {', '.join(self.refused)}: {MOVE_HINT}")

    def _refusing(self, what: str) -> Callable[..., Any]:
        def refused(*_args: Any, **_kwargs: Any) -> Any:
            raise self.refuse(what)

        return refused

    def _socket_method(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        guard = self

        def guarded(sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
            if sock.family in _LOCAL_FAMILIES:
                return original(sock, *args, **kwargs)
            raise guard.refuse(f"{name} a network socket")

        return guarded
