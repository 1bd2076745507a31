"""Background processes of the tier: started in their own process group, tracked by pid files, stopped as a group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from local_cloud.layout import Layout

BIND_HOST = "127.0.0.1"


def free_port(host: str = BIND_HOST) -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int, host: str = BIND_HOST) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_process(
    layout: Layout, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached in a new session (its own process group), log to ``logs/<name>.log``, write its pid."""
    layout.create()
    log_path = layout.logs / f"{name}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    (layout.pids / f"{name}.pid").write_text(str(proc.pid))
    return proc


def read_pid(layout: Layout, name: str) -> int | None:
    """The pid recorded for ``name``, or None."""
    path = layout.pids / f"{name}.pid"
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def group_alive(pgid: int) -> bool:
    """True while any process of process group ``pgid`` exists (zombies of our own children are reaped first)."""
    try:
        while os.waitpid(-pgid, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pgid: int, grace: float = 10.0) -> bool:
    """SIGTERM the whole process group ``pgid``, SIGKILL what is left after ``grace`` seconds.

    Returns True if the group was running. The group id is the leader's pid because every process of the tier is
    started with ``start_new_session=True``; the emulator's Lambda workers are its children and share its group.
    """
    if not group_alive(pgid):
        return False
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_alive(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + 5
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
    return True


def log_tail(layout: Layout, name: str, lines: int = 30) -> str:
    """The last ``lines`` lines of a process log (for error messages)."""
    path = layout.logs / f"{name}.log"
    if not path.exists():
        return f"(no log at {path})"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])
