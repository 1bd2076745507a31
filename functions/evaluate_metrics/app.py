"""Step "Evaluate metrics": candidate vs live metrics, promotion decisions, EMF metrics, report to S3."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.pipeline.clients import client, personalize_resources
from anime_recommender.pipeline.config import PipelineConfig
from anime_recommender.pipeline.evaluation import evaluate

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def _emit(evaluation: dict[str, Any]) -> None:
    """One EMF document per recipe (dimension ``Recipe``) with every offline metric, plus promotion counts."""
    for recipe, values in evaluation["metrics"].items():
        recipe_metrics = EphemeralMetrics()
        recipe_metrics.add_dimension(name="Recipe", value=recipe)
        for name, value in sorted(values.items()):
            recipe_metrics.add_metric(name=name, unit=MetricUnit.NoUnit, value=value)
        recipe_metrics.flush_metrics()
    metrics.add_metric(name="RecipesPromoted", unit=MetricUnit.Count, value=len(evaluation["promoted"]))
    refused = [k for k, d in evaluation["decisions"].items() if "withinTolerance" in d and not d["promote"]]
    metrics.add_metric(name="PromotionsRefused", unit=MetricUnit.Count, value=len(refused))


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``evaluation`` section."""
    config = PipelineConfig.model_validate(event["config"])
    result = evaluate(personalize_resources(), client("s3"), config, event["drop"], event["training"])
    _emit(result)
    logger.info("evaluated", extra={"promoted": result["promoted"], "report": result["reportUri"]})
    return result
