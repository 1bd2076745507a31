"""Step "Deploy campaigns": the execution state in, ``$.deployment`` (campaigns, filters, tracker, SSM) out."""

from __future__ import annotations

from anime_recommender.contracts.steps.evaluate_metrics import EvaluationSection
from anime_recommender.contracts.steps.state import (
    DatasetsSection,
    ExecutionStateInput,
    PollSection,
    PreparedData,
    TrainingSection,
)
from anime_recommender.pipeline.config import PipelineConfig


class DeploymentSection(PollSection):
    """``$.deployment``: promoted recipe -> campaign ARN, filter name -> ARN, the tracking id, and (once complete)
    every SSM parameter published."""

    campaigns: dict[str, str]
    filters: dict[str, str]
    trackingId: str | None
    published: dict[str, str] | None = None


class DeployCampaignsInput(ExecutionStateInput):
    """The sections "Deploy campaigns" reads."""

    config: PipelineConfig
    datasets: DatasetsSection
    prepared: PreparedData
    training: list[TrainingSection]
    evaluation: EvaluationSection
    deployment: DeploymentSection | None = None


#: ``$.deployment``.
DeployCampaignsOutput = DeploymentSection
