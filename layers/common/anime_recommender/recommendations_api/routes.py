"""The API's routes as a Powertools ``Router``: paths, parameters (validated and documented in OpenAPI from these
signatures) and the responses each route declares; the work is the service's.

:func:`recommendations_router` builds a new router per application, so two loaded copies of the function (a cold
start each) never share a router's request state; the application passes how to get the service and its documented
operations (for the index).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from annotated_types import Ge
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BeforeValidator

from anime_recommender.forward_events.record import Id256
from anime_recommender.recommendations_api.errors import UnsupportedMediaTypeError
from anime_recommender.recommendations_api.filters import FilterRequest, split_values
from anime_recommender.recommendations_api.models import (
    AnimeDetail,
    ApiIndex,
    ErrorBody,
    EventAccepted,
    EventRequest,
    RankingRequest,
    RecommendationList,
)
from anime_recommender.recommendations_api.request_input import decode_path_segment, posts_non_json_body
from anime_recommender.recommendations_api.service import (
    DEFAULT_NUM_RESULTS,
    MAX_NUM_RESULTS,
    RecommendationService,
)

API_TITLE = "Anime recommendations API"
API_VERSION = "1.0.0"
API_DESCRIPTION = (
    "Titled anime recommendations from Amazon Personalize campaigns trained by the retraining pipeline. "
    "Errors are JSON `{statusCode, error, message, parameter?, requestId?}`: 400 names the bad parameter, "
    "404 an unknown anime, 415 a body that is not `application/json`, 503 (with `Retry-After`) means "
    "Personalize is throttling, failing or no campaign is live yet, 500 is a bug (find `requestId` in the logs)."
)
SWAGGER_PATH = "/swagger"

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
NUM_RESULTS = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_NUM_RESULTS,
        description=f"How many items, 1 to {MAX_NUM_RESULTS} (one page of titled results; default "
        f"{DEFAULT_NUM_RESULTS}).",
    ),
]

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


def require_json_body(resolver: Any, next_middleware: Callable[..., Any]) -> Any:
    """Route middleware of the POST routes: a body that validated as a form or without Content-Type is still 415."""
    if posts_non_json_body(resolver.current_event):
        raise UnsupportedMediaTypeError(resolver.current_event.headers.get("content-type") or "")
    return next_middleware(resolver)


def recommendations_router(
    service: Callable[[], RecommendationService], documented_routes: Callable[[], list[str]]
) -> Router:
    """A new router with every route of the API (the index last).

    ``service`` returns the service a request uses; ``documented_routes`` the ``METHOD /path`` of every operation of
    the application's OpenAPI document (listed by the index).
    """
    router = Router()

    @router.get(
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
        yearFrom: Annotated[
            int | None, Query(ge=1, le=MAX_YEAR, description="Earliest premiere year (inclusive).")
        ] = None,
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
        return service().recommend_for_user(userId, request, numResults)

    @router.get(
        "/anime/<animeId>/similar",
        summary="Anime similar to one anime",
        description="From the SIMS campaign (co-watched anime). SIMS gives no scores.",
        tags=["recommendations"],
        responses=declared(200, "Similar anime, titled.", 400, 401, 404, 503),
    )
    def get_similar_anime(animeId: ANIME_ID, numResults: NUM_RESULTS = DEFAULT_NUM_RESULTS) -> RecommendationList:
        return service().similar_anime(animeId, numResults)

    @router.post(
        "/users/<userId>/rankings",
        summary="Rank anime for a user",
        description="Reorders the given anime for the user with the personalized-ranking campaign.",
        tags=["recommendations"],
        responses=declared(200, "The same anime, best first.", 400, 401, 403, 404, 415, 503),
        middlewares=[require_json_body],
    )
    def post_user_rankings(userId: USER_ID, body: Annotated[RankingRequest, Body()]) -> RecommendationList:
        return service().rank_for_user(userId, body.animeIds)

    @router.post(
        "/users/<userId>/events",
        summary="Record what a user did",
        description="Sends one interaction to the Personalize event tracker so recommendations adapt in real time.",
        tags=["events"],
        status_code=202,
        responses=declared(202, "Sent to the event tracker.", 400, 401, 403, 404, 415, 503),
        middlewares=[require_json_body],
    )
    def post_user_event(userId: USER_ID, body: Annotated[EventRequest, Body()]) -> EventAccepted:
        return service().record_event(userId, body)

    @router.get(
        "/anime/<animeId>",
        summary="One anime from the catalog",
        tags=["catalog"],
        responses=declared(200, "The catalog entry.", 400, 401, 404, 503),
    )
    def get_anime(animeId: ANIME_ID) -> AnimeDetail:
        return service().describe_anime(animeId)

    @router.get(
        "/",
        summary="What this API is",
        description="Links to Swagger UI and the OpenAPI document (relative to the API's base URL), and every route.",
        tags=["meta"],
        responses=declared(200, "The API's name, version, documentation links and routes."),
    )
    def get_index() -> ApiIndex:
        swagger = SWAGGER_PATH.lstrip("/")
        return ApiIndex(
            name=API_TITLE,
            version=API_VERSION,
            documentation={"swaggerUi": swagger, "openApi": f"{swagger}?format=json"},
            routes=documented_routes(),
        )

    return router
