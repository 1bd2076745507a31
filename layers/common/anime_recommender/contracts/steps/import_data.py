"""Step "Import data": the execution state in, ``$.imports`` (one import job per dataset) out."""

from __future__ import annotations

from anime_recommender.contracts.steps.state import (
    DatasetsSection,
    DropDescription,
    ExecutionStateInput,
    PollSection,
    PreparedData,
)
from anime_recommender.pipeline.config import PipelineConfig


class ImportsSection(PollSection):
    """``$.imports``: dataset key (``interactions`` / ``items``) -> this drop's import job ARN."""

    jobs: dict[str, str]


class ImportDataInput(ExecutionStateInput):
    """The sections "Import data" reads."""

    config: PipelineConfig
    drop: DropDescription
    prepared: PreparedData
    datasets: DatasetsSection
    imports: ImportsSection | None = None


#: ``$.imports``.
ImportDataOutput = ImportsSection
