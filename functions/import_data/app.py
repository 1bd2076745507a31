"""Step "Import data": start this drop's import jobs once, then report their progress (one poll per call)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.pipeline.clients import personalize_resources
from anime_recommender.pipeline.config import PipelineConfig
from anime_recommender.pipeline.imports import import_data

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``imports`` section."""
    config = PipelineConfig.model_validate(event["config"])
    prepared = event["prepared"]
    result = import_data(
        personalize_resources(),
        datasets=event["datasets"]["datasets"],
        data_uris={"interactions": prepared["interactionsUri"], "items": prepared["itemsUri"]},
        content_hash=event["drop"]["contentHash"],
        import_mode=config.importMode,
        attempt=int((event.get("imports") or {}).get("attempt", 0)),
        budget=config.polling.imports,
        previous_jobs=(event.get("imports") or {}).get("jobs"),
    )
    logger.info("imports polled", extra={"complete": result["complete"], "waitingFor": result["waitingFor"]})
    return result
