"""Jobs that run over a dataset group's data and write to S3: batch inference, batch segment, dataset export and
data deletion jobs. None is implemented yet: :class:`Jobs` has no operations, so their requests answer
UnknownOperationException; this is where they belong (their own part, built on the shared :class:`Lifecycle`)."""

from __future__ import annotations

from personalize_local.models.lifecycle import Lifecycle


class Jobs:
    """Batch inference, batch segment, dataset export and data deletion jobs (none implemented yet)."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
