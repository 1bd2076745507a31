"""Step "Notify": SNS message with the metrics table, decisions and execution link - or the failing step and why."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.notify import NotifyInput, NotifyOutput
from anime_recommender.pipeline.clients import client
from anime_recommender.pipeline.notification import failure_message, failure_summary, success_message

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=NotifyInput)
def lambda_handler(event: NotifyInput, context: LambdaContext) -> dict[str, Any]:
    """Input: ``{outcome: SUCCEEDED|FAILED, state, executionArn}``; publishes to ``TOPIC_ARN``."""
    state = event.state.to_state()
    if event.outcome == "SUCCEEDED":
        subject, message = success_message(state, event.executionArn)
        summary = subject
        metrics.add_metric(name="RetrainSucceeded", unit=MetricUnit.Count, value=1)
    else:
        subject, message = failure_message(state, event.executionArn)
        summary = failure_summary(state.get("failure") or {})
        metrics.add_metric(name="RetrainFailed", unit=MetricUnit.Count, value=1)
    response = client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Subject=subject, Message=message)
    logger.info("notification sent", extra={"subject": subject})
    return NotifyOutput(messageId=response["MessageId"], subject=subject, summary=summary).to_state()
