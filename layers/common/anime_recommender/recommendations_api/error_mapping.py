"""The one place where any exception becomes the API's JSON error (``ErrorBody``).

:func:`classify` turns an exception into a :class:`Problem`: 4xx naming the parameter, 405 with ``Allow`` for a known
path with another method, 503 with ``Retry-After`` for upstream failures (:mod:`.errors` says which), 500 for
anything else (a bug: logged with the request id). The function's exception handler registers it for every error.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, ValidationException

from anime_recommender.recommendations_api.authorization import AccessDeniedError
from anime_recommender.recommendations_api.errors import RecommendationError, UnsupportedMediaTypeError
from anime_recommender.recommendations_api.models import MAX_RANKING_IDS, ErrorBody
from anime_recommender.recommendations_api.request_input import posts_non_json_body
from anime_recommender.recommendations_api.service import MAX_NUM_RESULTS

PATH_PARTS = re.compile(r"(\{[^}/]+\})")

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
"""What a valid value of each parameter looks like, appended to its 400 message."""


@dataclass(frozen=True)
class Problem:
    """An exception, classified: what the client gets."""

    status: HTTPStatus
    message: str
    parameter: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


UNEXPECTED = Problem(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error; see the function's logs under requestId")
"""Anything not classified otherwise: a bug."""


def allowed_methods(path: str, routes: Sequence[str]) -> list[str]:
    """The methods ``routes`` (``METHOD /path/{param}`` lines) list for ``path`` (a request path, percent-encoded)."""
    methods = []
    for route in routes:
        method, template = route.split(" ", 1)
        pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in PATH_PARTS.split(template))
        if re.fullmatch(pattern, path):
            methods.append(method)
    return methods


def unrouted(event: Any, routes: Sequence[str]) -> Problem:
    """No route for this method and path: 405 with ``Allow`` if the path has other methods, else 404."""
    method = event.request_context.http.method
    allowed = allowed_methods(event.path, routes)
    if allowed:
        message = f"{method} is not allowed on {event.raw_path}; use {', '.join(allowed)}"
        return Problem(HTTPStatus.METHOD_NOT_ALLOWED, message, headers={"Allow": ", ".join(allowed)})
    return Problem(HTTPStatus.NOT_FOUND, f"No route {method} {event.raw_path}")


def classify(error: Exception, event: Any, routes: Sequence[str]) -> Problem:
    """Any exception raised while serving ``event`` (a Powertools HTTP API event) → the client-facing problem.

    ``routes`` are the API's documented operations (``METHOD /path``), for the 405's ``Allow`` header.
    """
    if isinstance(error, NotFoundError):
        return unrouted(event, routes)
    if posts_non_json_body(event):  # such a POST never reaches its route: whatever failed, failed reading the body
        error = UnsupportedMediaTypeError(event.headers.get("content-type") or "")
    if isinstance(error, AccessDeniedError):
        return Problem(error.status, error.message)
    if isinstance(error, RecommendationError):
        retry = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
        return Problem(error.status, error.message, error.parameter, retry)
    if isinstance(error, RequestValidationError):
        parameter, message = describe_validation_error(error.errors()[0])
        return Problem(HTTPStatus.BAD_REQUEST, message, parameter)
    if isinstance(error, ValidationException):  # Powertools could not read the body (e.g. its content type)
        return classify(UnsupportedMediaTypeError(event.headers.get("content-type") or ""), event, routes)
    if isinstance(error, UnicodeDecodeError | binascii.Error):  # only request bytes are decoded in this API
        return Problem(HTTPStatus.BAD_REQUEST, "The request body is not UTF-8 text", "body")
    return UNEXPECTED


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


def error_response(problem: Problem, request_id: str | None) -> Response:
    """The problem as the router's response (from an exception handler)."""
    return Response(
        status_code=problem.status.value,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(problem, request_id),
        headers=problem.headers or None,
    )


def error_result(problem: Problem, request_id: str | None) -> dict[str, Any]:
    """The problem as a Lambda proxy result (payload v2), for an event the router could not even read."""
    return {
        "statusCode": problem.status.value,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error_body(problem, request_id)),
        "isBase64Encoded": False,
    }


def report(problem: Problem, logger: Any) -> None:
    """5xx are logged on ``logger`` (the line carries the request id as correlation_id; call it while handling the
    exception, for the stack trace); 4xx are the client's business."""
    if problem.status == HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.exception("unexpected error", extra={"status": problem.status.value})
    elif problem.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.warning("upstream unavailable", extra={"status": problem.status.value, "reason": problem.message})
