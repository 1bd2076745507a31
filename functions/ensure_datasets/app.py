"""Step "Ensure datasets": describe-or-create the dataset group, schemas and datasets (one poll per call)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.ensure_datasets import EnsureDatasetsInput, EnsureDatasetsOutput
from anime_recommender.pipeline.clients import personalize_resources
from anime_recommender.pipeline.datasets import ensure_datasets

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=EnsureDatasetsInput)
def lambda_handler(event: EnsureDatasetsInput, context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``datasets`` section."""
    attempt = event.datasets.attempt if event.datasets else 0
    schemas = event.prepared.schemas.to_state()
    result = EnsureDatasetsOutput.model_validate(
        ensure_datasets(personalize_resources(), schemas, attempt, event.config.polling.datasets)
    )
    logger.info("datasets polled", extra={"complete": result.complete, "waitingFor": result.waitingFor})
    return result.to_state()
