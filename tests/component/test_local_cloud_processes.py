"""The deployment tier on real child processes: a process group is seen listening and stopped whole."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from local_cloud.processes import group_alive, stop_group
from local_cloud.sockets import listening_addresses


def test_a_process_group_is_seen_listening_and_stopped_whole() -> None:
    """A server started in its own session: its listener is found via /proc, and stop_group ends it and its child."""
    server = textwrap.dedent(
        """
        import socket, subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
        print(s.getsockname()[1], flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        port = int(proc.stdout.readline())
        assert ("127.0.0.1", port) in listening_addresses(proc.pid)
        assert group_alive(proc.pid)
    finally:
        assert stop_group(proc.pid, grace=5)
    assert not group_alive(proc.pid)
