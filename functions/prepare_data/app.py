"""prepare_data Lambda: validate a Kaggle drop in S3 and write the Personalize datasets next to it.

Input:  {"bucket", "dropPrefix": "incoming/<name>/", "dropId", "outputPrefix": "prepared/<dropId>/",
         "options": {"keepUnknownAnime": false, "snapshotDate": "YYYY-MM-DD"}}   (options optional)
Output: {"bucket", "outputPrefix", "interactionsUri", "itemsUri", "catalogUri", "reportUri",
         "schemas": {"interactions": "<Avro JSON>", "items": "<Avro JSON>"}, "eventTypes": [...],
         "counts": {"interactions", "users", "items", "rejectedRows"}}
Fatal problems raise DataValidationError (the Step Functions error name) after report.json is written.
"""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from anime_recommender.prepare_data import DataValidationError, PrepareOptions, prepare_drop
from anime_recommender.prepare_data.s3_storage import S3Storage
from anime_recommender.prepare_data.timestamps import DEFAULT_SNAPSHOT_DATE

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class PrepareDataOptions(BaseModel):
    """Optional knobs of one run."""

    model_config = ConfigDict(extra="forbid")

    keepUnknownAnime: bool = False
    snapshotDate: date = DEFAULT_SNAPSHOT_DATE


class PrepareDataEvent(BaseModel):
    """The state machine's input to this step."""

    bucket: str = Field(min_length=3)
    dropPrefix: str = Field(min_length=1)
    dropId: str = Field(min_length=1)
    outputPrefix: str = Field(min_length=1)
    options: PrepareDataOptions = Field(default_factory=PrepareDataOptions)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=PrepareDataEvent)
def lambda_handler(event: PrepareDataEvent, context: LambdaContext) -> dict[str, Any]:
    """Run the preparation; return the output locations, schemas, event types and counts."""
    s3 = boto3.client("s3")
    source = S3Storage(s3, event.bucket, event.dropPrefix)
    destination = S3Storage(s3, event.bucket, event.outputPrefix)
    options = PrepareOptions(
        keep_unknown_anime=event.options.keepUnknownAnime,
        snapshot_date=event.options.snapshotDate,
        work_dir=tempfile.gettempdir(),
    )
    logger.append_keys(dropId=event.dropId)
    try:
        prepared = prepare_drop(source, destination, options, drop_id=event.dropId)
    except DataValidationError as error:
        logger.warning("drop rejected", extra={"reason": error.message, "report": destination.uri("report.json")})
        metrics.add_metric(name="DropsRejected", unit=MetricUnit.Count, value=1)
        raise
    for name, value in prepared.counts.items():
        metrics.add_metric(name=f"Prepared{name[0].upper()}{name[1:]}", unit=MetricUnit.Count, value=value)
    logger.info("drop prepared", extra={"counts": prepared.counts, "eventTypes": prepared.event_types})
    return {
        "bucket": event.bucket,
        "outputPrefix": destination.prefix,
        "interactionsUri": prepared.uris["interactions"],
        "itemsUri": prepared.uris["items"],
        "catalogUri": prepared.uris["catalog"],
        "reportUri": prepared.uris["report"],
        "schemas": prepared.schema_strings(),
        "eventTypes": prepared.event_types,
        "counts": prepared.counts,
    }
