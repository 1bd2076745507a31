"""Step "Resolve the drop" (and the lock's acquire/release): is the drop complete, new, and may it run now?

Actions: ``resolve`` (input: the EventBridge "Object Created" event, or ``{"bucket", "key"}`` for a manual run),
``acquire`` (retry the dataset-group lock while another drop runs), ``release`` (end of run, success or failure).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser, parse
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.resolve_drop import (
    AcquireInput,
    ReleaseInput,
    ReleaseOutput,
    ResolveDropInput,
    ResolveInput,
    ResolveOutput,
)
from anime_recommender.contracts.steps.state import LockState
from anime_recommender.pipeline import resolve as domain
from anime_recommender.pipeline.clients import client, markers, resource_names
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
@event_parser(model=ResolveDropInput)
def lambda_handler(event: ResolveInput | AcquireInput | ReleaseInput, context: LambdaContext) -> dict[str, Any]:
    """Dispatch on ``action``: the resolved state, the ``lock`` section or the ``release`` section."""
    names = resource_names()
    if isinstance(event, ResolveInput):
        bucket, key = _bucket_and_key(event.event)
        resolved = ResolveOutput.model_validate(
            domain.resolve(client("s3"), markers(bucket), names, bucket, key, event.executionArn)
        )
        logger.info("drop resolved", extra={"status": resolved.status, "reason": resolved.reason})
        return resolved.to_state()
    drop = event.drop.to_state()
    if isinstance(event, AcquireInput):
        max_attempts = event.config.polling.lock.maxAttempts
        lock = domain.acquire_lock(markers(event.drop.bucket), names, drop, event.lock.attempt, max_attempts)
        return LockState.model_validate(lock).to_state()
    released = ReleaseOutput.model_validate(domain.release(markers(event.drop.bucket), names, drop, event.outcome))
    logger.info("drop released", extra=released.to_state())
    return released.to_state()
