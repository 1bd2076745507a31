"""Step "Ensure datasets": describe-or-create the dataset group, schemas and datasets (one poll per call)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.pipeline.clients import personalize_resources
from anime_recommender.pipeline.config import PipelineConfig
from anime_recommender.pipeline.datasets import ensure_datasets

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``datasets`` section."""
    config = PipelineConfig.model_validate(event["config"])
    attempt = int((event.get("datasets") or {}).get("attempt", 0))
    result = ensure_datasets(personalize_resources(), event["prepared"]["schemas"], attempt, config.polling.datasets)
    logger.info("datasets polled", extra={"complete": result["complete"], "waitingFor": result["waitingFor"]})
    return result
