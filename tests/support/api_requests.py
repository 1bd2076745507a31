"""The one way tests reach the recommendations API's handler: every event passes through :func:`as_caller`.

The API reads the caller's identity from ``event.requestContext.authorizer.jwt.claims`` (what the HTTP API's JWT
authorizer verified): :func:`as_caller` gives an event without one a trusted service's claims, and :func:`api_client`
sends a trusted service's local token unless a request brings its own (``tests/support/api_auth.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.test import Client

from anime_recommender.recommendations_api.authorization import DEFAULT_TRUSTED_SCOPE
from offline.serve_api import api_module, load_handler, local_context
from tests.support.api_auth import as_trusted_service

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


#: The claims of a trusted service's token (allowed to read and write every user's data).
SERVICE_CLAIMS = {"sub": "test-service", "scope": DEFAULT_TRUSTED_SCOPE}


def as_caller(event: dict[str, Any]) -> dict[str, Any]:
    """The event as API Gateway hands it to the function after its JWT authorizer: a trusted service's claims unless
    the event already carries an ``authorizer``."""
    context = dict(event.get("requestContext") or {})
    context.setdefault("authorizer", {"jwt": {"claims": dict(SERVICE_CLAIMS), "scopes": None}})
    return {**event, "requestContext": context}


def api_handler() -> Handler:
    """The real Lambda handler, called with every event as :func:`as_caller` makes it."""
    handler = load_handler()

    def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return handler(as_caller(event), context)

    return call


def api_app() -> Any:
    """The API function's ``app`` module, the one every handler here calls (to swap its service for one on a test
    backend)."""
    return api_module()


def api_client() -> Client:
    """A werkzeug test client for the handler behind ``make serve``'s HTTP adapter."""
    return Client(as_trusted_service(api_handler()))


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """One direct Lambda invocation with an API Gateway event (e.g. the samples in ``events/``)."""
    return api_handler()(event, local_context())
