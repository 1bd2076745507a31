"""Recommendations REST API: one Lambda behind an HTTP API, routed by Powertools' event handler.

Thin by design: parameters are parsed and validated here (OpenAPI generated from these signatures), the work is
done by ``anime_recommender.recommendations_api``, and ``classify`` is the one place where any exception becomes a
JSON error: 4xx naming the parameter, 503 with Retry-After for upstream failures, 500 with the request id.
"""

from __future__ import annotations

import binascii
import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Annotated, Any

from annotated_types import Ge
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, ValidationException
from aws_lambda_powertools.event_handler.openapi.models import Server
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BeforeValidator

from anime_recommender.forward_events.record import Id256
from anime_recommender.recommendations_api import (
    DEFAULT_NUM_RESULTS,
    MAX_NUM_RESULTS,
    MAX_RANKING_IDS,
    AnimeDetail,
    ApiIndex,
    ErrorBody,
    EventAccepted,
    EventRequest,
    FilterRequest,
    RankingRequest,
    RecommendationError,
    RecommendationList,
    RecommendationService,
    UnsupportedMediaTypeError,
    split_values,
)
from anime_recommender.recommendations_api.authorization import AccessDeniedError, require_own_user
from anime_recommender.recommendations_api.openapi import DocumentedHttpResolver
from anime_recommender.recommendations_api.request_input import (
    decode_path_segment,
    is_json_content_type,
    parse_json_body,
    routable_event,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AnimeRecommender"))
app = DocumentedHttpResolver(
    enable_validation=True,
    cors=CORSConfig(allow_origin="*", max_age=300),
    json_body_deserializer=parse_json_body,
)
API_TITLE = "Anime recommendations API"
API_VERSION = "1.0.0"
SWAGGER_PATH = "/swagger"
app.enable_swagger(
    path=SWAGGER_PATH,
    title=API_TITLE,
    version=API_VERSION,
    description=(
        "Titled anime recommendations from Amazon Personalize campaigns trained by the retraining pipeline. "
        "Errors are JSON `{statusCode, error, message, parameter?, requestId?}`: 400 names the bad parameter, "
        "404 an unknown anime, 415 a body that is not `application/json`, 503 (with `Retry-After`) means "
        "Personalize is throttling, failing or no campaign is live yet, 500 is a bug (find `requestId` in the logs)."
    ),
    # Relative to the Swagger page / the document's own URL, so "Try it out" calls this API under any stage,
    # custom-domain mapping or proxy prefix (a bare "/" would drop that prefix).
    servers=[Server(url=".", description="This API (where this document was served from)")],
)
app.use(middlewares=[require_own_user])  # userId routes: the token's own user or a trusted service (docs/security.md)

USER_ID = Annotated[
    Id256,
    BeforeValidator(decode_path_segment),
    Path(description="The user's id, percent-encoded: any id the event stream accepts (1 to 256 characters)."),
]
ANIME_ID = Annotated[
    Annotated[int, Ge(1)],
    BeforeValidator(decode_path_segment),
    Path(description="Anime id (MyAnimeList id), >= 1."),
]
MAX_YEAR = 9999
PATH_PARTS = re.compile(r"(\{[^}/]+\})")
NUM_RESULTS = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_NUM_RESULTS,
        description=f"How many items, 1 to {MAX_NUM_RESULTS} (one page of titled results; default "
        f"{DEFAULT_NUM_RESULTS}).",
    ),
]

PARAMETER_HINTS = {
    "numResults": f"numResults must be an integer from 1 to {MAX_NUM_RESULTS}: the API returns one page of titled "
    "results (Personalize itself allows up to 500, but every item is decorated from the catalog)",
    "yearFrom": "yearFrom must be a whole year such as 2005",
    "yearTo": "yearTo must be a whole year such as 2015",
    "excludeWatched": "excludeWatched must be true or false",
    "animeId": "animeId must be a positive integer anime id",
    "userId": "userId must be 1 to 256 characters once percent-decoded and trimmed, as in the event stream",
    "animeIds": f"animeIds must be a list of 1 to {MAX_RANKING_IDS} integer anime ids (Personalize's ranking limit)",
    "eventType": "eventType is required: 1 to 256 characters, e.g. watch, rating, completed",
    "eventValue": "eventValue must be a finite JSON number (0 is allowed; NaN and Infinity are not)",
}

ERROR_DESCRIPTIONS = {
    400: "A parameter is invalid; `parameter` names it.",
    401: "No valid bearer token (the HTTP API's JWT authorizer, or the function when no identity reached it).",
    403: "The token belongs to another user and is not a trusted service's (docs/security.md).",
    404: "The anime is not in the catalog.",
    415: "The body is not sent as `Content-Type: application/json`; `parameter` is `Content-Type`.",
    500: "A bug: logged with the stack trace under `requestId`.",
    503: "Personalize is throttling or failing, or no campaign is live yet; retry after `Retry-After` seconds.",
}


def declared(success: int, description: str, *errors: int) -> dict[int, Any]:
    """The responses of one route: its success, the error statuses it can return, and 500."""
    responses: dict[int, Any] = {success: {"description": description}}
    for status in (*errors, 500):
        content = {"application/json": {"model": ErrorBody}}
        responses[status] = {"description": ERROR_DESCRIPTIONS[status], "content": content}
    return responses


@functools.cache
def recommendation_service() -> RecommendationService:
    """One service per execution environment: its SSM values and catalog stay cached between invocations."""
    return RecommendationService.from_environment()


def request_body_is_not_json() -> bool:
    """True for a POST whose Content-Type is not application/json (the API only reads JSON bodies)."""
    event = app.current_event
    return event.http_method.upper() == "POST" and not is_json_content_type(event.headers.get("content-type"))


def require_json_body(router: DocumentedHttpResolver, next_middleware: Callable[..., Any]) -> Any:
    """Route middleware of the POST routes: a body that validated as a form or without Content-Type is still 415."""
    if request_body_is_not_json():
        raise UnsupportedMediaTypeError(router.current_event.headers.get("content-type") or "")
    return next_middleware(router)


# ---------------------------------------------------------------------------------------------------- routes
@app.get(
    "/users/<userId>/recommendations",
    summary="Recommendations for a user",
    description="Top anime for the user from the user-personalization campaign, optionally filtered by genre, "
    "studio, premiere year and already-watched anime (the pipeline's parameterised filters).",
    tags=["recommendations"],
    responses=declared(200, "Ranked, titled anime.", 400, 401, 403, 503),
)
def get_user_recommendations(
    userId: USER_ID,
    genre: Annotated[
        list[str] | None, Query(description="Genre(s), comma-separated or repeated, e.g. Action,Slice of Life.")
    ] = None,
    studio: Annotated[list[str] | None, Query(description="Studio(s), comma-separated or repeated.")] = None,
    yearFrom: Annotated[int | None, Query(ge=1, le=MAX_YEAR, description="Earliest premiere year (inclusive).")] = None,
    yearTo: Annotated[int | None, Query(ge=1, le=MAX_YEAR, description="Latest premiere year (inclusive).")] = None,
    excludeWatched: Annotated[
        bool, Query(description="Leave out anime the user already rated, watched, completed or dropped.")
    ] = False,
    numResults: NUM_RESULTS = DEFAULT_NUM_RESULTS,
) -> RecommendationList:
    request = FilterRequest(
        genres=split_values(genre),
        studios=split_values(studio),
        year_from=yearFrom,
        year_to=yearTo,
        exclude_watched=excludeWatched,
    )
    return recommendation_service().recommend_for_user(userId, request, numResults)


@app.get(
    "/anime/<animeId>/similar",
    summary="Anime similar to one anime",
    description="From the SIMS campaign (co-watched anime). SIMS gives no scores.",
    tags=["recommendations"],
    responses=declared(200, "Similar anime, titled.", 400, 401, 404, 503),
)
def get_similar_anime(animeId: ANIME_ID, numResults: NUM_RESULTS = DEFAULT_NUM_RESULTS) -> RecommendationList:
    return recommendation_service().similar_anime(animeId, numResults)


@app.post(
    "/users/<userId>/rankings",
    summary="Rank anime for a user",
    description="Reorders the given anime for the user with the personalized-ranking campaign.",
    tags=["recommendations"],
    responses=declared(200, "The same anime, best first.", 400, 401, 403, 404, 415, 503),
    middlewares=[require_json_body],
)
def post_user_rankings(userId: USER_ID, body: Annotated[RankingRequest, Body()]) -> RecommendationList:
    return recommendation_service().rank_for_user(userId, body.animeIds)


@app.post(
    "/users/<userId>/events",
    summary="Record what a user did",
    description="Sends one interaction to the Personalize event tracker so recommendations adapt in real time.",
    tags=["events"],
    status_code=202,
    responses=declared(202, "Sent to the event tracker.", 400, 401, 403, 404, 415, 503),
    middlewares=[require_json_body],
)
def post_user_event(userId: USER_ID, body: Annotated[EventRequest, Body()]) -> EventAccepted:
    return recommendation_service().record_event(userId, body)


@app.get(
    "/anime/<animeId>",
    summary="One anime from the catalog",
    tags=["catalog"],
    responses=declared(200, "The catalog entry.", 400, 401, 404, 503),
)
def get_anime(animeId: ANIME_ID) -> AnimeDetail:
    return recommendation_service().describe_anime(animeId)


@app.get(
    "/",
    summary="What this API is",
    description="Links to Swagger UI and the OpenAPI document (relative to the API's base URL), and every route.",
    tags=["meta"],
    responses=declared(200, "The API's name, version, documentation links and routes."),
)
def get_index() -> ApiIndex:
    return ApiIndex(
        name=API_TITLE,
        version=API_VERSION,
        documentation={"swaggerUi": SWAGGER_PATH.lstrip("/"), "openApi": f"{SWAGGER_PATH.lstrip('/')}?format=json"},
        routes=documented_routes(),
    )


@functools.cache
def documented_routes() -> list[str]:
    """``METHOD /path`` of every operation in the OpenAPI document."""
    schema = app.get_openapi_schema(title=API_TITLE, version=API_VERSION).model_dump(exclude_none=True)
    return [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item]


# ---------------------------------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Problem:
    """An exception, classified: what the client gets."""

    status: HTTPStatus
    message: str
    parameter: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


UNEXPECTED = Problem(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error; see the function's logs under requestId")
"""Anything not classified otherwise: a bug."""


def allowed_methods(path: str) -> list[str]:
    """The methods the OpenAPI document lists for ``path`` (a request path, percent-encoded)."""
    methods = []
    for route in documented_routes():
        method, template = route.split(" ", 1)
        pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in PATH_PARTS.split(template))
        if re.fullmatch(pattern, path):
            methods.append(method)
    return methods


def unrouted(event: Any) -> Problem:
    """No route for this method and path: 405 with ``Allow`` if the path has other methods, else 404."""
    method = event.request_context.http.method
    allowed = allowed_methods(event.path)
    if allowed:
        message = f"{method} is not allowed on {event.raw_path}; use {', '.join(allowed)}"
        return Problem(HTTPStatus.METHOD_NOT_ALLOWED, message, headers={"Allow": ", ".join(allowed)})
    return Problem(HTTPStatus.NOT_FOUND, f"No route {method} {event.raw_path}")


def classify(error: Exception) -> Problem:
    """The one place where any exception becomes a client-facing problem (status, message, parameter)."""
    if isinstance(error, NotFoundError):
        return unrouted(app.current_event)
    if request_body_is_not_json():  # such a POST never reaches its route: whatever failed, failed reading the body
        error = UnsupportedMediaTypeError(app.current_event.headers.get("content-type") or "")
    if isinstance(error, AccessDeniedError):
        return Problem(error.status, error.message)
    if isinstance(error, RecommendationError):
        retry = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
        return Problem(error.status, error.message, error.parameter, retry)
    if isinstance(error, RequestValidationError):
        parameter, message = describe_validation_error(error.errors()[0])
        return Problem(HTTPStatus.BAD_REQUEST, message, parameter)
    if isinstance(error, ValidationException):  # Powertools could not read the body (e.g. its content type)
        return classify(UnsupportedMediaTypeError(app.current_event.headers.get("content-type") or ""))
    if isinstance(error, UnicodeDecodeError | binascii.Error):  # only request bytes are decoded in this API
        return Problem(HTTPStatus.BAD_REQUEST, "The request body is not UTF-8 text", "body")
    return UNEXPECTED


def error_body(problem: Problem, request_id: str | None) -> dict[str, Any]:
    """The one error shape every failure uses (``ErrorBody``)."""
    status = problem.status
    body = ErrorBody(
        statusCode=status.value,
        error=status.phrase.replace(" ", ""),
        message=problem.message,
        parameter=problem.parameter,
        requestId=request_id,
    )
    return body.model_dump(exclude_none=True)


def report(problem: Problem, error: Exception) -> None:
    """5xx are logged (the log line carries the request id as correlation_id); 4xx are the client's business."""
    if problem.status == HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.exception("unexpected error", extra={"status": problem.status.value})
    elif problem.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.warning("upstream unavailable", extra={"status": problem.status.value, "reason": problem.message})


def describe_validation_error(error: dict[str, Any]) -> tuple[str, str]:
    """A pydantic error from request validation → (parameter name, message for the client)."""
    location = [str(part) for part in error.get("loc", ())]
    source = location[0] if location else "request"
    path = location[1:]
    if source == "body" and path and path[0] == "body":
        path = path[1:]
    parameter = path[0] if path else source
    shown = ".".join(path) if path else source
    where = {"query": "query parameter", "path": "path parameter", "body": "body field"}.get(source, source)
    if error.get("type") == "json_invalid":
        return "body", "The request body is not valid JSON"
    if source == "body" and not path:
        message = f"Invalid request body: {error.get('msg', 'not valid JSON')}"
    else:
        message = f"Invalid {where} '{shown}': {error.get('msg', 'invalid value')}"
    hint = PARAMETER_HINTS.get(parameter)
    return parameter, f"{message} ({hint})" if hint else message


@app.exception_handler(Exception)
def handle_any_error(error: Exception) -> Response:
    """Every exception a route, its validation or the router raises (unknown routes included)."""
    problem = classify(error)
    report(problem, error)
    return Response(
        status_code=problem.status.value,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(problem, app.current_event.request_context.request_id),
        headers=problem.headers or None,
    )


# ---------------------------------------------------------------------------------------------------- entry point
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway HTTP API (payload v2) → Powertools router; an event the router cannot read is a logged 500."""
    try:
        result = app.resolve(routable_event(event), context)
    except Exception as error:
        problem = UNEXPECTED
        report(problem, error)
        result = {
            "statusCode": problem.status.value,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps(error_body(problem, context.aws_request_id)),
            "isBase64Encoded": False,
        }
    metrics.add_metric(name=f"Http{result['statusCode'] // 100}xx", unit=MetricUnit.Count, value=1)
    return result
