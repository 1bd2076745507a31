"""Step "Train solution" (one Map iteration per recipe): solution + this drop's solution version, one poll per call."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.train_solutions import TrainSolutionInput, TrainSolutionOutput
from anime_recommender.pipeline.clients import personalize_resources
from anime_recommender.pipeline.training import train_solution

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=TrainSolutionInput)
def lambda_handler(event: TrainSolutionInput, context: LambdaContext) -> dict[str, Any]:
    """Input: ``{recipe, datasetGroupArn, contentHash, polling, training?}``; output: the ``training`` section."""
    result = train_solution(
        personalize_resources(),
        dataset_group_arn=event.datasetGroupArn,
        recipe=event.recipe,
        content_hash=event.contentHash,
        previous=event.training.to_state() if event.training else {},
        budget=event.polling,
    )
    training = TrainSolutionOutput.model_validate(result)
    logger.info("training polled", extra={"recipe": training.recipe, "complete": training.complete})
    return training.to_state()
