"""Step "Prepare data": validate a Kaggle drop in S3 and write the Personalize datasets next to it.

Input and output: ``anime_recommender.contracts.steps.prepare_data`` (the drop's bucket, prefix and id, where to
write and the options in; the output URIs, schemas, event types and counts out). Fatal problems raise
DataValidationError (the Step Functions error name) after report.json is written.
"""

from __future__ import annotations

import tempfile
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.prepare_data import PrepareDataInput, PrepareDataOutput
from anime_recommender.prepare_data import DataValidationError, PrepareOptions, prepare_drop
from anime_recommender.prepare_data.s3_storage import S3Storage

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=PrepareDataInput)
def lambda_handler(event: PrepareDataInput, context: LambdaContext) -> dict[str, Any]:
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
    output = PrepareDataOutput(
        bucket=event.bucket,
        outputPrefix=destination.prefix,
        interactionsUri=prepared.uris["interactions"],
        itemsUri=prepared.uris["items"],
        catalogUri=prepared.uris["catalog"],
        reportUri=prepared.uris["report"],
        schemas=prepared.schema_strings(),
        eventTypes=prepared.event_types,
        counts=prepared.counts,
    )
    return output.to_state()
