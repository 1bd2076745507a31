"""Steps "Resolve the drop", "Retry the dataset group lock" and "Release the drop lock" (one function, three
actions)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from anime_recommender.contracts.steps.state import DropDescription, LockState, StepModel
from anime_recommender.pipeline.config import PipelineConfig

#: How a resolved drop goes on: READY and BUSY run (BUSY waits for the lock first), the others end quietly.
ResolveStatus = Literal["READY", "BUSY", "INCOMPLETE", "DUPLICATE", "IGNORED"]
#: How an execution ended, as recorded on the drop's content claim.
Outcome = Literal["SUCCEEDED", "FAILED"]


class ResolveInput(StepModel):
    """``{"action": "resolve", "event": <execution input>, "executionArn": ...}``; the execution input is an S3
    "Object Created" EventBridge event, or ``{"bucket", "key"}`` / ``{"bucket", "dropPrefix"}`` for a manual run."""

    action: Literal["resolve"] = "resolve"
    event: dict[str, Any] = Field(default_factory=dict)
    executionArn: str = Field(min_length=1)


class AcquireInput(StepModel):
    """``{"action": "acquire", "drop", "config", "lock"}``: try the dataset-group lock again."""

    action: Literal["acquire"]
    drop: DropDescription
    config: PipelineConfig
    lock: LockState = Field(default_factory=LockState)


class ReleaseInput(StepModel):
    """``{"action": "release", "drop", "outcome"}``: release the lock, record the outcome on the claim."""

    action: Literal["release"]
    drop: DropDescription
    outcome: Outcome = "FAILED"


def _action(value: Any) -> str:
    """The tag that picks the input model (a missing ``action`` means ``resolve``)."""
    if isinstance(value, dict):
        return str(value.get("action", "resolve"))
    return str(getattr(value, "action", "resolve"))


#: The function's input: one of the three actions.
ResolveDropInput = Annotated[
    Annotated[ResolveInput, Tag("resolve")]
    | Annotated[AcquireInput, Tag("acquire")]
    | Annotated[ReleaseInput, Tag("release")],
    Discriminator(
        _action,
        custom_error_type="unknown_action",
        custom_error_message="action must be resolve, acquire or release",
    ),
]


class ResolveOutput(StepModel):
    """The execution state after "Resolve the drop" (its output replaces the execution input): ``status`` drives
    "Is the drop ready?"; ``drop``, ``config`` and ``lock`` are there when the drop runs (READY or BUSY)."""

    status: ResolveStatus
    reason: str
    drop: DropDescription | None = None
    config: PipelineConfig | None = None
    lock: LockState | None = None


class ReleaseOutput(StepModel):
    """``$.release``: whether the lock was ours to release and what the content claim now says."""

    lockReleased: bool
    claim: Literal["SUCCEEDED", "FAILED", "not-held"]
    outcome: Outcome
