"""Step "Train solution" (one Map iteration per recipe): solution + this drop's solution version, one poll per call."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.pipeline.clients import personalize_resources
from anime_recommender.pipeline.config import PollBudget, RecipeSettings
from anime_recommender.pipeline.training import train_solution

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: ``{recipe, datasetGroupArn, contentHash, polling, training?}``; output: the ``training`` section."""
    recipe = RecipeSettings.model_validate(event["recipe"])
    result = train_solution(
        personalize_resources(),
        dataset_group_arn=event["datasetGroupArn"],
        recipe=recipe,
        content_hash=event["contentHash"],
        previous=event.get("training") or {},
        budget=PollBudget.model_validate(event["polling"]),
    )
    logger.info("training polled", extra={"recipe": recipe.key, "complete": result["complete"]})
    return result
