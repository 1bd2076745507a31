"""The one way tests reach the recommendations API's handler: every event passes through :func:`as_caller`.

The API is going to read the caller's identity from ``event.requestContext.authorizer.jwt.claims`` (the HTTP API's
JWT authorizer); giving every test request an identity is then a change to :func:`as_caller` alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from werkzeug.test import Client

from offline.serve_api import load_handler, local_context, wsgi_app

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def as_caller(event: dict[str, Any]) -> dict[str, Any]:
    """The event as API Gateway hands it to the function after authorization (today: unchanged)."""
    return event


def api_handler() -> Handler:
    """The real Lambda handler, called with every event as :func:`as_caller` makes it."""
    handler = load_handler()

    def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return handler(as_caller(event), context)

    return call


def api_app() -> Any:
    """The ``recommendations_api.app`` module (to swap its service for one on a test backend)."""
    load_handler()
    return sys.modules["functions.recommendations_api.app"]


def api_client() -> Client:
    """A werkzeug test client for the handler behind ``make serve``'s HTTP adapter."""
    return Client(wsgi_app(api_handler()))


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """One direct Lambda invocation with an API Gateway event (e.g. the samples in ``events/``)."""
    return api_handler()(event, local_context())
