"""A daemon thread that runs one function every ``period`` seconds until stopped (the backend's schedulers:
recommender retraining, automatic training)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("personalize_local")


class Periodic:
    """Runs ``round_`` every ``period`` seconds on a daemon thread; a failing round is logged, the next one runs."""

    def __init__(self, name: str, round_: Callable[[], object]) -> None:
        self.name = name
        self.round = round_
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self, period: float) -> None:
        """Start the thread (no-op when it runs already)."""
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(period):
                try:
                    self.round()
                except Exception:  # a failed round must not end the scheduler
                    logger.exception("%s round failed", self.name)

        self._thread = threading.Thread(target=run, name=f"personalize-local-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a round under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
