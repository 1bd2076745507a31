"""Recommendations REST API: one Lambda behind an HTTP API, routed by Powertools' event handler.

Thin by design: the resolver (OpenAPI validation, CORS, Swagger), the API's routes from the layer
(``anime_recommender.recommendations_api.routes``: parameters parsed and validated from their signatures, the work
done by the service), and one exception handler that maps any error through ``error_mapping``: 4xx naming the
parameter, 503 with Retry-After for upstream failures, 500 with the request id.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.models import Server
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.recommendations_api import RecommendationService
from anime_recommender.recommendations_api.authorization import require_own_user
from anime_recommender.recommendations_api.error_mapping import (
    UNEXPECTED,
    classify,
    error_response,
    error_result,
    report,
)
from anime_recommender.recommendations_api.openapi import DocumentedHttpResolver
from anime_recommender.recommendations_api.request_input import parse_json_body, routable_event
from anime_recommender.recommendations_api.routes import (
    API_DESCRIPTION,
    API_TITLE,
    API_VERSION,
    SWAGGER_PATH,
    recommendations_router,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AnimeRecommender"))
app = DocumentedHttpResolver(
    enable_validation=True,
    cors=CORSConfig(allow_origin="*", max_age=300),
    json_body_deserializer=parse_json_body,
)
app.enable_swagger(
    path=SWAGGER_PATH,
    title=API_TITLE,
    version=API_VERSION,
    description=API_DESCRIPTION,
    # Relative to the Swagger page / the document's own URL, so "Try it out" calls this API under any stage,
    # custom-domain mapping or proxy prefix (a bare "/" would drop that prefix).
    servers=[Server(url=".", description="This API (where this document was served from)")],
)
app.use(middlewares=[require_own_user])  # userId routes: the token's own user or a trusted service (docs/security.md)


@functools.cache
def recommendation_service() -> RecommendationService:
    """One service per execution environment: its SSM values and catalog stay cached between invocations."""
    return RecommendationService.from_environment()


@functools.cache
def documented_routes() -> list[str]:
    """``METHOD /path`` of every operation in the OpenAPI document."""
    schema = app.get_openapi_schema(title=API_TITLE, version=API_VERSION).model_dump(exclude_none=True)
    return [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item]


# The service is looked up at call time (tests swap ``recommendation_service`` for one on their backend).
app.include_router(
    recommendations_router(service=lambda: recommendation_service(), documented_routes=documented_routes)
)


@app.exception_handler(Exception)
def handle_any_error(error: Exception) -> Response:
    """Every exception a route, its validation or the router raises (unknown routes included)."""
    problem = classify(error, app.current_event, documented_routes())
    report(problem, logger)
    return error_response(problem, app.current_event.request_context.request_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway HTTP API (payload v2) → Powertools router; an event the router cannot read is a logged 500."""
    try:
        result = app.resolve(routable_event(event), context)
    except Exception:
        report(UNEXPECTED, logger)
        result = error_result(UNEXPECTED, context.aws_request_id)
    metrics.add_metric(name=f"Http{result['statusCode'] // 100}xx", unit=MetricUnit.Count, value=1)
    return result
