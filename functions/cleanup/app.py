"""Cleanup state machine step: delete one stage of the pipeline's Personalize resources (safe to repeat)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.cleanup import CleanupInput, CleanupOutput
from anime_recommender.pipeline.cleanup import Cleaner
from anime_recommender.pipeline.clients import client, resource_names
from anime_recommender.pipeline.config import CLEANUP_WAIT_SECONDS, stack_poll_interval

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=CleanupInput)
def lambda_handler(event: CleanupInput, context: LambdaContext) -> dict[str, Any]:
    """Input: ``{"stage": <stage>, "attempt": n}``; output: what was deleted, whether the stage is done and how long
    the state machine waits before polling it again (``waitSeconds``)."""
    result = Cleaner(client("personalize"), resource_names()).run_stage(event.stage)
    result["attempt"] = event.attempt + 1
    result["waitSeconds"] = stack_poll_interval() or CLEANUP_WAIT_SECONDS
    output = CleanupOutput.model_validate(result)
    logger.info("cleanup stage polled", extra=output.to_state())
    return output.to_state()
