"""Raw HTTP request parts → values: percent-encoded path segments, JSON bodies and their content type.

Path ids: clients percent-encode path parameters, so any id the event stream accepts (``#``, ``?``, ``"``, ``/``,
emoji, NUL, ...) can reach the API. :func:`routable_event` gives the router a path made only of percent-encoded
segments, whoever built the event, and :func:`decode_path_segment` decodes each path parameter exactly once.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, unquote

from pydantic_core import PydanticCustomError

from anime_recommender.recommendations_api.errors import InvalidParameterError

PATH_SEGMENT_SAFE = "!$&'()*+,;=:@-._~%"
"""RFC 3986 ``pchar`` characters left as they are when a segment is encoded, plus ``%`` (escapes already there)."""
MAX_BODY_DEPTH = 32
"""The API's bodies nest 2 levels; anything deeper than this is refused before validation."""
JSON_MEDIA_TYPE = "application/json"
_ROUTE_PARAMETER = re.compile(r"\{([^}/]+)\}")


def decode_path_segment(value: Any) -> Any:
    """A percent-encoded path segment → its text, decoded exactly once as UTF-8 (a pydantic before-validator)."""
    if not isinstance(value, str):
        return value
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise PydanticCustomError("path_encoding", "the percent-encoded bytes are not UTF-8 text") from None


def encode_path_segment(text: str) -> str:
    """Percent-encode one path segment's text (everything but RFC 3986 unreserved characters)."""
    return quote(text, safe="")


def routable_event(event: dict[str, Any]) -> dict[str, Any]:
    """The API Gateway HTTP API (v2) event with a ``rawPath`` the router can match for any id.

    With an explicit route (``routeKey`` ``GET /users/{userId}/recommendations``, as deployed) API Gateway has
    matched the route and decoded the ``pathParameters`` once, while ``rawPath`` is decoded too and may hold any
    character: the path is rebuilt from the route with those values encoded again. Without one (``$default``, as
    ``make serve`` sends) ``rawPath`` is the path as the client sent it: characters it left unencoded are encoded and
    its ``%XX`` escapes kept. Either way each path parameter is then decoded exactly once, by the route.

    The media type of ``content-type`` is lower-cased too (media types are case-insensitive; Powertools compares
    them case-sensitively).
    """
    raw_path = event.get("rawPath")
    if not isinstance(raw_path, str):
        return event
    headers = event.get("headers")
    if isinstance(headers, dict) and isinstance(headers.get("content-type"), str):
        media_type, separator, parameters = headers["content-type"].partition(";")
        event = {**event, "headers": {**headers, "content-type": media_type.strip().lower() + separator + parameters}}
    stage = (event.get("requestContext") or {}).get("stage") or "$default"
    prefix = raw_path[: len(stage) + 1] if stage != "$default" else ""
    route_path = _route_path(event.get("routeKey"), event.get("pathParameters"))
    if route_path is None:
        route_path = "/".join(quote(segment, safe=PATH_SEGMENT_SAFE) for segment in raw_path[len(prefix) :].split("/"))
    return {**event, "rawPath": prefix + route_path}


def _route_path(route_key: Any, parameters: Any) -> str | None:
    """``GET /users/{userId}/events`` + ``{"userId": "a#b"}`` → ``/users/a%23b/events``; None if they do not fit."""
    if not isinstance(route_key, str) or " /" not in route_key or not isinstance(parameters, dict):
        return None
    template = route_key.split(" ", 1)[1]
    names = _ROUTE_PARAMETER.findall(template)
    if not names or set(names) != set(parameters) or any(not isinstance(parameters[n], str) for n in names):
        return None
    return _ROUTE_PARAMETER.sub(lambda match: encode_path_segment(parameters[match.group(1)]), template)


def is_json_content_type(content_type: str | None) -> bool:
    """``application/json``, with or without parameters (``; charset=utf-8``), in any letter case."""
    return (content_type or "").split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def posts_non_json_body(event: Any) -> bool:
    """True for a POST (a Powertools HTTP event) whose Content-Type is not application/json: the API only reads JSON
    bodies."""
    return event.http_method.upper() == "POST" and not is_json_content_type(event.headers.get("content-type"))


def parse_json_body(text: str) -> Any:
    """A request body's JSON, refusing nesting deeper than :data:`MAX_BODY_DEPTH` and over-long integers.

    Invalid JSON still raises ``json.JSONDecodeError`` (the request validation names it); NaN and Infinity parse
    as floats so the field that holds them is named by validation.
    """
    too_deep = InvalidParameterError("body", f"The request body nests deeper than {MAX_BODY_DEPTH} levels")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise too_deep from None
    except ValueError as error:  # Python refuses integers of more than 4300 digits
        raise InvalidParameterError("body", f"The request body holds a number that is too long ({error})") from None
    if nesting_depth(value) > MAX_BODY_DEPTH:
        raise too_deep
    return value


def nesting_depth(value: Any) -> int:
    """How deep lists and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth <= MAX_BODY_DEPTH:
                pending.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
