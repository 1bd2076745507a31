"""The cleanup state machine's step (``statemachine/cleanup.asl.json``): a stage in, what it deleted out."""

from __future__ import annotations

from pydantic import Field, field_validator

from anime_recommender.contracts.steps.state import StepModel
from anime_recommender.pipeline.cleanup import STAGES


class CleanupInput(StepModel):
    """``{"stage": <stage>}`` (``attempt`` is optional)."""

    stage: str
    attempt: int = Field(default=0, ge=0)

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, stage: str) -> str:
        if stage not in STAGES:
            raise ValueError(f"unknown cleanup stage {stage!r}; stages: {', '.join(STAGES)}")
        return stage


class CleanupOutput(StepModel):
    """``$.<stage>``: ``complete`` drives the stage's Choice, ``waitSeconds`` its Wait."""

    stage: str
    complete: bool
    deleted: list[str]
    waitingFor: list[str]
    remaining: int = Field(ge=0)
    attempt: int = Field(ge=1)
    waitSeconds: int = Field(ge=1)
