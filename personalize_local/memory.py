"""Handing memory the process has freed back to the operating system.

pandas keeps string columns (ids) in Arrow buffers, and Arrow's allocator (mimalloc in the pyarrow wheels) keeps
freed blocks for reuse instead of returning them. A solution version frees gigabytes between its phases — the
Arrow-to-pandas conversion buffers after a dataset group's data is loaded, the evaluation's copy of the training
users' interactions — and the next phase (the served model's training) then grows on top of memory nobody uses.
At full size (58 M ratings) that was 1.7 GB after loading 5.5 GB and set the peak of a SIMS version (13.3 GB).
"""

from __future__ import annotations


def release_freed_memory() -> None:
    """Ask Arrow's default memory pool to return the memory it holds but no longer uses to the OS.

    ``MemoryPool.release_unused`` is best effort and meant for rare calls (it can cost time when called in a loop:
    https://arrow.apache.org/docs/python/generated/pyarrow.MemoryPool.html); here it runs between the phases of a
    training that take seconds to minutes, so its milliseconds do not count.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
