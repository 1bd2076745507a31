"""Step "Ensure datasets": the execution state in (config, prepared schemas, the last poll), ``$.datasets`` out."""

from __future__ import annotations

from anime_recommender.contracts.steps.state import DatasetsSection, ExecutionStateInput, PreparedData
from anime_recommender.pipeline.config import PipelineConfig


class EnsureDatasetsInput(ExecutionStateInput):
    """The sections "Ensure datasets" reads."""

    config: PipelineConfig
    prepared: PreparedData
    datasets: DatasetsSection | None = None


#: ``$.datasets``.
EnsureDatasetsOutput = DatasetsSection
