"""Step "Import data": start this drop's import jobs once, then report their progress (one poll per call)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.contracts.steps.import_data import ImportDataInput, ImportDataOutput
from anime_recommender.pipeline.clients import personalize_resources
from anime_recommender.pipeline.imports import import_data

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ImportDataInput)
def lambda_handler(event: ImportDataInput, context: LambdaContext) -> dict[str, Any]:
    """Input: the execution state; output: its ``imports`` section."""
    prepared = event.prepared
    result = import_data(
        personalize_resources(),
        datasets=event.datasets.datasets,
        data_uris={"interactions": prepared.interactionsUri, "items": prepared.itemsUri},
        content_hash=event.drop.contentHash,
        import_mode=event.config.importMode,
        attempt=event.imports.attempt if event.imports else 0,
        budget=event.config.polling.imports,
        previous_jobs=event.imports.jobs if event.imports else None,
    )
    imports = ImportDataOutput.model_validate(result)
    logger.info("imports polled", extra={"complete": imports.complete, "waitingFor": imports.waitingFor})
    return imports.to_state()
