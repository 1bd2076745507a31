"""Steps "Notify success" / "Notify failure": the outcome and the whole execution state in, ``$.notification`` out.

The state is read leniently on purpose: a failure can come from any step, even before the drop was resolved, and
its notification must still go out. Only ``failure`` (written by the "<step> failed" Pass states) is typed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from anime_recommender.contracts.steps.state import StepFailure, StepModel


class NotifiedState(StepModel):
    """The execution state as the notification reads it."""

    model_config = ConfigDict(extra="allow")

    failure: StepFailure | None = None


class NotifyInput(StepModel):
    """``{"outcome", "state": $, "executionArn": $$.Execution.Id}``."""

    outcome: Literal["SUCCEEDED", "FAILED"]
    state: NotifiedState
    executionArn: str | None = None


class NotifyOutput(StepModel):
    """``$.notification``: the SNS message id and subject, and the one-line summary ("Pipeline failed" shows it)."""

    messageId: str
    subject: str
    summary: str
