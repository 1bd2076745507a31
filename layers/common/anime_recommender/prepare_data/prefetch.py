"""Run a producer iterator one step ahead in a background thread (Arrow and NumPy release the GIL, so parsing
the next block, or sorting the next partition, overlaps with work on the current one). Order is preserved and a
producer's exception is re-raised in the consumer."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield ``items`` in order while a worker thread computes up to ``depth`` items ahead."""
    slots: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                slots.put((item, None))
                if stop.is_set():
                    return
            slots.put((_DONE, None))
        except BaseException as error:  # handed over to the consumer
            slots.put((_DONE, error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="prepare-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        worker.join()
