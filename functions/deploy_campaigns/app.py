"""Step "Deploy campaigns": promoted versions to campaigns, event tracker, filters, SSM (one poll per call)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.deploy_campaigns import DeployCampaignsInput, DeployCampaignsOutput
from anime_recommender.pipeline.clients import client, personalize_resources
from anime_recommender.pipeline.deployment import deploy

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=DeployCampaignsInput)
def lambda_handler(event: DeployCampaignsInput, context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``deployment`` section."""
    result = deploy(
        personalize_resources(),
        client("ssm"),
        event.config,
        dataset_group_arn=event.datasets.datasetGroupArn or "",
        items_dataset_arn=event.datasets.datasets["items"],
        trained=[item.to_state() for item in event.training],
        promoted=event.evaluation.promoted,
        prepared=event.prepared.to_state(),
        attempt=event.deployment.attempt if event.deployment else 0,
    )
    deployment = DeployCampaignsOutput.model_validate(result)
    logger.info("deployment polled", extra={"complete": deployment.complete, "waitingFor": deployment.waitingFor})
    return deployment.to_state()
