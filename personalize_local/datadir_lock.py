"""One server per data directory: an exclusive lock on ``<data-dir>/server.lock`` holding the holder's pid.

The lock is an ``flock`` on the open file, so the kernel drops it when the holder exits, however it exits: a lock
file left by a dead process is taken over by the next server (which writes its own pid into it).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "server.lock"


class DataDirInUse(RuntimeError):
    """Another live Personalize Local serves this data directory."""


class DataDirLock:
    """The exclusive lock of one data directory (not re-entrant: a second lock on it, even in-process, fails)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write our pid into it; DataDirInUse (naming the holder's pid) when it is held."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirInUse(
                f"The data directory {self.path.parent} is in use by another Personalize Local (pid {holder}, lock "
                f"file {self.path}). Two servers on one directory would overwrite each other's state: stop that "
                f"server or use another --data-dir."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays; an unlocked file is free whatever pid it names)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
