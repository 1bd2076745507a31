"""Step "Resolve the drop" (and the lock's acquire/release): is the drop complete, new, and may it run now?

Actions: ``resolve`` (input: the EventBridge "Object Created" event, or ``{"bucket", "key"}`` for a manual run),
``acquire`` (retry the dataset-group lock while another drop runs), ``release`` (end of run, success or failure).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.pipeline import resolve as domain
from anime_recommender.pipeline.clients import client, markers, resource_names
from anime_recommender.pipeline.config import PipelineConfig
from anime_recommender.pipeline.errors import DropError

logger = Logger()
tracer = Tracer()


def _bucket_and_key(event: dict[str, Any]) -> tuple[str, str]:
    if "detail" in event:
        parsed = parse(event=event, model=S3EventNotificationEventBridgeModel)
        return parsed.detail.bucket.name, parsed.detail.object.key
    if event.get("bucket") and (event.get("key") or event.get("dropPrefix")):
        key = event.get("key") or f"{str(event['dropPrefix']).rstrip('/')}/anime.csv"
        return str(event["bucket"]), str(key)
    raise DropError(
        'the execution input must be an S3 \'Object Created\' EventBridge event, or {"bucket": ..., "key": ...} / '
        '{"bucket": ..., "dropPrefix": "incoming/<drop>/"} for a manual run'
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Dispatch on ``action``."""
    action = event.get("action", "resolve")
    names = resource_names()
    if action == "resolve":
        bucket, key = _bucket_and_key(event.get("event") or {})
        result = domain.resolve(client("s3"), markers(bucket), names, bucket, key, event["executionArn"])
        logger.info("drop resolved", extra={"status": result["status"], "reason": result["reason"]})
        return result
    drop = event["drop"]
    if action == "acquire":
        config = PipelineConfig.model_validate(event["config"])
        attempt = int(event.get("lock", {}).get("attempt", 0))
        return domain.acquire_lock(markers(drop["bucket"]), names, drop, attempt, config.polling.lock.maxAttempts)
    if action == "release":
        result = domain.release(markers(drop["bucket"]), names, drop, str(event.get("outcome", "FAILED")))
        logger.info("drop released", extra=result)
        return result
    raise ValueError(f"unknown action {action!r}: expected resolve, acquire or release")
