"""The sections of the retrain execution state that more than one step reads, and the models' common base."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StepModel(BaseModel):
    """A value one step hands another: an unknown key is an error (the two sides have drifted apart)."""

    model_config = ConfigDict(extra="forbid")

    def to_state(self) -> dict[str, Any]:
        """The JSON the step emits: exactly the keys that were given, in the model's field order."""
        return self.model_dump(mode="json", exclude_unset=True)


class ExecutionStateInput(BaseModel):
    """A step that gets the whole execution state reads only its sections; the others pass by untouched."""

    model_config = ConfigDict(extra="ignore")


class DropFileEntry(StepModel):
    """One object of the drop, as listed when it was resolved."""

    etag: str
    size: int = Field(ge=0)


class DropDescription(StepModel):
    """``$.drop``: the drop this execution runs (``pipeline.drop.Drop.describe`` plus the execution)."""

    bucket: str = Field(min_length=3)
    dropPrefix: str = Field(pattern=r"^incoming/[^/]+/$")
    folder: str
    dropId: str = Field(min_length=1)
    contentHash: str = Field(pattern=r"^[0-9a-f]{64}$")
    uploadedAt: str
    files: dict[str, DropFileEntry]
    executionArn: str = Field(min_length=1)


class LockState(StepModel):
    """``$.lock``: the dataset-group lock (``acquired`` drives the "Is the lock ours?" choice)."""

    acquired: bool = False
    attempt: int = Field(default=0, ge=0)
    holder: str | None = None
    tookOver: bool = False


class PreparedSchemas(StepModel):
    """The Avro schemas of the two datasets, as JSON strings."""

    interactions: str
    items: str


class PreparedCounts(StepModel):
    """How much the prepared data holds."""

    interactions: int = Field(ge=0)
    users: int = Field(ge=0)
    items: int = Field(ge=0)
    rejectedRows: int = Field(ge=0)


class PreparedData(StepModel):
    """``$.prepared``: what "Prepare data" wrote under ``prepared/<dropId>/``."""

    bucket: str
    outputPrefix: str
    interactionsUri: str = Field(pattern=r"^s3://")
    itemsUri: str = Field(pattern=r"^s3://")
    catalogUri: str = Field(pattern=r"^s3://")
    reportUri: str = Field(pattern=r"^s3://")
    schemas: PreparedSchemas
    eventTypes: list[str]
    counts: PreparedCounts


class PollSection(StepModel):
    """One poll of a Wait + Choice loop (``pipeline.polling.poll_result``): ``complete`` drives the Choice."""

    complete: bool
    attempt: int = Field(ge=1)
    waitingFor: list[str]


class DatasetsSection(PollSection):
    """``$.datasets``: the dataset group and its datasets (``interactions`` / ``items`` -> ARN)."""

    datasetGroupArn: str | None
    datasets: dict[str, str]


class TrainingSection(PollSection):
    """One recipe's training: ``$.training`` inside a Map iteration; ``$.training[*]`` after the Map."""

    recipe: str
    solutionArn: str | None
    solutionVersionArn: str | None


class StepFailure(StepModel):
    """``$.failure``: what the "<step> failed" Pass states record from the Catch's ``$.error``."""

    step: str
    error: str
    cause: str | None = None
