"""The one place API tests get their credentials: local tokens (offline/local_auth.py) and events with claims."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offline.local_auth import LocalAuth
from offline.serve_api import wsgi_app

TEST_AUTH = LocalAuth()
SERVICE_TOKEN = TEST_AUTH.issue_service()


def bearer(token: str = SERVICE_TOKEN) -> dict[str, str]:
    """The Authorization header of ``token`` (default: a trusted service's, allowed for every user)."""
    return {"Authorization": f"Bearer {token}"}


def as_trusted_service(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``wsgi_app(handler)`` behind the local authorizer, each request sent with a trusted service's token unless
    it brings its own Authorization header (what the API tests written before the authorizer expect)."""
    application = wsgi_app(handler, TEST_AUTH)

    def with_token(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.setdefault("HTTP_AUTHORIZATION", f"Bearer {SERVICE_TOKEN}")
        return application(environ, start_response)

    return with_token
