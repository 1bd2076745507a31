"""Recommendations REST API: one Lambda behind an HTTP API, routed by Powertools' event handler.

Thin by design: parameters are parsed and validated here (OpenAPI generated from these signatures), the work is
done by ``anime_recommender.recommendations``, and its errors become 400/404/429/503 JSON responses.
"""

from __future__ import annotations

import functools
import os
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from anime_recommender.recommendations import (
    DEFAULT_NUM_RESULTS,
    MAX_NUM_RESULTS,
    MAX_RANKING_IDS,
    AnimeDetail,
    AnimeNotFoundError,
    ErrorBody,
    EventAccepted,
    EventRequest,
    FilterRequest,
    InvalidParameterError,
    NotReadyError,
    RankingRequest,
    RecommendationList,
    RecommendationService,
    ThrottledError,
    UpstreamError,
    split_values,
)
from anime_recommender.recommendations.authorization import AccessDeniedError, require_own_user

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AnimeRecommender"))
app = APIGatewayHttpResolver(enable_validation=True, cors=CORSConfig(allow_origin="*", max_age=300))
app.enable_swagger(
    path="/swagger",
    title="Anime recommendations API",
    version="1.0.0",
    description=(
        "Titled anime recommendations from Amazon Personalize campaigns trained by the retraining pipeline. "
        "Errors are JSON `{statusCode, error, message, parameter?}`: 400 names the bad parameter, 404 an unknown "
        "anime, 429 means Personalize throttled (retry), 503 means no campaign is live yet."
    ),
)
app.use(middlewares=[require_own_user])  # userId routes: the token's own user or a trusted service (docs/security.md)

USER_ID = Annotated[str, Path(min_length=1, max_length=256, description="The user's id (as in the training data).")]
ANIME_ID = Annotated[int, Path(ge=1, description="Anime id (MyAnimeList id).")]
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
    "userId": "userId must be 1 to 256 characters",
    "animeIds": f"animeIds must be a list of 1 to {MAX_RANKING_IDS} integer anime ids (Personalize's ranking limit)",
    "eventType": "eventType is required: 1 to 256 characters, e.g. watch, rating, completed",
    "eventValue": "eventValue must be a number (0 is allowed)",
}

ERROR_RESPONSES: dict[int, Any] = {
    400: {
        "description": "A parameter is invalid; `parameter` names it.",
        "content": {"application/json": {"model": ErrorBody}},
    },
    429: {
        "description": "Personalize throttled the request; retry later.",
        "content": {"application/json": {"model": ErrorBody}},
    },
    503: {
        "description": "No campaign is live yet (pipeline not run) or it is not ACTIVE.",
        "content": {"application/json": {"model": ErrorBody}},
    },
}
NOT_FOUND_RESPONSE: dict[int, Any] = {
    404: {"description": "The anime is not in the catalog.", "content": {"application/json": {"model": ErrorBody}}}
}


@functools.cache
def recommendation_service() -> RecommendationService:
    """One service per execution environment: its SSM values and catalog stay cached between invocations."""
    return RecommendationService.from_environment()


# ---------------------------------------------------------------------------------------------------- routes
@app.get(
    "/users/<userId>/recommendations",
    summary="Recommendations for a user",
    description="Top anime for the user from the user-personalization campaign, optionally filtered by genre, "
    "studio, premiere year and already-watched anime (the pipeline's parameterised filters).",
    tags=["recommendations"],
    responses={200: {"description": "Ranked, titled anime."}, **ERROR_RESPONSES},
)
def get_user_recommendations(
    userId: USER_ID,
    genre: Annotated[
        list[str] | None, Query(description="Genre(s), comma-separated or repeated, e.g. Action,Slice of Life.")
    ] = None,
    studio: Annotated[list[str] | None, Query(description="Studio(s), comma-separated or repeated.")] = None,
    yearFrom: Annotated[int | None, Query(description="Earliest premiere year (inclusive).")] = None,
    yearTo: Annotated[int | None, Query(description="Latest premiere year (inclusive).")] = None,
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
    responses={200: {"description": "Similar anime, titled."}, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
)
def get_similar_anime(animeId: ANIME_ID, numResults: NUM_RESULTS = DEFAULT_NUM_RESULTS) -> RecommendationList:
    return recommendation_service().similar_anime(animeId, numResults)


@app.post(
    "/users/<userId>/rankings",
    summary="Rank anime for a user",
    description="Reorders the given anime for the user with the personalized-ranking campaign.",
    tags=["recommendations"],
    responses={200: {"description": "The same anime, best first."}, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
)
def post_user_rankings(userId: USER_ID, body: Annotated[RankingRequest, Body()]) -> RecommendationList:
    return recommendation_service().rank_for_user(userId, body.animeIds)


@app.post(
    "/users/<userId>/events",
    summary="Record what a user did",
    description="Sends one interaction to the Personalize event tracker so recommendations adapt in real time.",
    tags=["events"],
    status_code=202,
    responses={202: {"description": "Sent to the event tracker."}, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
)
def post_user_event(userId: USER_ID, body: Annotated[EventRequest, Body()]) -> EventAccepted:
    return recommendation_service().record_event(userId, body)


@app.get(
    "/anime/<animeId>",
    summary="One anime from the catalog",
    tags=["catalog"],
    responses={200: {"description": "The catalog entry."}, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
)
def get_anime(animeId: ANIME_ID) -> AnimeDetail:
    return recommendation_service().describe_anime(animeId)


# ---------------------------------------------------------------------------------------------------- errors
def error_response(status: HTTPStatus, message: str, parameter: str | None = None, **headers: str) -> Response:
    """The one error shape every failure uses."""
    body = ErrorBody(
        statusCode=status.value, error=status.phrase.replace(" ", ""), message=message, parameter=parameter
    )
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(exclude_none=True),
        headers=headers or None,
    )


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


@app.exception_handler(RequestValidationError)
def handle_request_validation_error(error: RequestValidationError) -> Response:
    parameter, message = describe_validation_error(error.errors()[0])
    return error_response(HTTPStatus.BAD_REQUEST, message, parameter)


@app.exception_handler(AccessDeniedError)
def handle_access_denied(error: AccessDeniedError) -> Response:
    return error_response(error.status, error.message)


@app.exception_handler(InvalidParameterError)
def handle_invalid_parameter(error: InvalidParameterError) -> Response:
    return error_response(HTTPStatus.BAD_REQUEST, error.message, error.parameter)


@app.exception_handler(AnimeNotFoundError)
def handle_anime_not_found(error: AnimeNotFoundError) -> Response:
    return error_response(HTTPStatus.NOT_FOUND, error.message)


@app.exception_handler(NotReadyError)
def handle_not_ready(error: NotReadyError) -> Response:
    logger.warning("not ready", extra={"reason": error.message})
    return error_response(HTTPStatus.SERVICE_UNAVAILABLE, error.message, **{"Retry-After": "60"})


@app.exception_handler(ThrottledError)
def handle_throttled(error: ThrottledError) -> Response:
    logger.warning("throttled", extra={"reason": error.message})
    return error_response(HTTPStatus.TOO_MANY_REQUESTS, error.message, **{"Retry-After": "1"})


@app.exception_handler(UpstreamError)
def handle_upstream_error(error: UpstreamError) -> Response:
    logger.exception("upstream failure")
    return error_response(HTTPStatus.SERVICE_UNAVAILABLE, error.message, **{"Retry-After": "5"})


@app.not_found
def handle_unknown_route(_: Exception) -> Response:
    path = app.current_event.raw_path
    return error_response(HTTPStatus.NOT_FOUND, f"No route {app.current_event.request_context.http.method} {path}")


@app.exception_handler(Exception)
def handle_unexpected_error(_: Exception) -> Response:
    logger.exception("unexpected error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error; see the function's logs")


# ---------------------------------------------------------------------------------------------------- entry point
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway HTTP API (payload v2) → Powertools router."""
    result = app.resolve(event, context)
    metrics.add_metric(name=f"Http{result['statusCode'] // 100}xx", unit=MetricUnit.Count, value=1)
    return result
