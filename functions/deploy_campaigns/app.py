"""Step "Deploy campaigns": promoted versions to campaigns, event tracker, filters, SSM (one poll per call)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.pipeline.clients import client, personalize_resources
from anime_recommender.pipeline.config import PipelineConfig
from anime_recommender.pipeline.deployment import deploy

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``deployment`` section."""
    config = PipelineConfig.model_validate(event["config"])
    result = deploy(
        personalize_resources(),
        client("ssm"),
        config,
        dataset_group_arn=event["datasets"]["datasetGroupArn"],
        items_dataset_arn=event["datasets"]["datasets"]["items"],
        trained=event["training"],
        promoted=event["evaluation"]["promoted"],
        prepared=event["prepared"],
        attempt=int((event.get("deployment") or {}).get("attempt", 0)),
    )
    logger.info("deployment polled", extra={"complete": result["complete"], "waitingFor": result["waitingFor"]})
    return result
