"""Step "Evaluate metrics": the execution state in (config, drop, every recipe's training), ``$.evaluation`` out."""

from __future__ import annotations

from anime_recommender.contracts.steps.state import DropDescription, ExecutionStateInput, StepModel, TrainingSection
from anime_recommender.pipeline.config import PipelineConfig


class BaselineCheck(StepModel):
    """Does the challenger beat the popularity baseline trained on the same data (``pipeline.promotion``)?"""

    required: bool
    passed: bool
    metric: str | None = None
    challenger: str | None = None
    challengerValue: float | None = None
    baseline: str | None = None
    baselineValue: float | None = None
    reason: str


class PromotionDecision(StepModel):
    """One recipe's decision; ``withinTolerance`` is there for deployable recipes only."""

    metric: str
    candidate: float
    live: float | None = None
    threshold: float | None = None
    promote: bool
    withinTolerance: bool | None = None
    reason: str
    liveSolutionVersionArn: str | None = None
    solutionVersionArn: str | None = None


class EvaluationSection(StepModel):
    """``$.evaluation``: metrics of every candidate, the decisions and the promoted recipe keys."""

    reportUri: str
    primaryMetric: str
    metrics: dict[str, dict[str, float]]
    baseline: BaselineCheck
    decisions: dict[str, PromotionDecision]
    promoted: list[str]


class EvaluateMetricsInput(ExecutionStateInput):
    """The sections "Evaluate metrics" reads."""

    config: PipelineConfig
    drop: DropDescription
    training: list[TrainingSection]


#: ``$.evaluation``.
EvaluateMetricsOutput = EvaluationSection
