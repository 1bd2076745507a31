"""Step "Evaluate metrics": candidate vs live metrics, promotion decisions, EMF metrics, report to S3."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.evaluate_metrics import (
    EvaluateMetricsInput,
    EvaluateMetricsOutput,
    EvaluationSection,
)
from anime_recommender.pipeline.clients import client, personalize_resources
from anime_recommender.pipeline.evaluation import evaluate

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def _emit(evaluation: EvaluationSection) -> None:
    """One EMF document per recipe (dimension ``Recipe``) with every offline metric, plus promotion counts."""
    for recipe, values in evaluation.metrics.items():
        recipe_metrics = EphemeralMetrics()
        recipe_metrics.add_dimension(name="Recipe", value=recipe)
        for name, value in sorted(values.items()):
            recipe_metrics.add_metric(name=name, unit=MetricUnit.NoUnit, value=value)
        recipe_metrics.flush_metrics()
    metrics.add_metric(name="RecipesPromoted", unit=MetricUnit.Count, value=len(evaluation.promoted))
    refused = [k for k, d in evaluation.decisions.items() if d.withinTolerance is not None and not d.promote]
    metrics.add_metric(name="PromotionsRefused", unit=MetricUnit.Count, value=len(refused))


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=EvaluateMetricsInput)
def lambda_handler(event: EvaluateMetricsInput, context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``evaluation`` section."""
    trained = [item.to_state() for item in event.training]
    result = evaluate(personalize_resources(), client("s3"), event.config, event.drop.to_state(), trained)
    evaluation = EvaluateMetricsOutput.model_validate(result)
    _emit(evaluation)
    logger.info("evaluated", extra={"promoted": evaluation.promoted, "report": evaluation.reportUri})
    return evaluation.to_state()
