"""Step "Train solution" (one Map iteration per configured recipe): the Map's ``ItemSelector`` in, the iteration's
``$.training`` out (``$.training[*]`` of the execution state once the Map is done)."""

from __future__ import annotations

from anime_recommender.contracts.steps.state import StepModel, TrainingSection
from anime_recommender.pipeline.config import PollBudget, RecipeSettings


class TrainSolutionInput(StepModel):
    """``{recipe, datasetGroupArn, contentHash, polling}`` from the ``ItemSelector``, plus ``training`` (the last
    poll) from the second call on."""

    recipe: RecipeSettings
    datasetGroupArn: str
    contentHash: str
    polling: PollBudget
    training: TrainingSection | None = None


#: The iteration's ``$.training``.
TrainSolutionOutput = TrainingSection
