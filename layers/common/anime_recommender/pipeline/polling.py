"""One poll of a Wait + Choice loop: turn resource states into "complete / keep waiting / fail"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anime_recommender.pipeline.config import PollBudget
from anime_recommender.pipeline.errors import PollBudgetExceededError, ResourceFailedError
from anime_recommender.pipeline.status import ResourceState


def poll_result(what: str, states: Sequence[ResourceState], attempt: int, budget: PollBudget) -> dict[str, Any]:
    """The loop's section of the execution state after poll number ``attempt + 1``.

    Raises :class:`ResourceFailedError` (with Personalize's ``failureReason``) when a resource failed, and
    :class:`PollBudgetExceededError` when resources are still pending after ``budget.maxAttempts`` polls.
    """
    failed = [state for state in states if state.phase == "FAILED"]
    if failed:
        raise ResourceFailedError(f"{what} failed: " + "; ".join(state.summary() for state in failed))
    attempt += 1
    pending = [state for state in states if state.phase != "ACTIVE"]
    if pending and attempt >= budget.maxAttempts:
        waited = attempt * budget.intervalSeconds
        raise PollBudgetExceededError(
            f"{what} not ready after {attempt} polls (~{waited // 60} min): "
            + "; ".join(state.summary() for state in pending)
        )
    return {
        "complete": not pending,
        "attempt": attempt,
        "waitingFor": [state.summary() for state in pending],
    }
