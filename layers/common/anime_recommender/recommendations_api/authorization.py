"""Who may read and write a user's data: the user (JWT ``sub`` == ``userId``) or a trusted service.

API Gateway's JWT authorizer has already checked the token's signature, issuer, audience and expiry; the claims
it verified arrive in ``requestContext.authorizer.jwt.claims``. A trusted service is a caller whose token carries
the scope ``TRUSTED_SERVICE_SCOPE`` (an OAuth client-credentials token, e.g. a Cognito resource-server scope) or
whose ``cognito:groups`` claim holds ``TRUSTED_SERVICE_GROUP``. ``USER_CHECK=local-unenforced`` switches the check
off for the local cloud tier only, whose emulator routes carry no JWT authorizer. See docs/security.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

DEFAULT_TRUSTED_SCOPE = "anime-recs/service"
DEFAULT_TRUSTED_GROUP = "recommender-services"
LOCAL_UNENFORCED = "local-unenforced"


class AccessDeniedError(Exception):
    """The caller may not touch this user's data: ``status`` is 401 (no identity) or 403 (someone else)."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TrustPolicy:
    """Which claims make a caller a trusted service."""

    scope: str = DEFAULT_TRUSTED_SCOPE
    group: str = DEFAULT_TRUSTED_GROUP
    enforced: bool = True

    @classmethod
    def from_environment(cls) -> TrustPolicy:
        """``TRUSTED_SERVICE_SCOPE``, ``TRUSTED_SERVICE_GROUP`` and ``USER_CHECK`` (the template sets all three)."""
        return cls(
            scope=os.environ.get("TRUSTED_SERVICE_SCOPE", DEFAULT_TRUSTED_SCOPE),
            group=os.environ.get("TRUSTED_SERVICE_GROUP", DEFAULT_TRUSTED_GROUP),
            enforced=os.environ.get("USER_CHECK", "enforced") != LOCAL_UNENFORCED,
        )


def jwt_claims(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The claims API Gateway's JWT authorizer verified, or None when the request carried no token."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims")
    return dict(claims) if isinstance(claims, Mapping) else None


def _listed(value: Any) -> list[str]:
    """A claim holding several values: a JSON list, API Gateway's ``[a b]`` rendering, or a space-separated string."""
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value or "").strip("[]").replace(",", " ").split()


def is_trusted_service(claims: Mapping[str, Any], policy: TrustPolicy) -> bool:
    """Whether the token names the trusted-service scope or group."""
    return policy.scope in _listed(claims.get("scope")) or policy.group in _listed(claims.get("cognito:groups"))


def check_user_access(event: Mapping[str, Any], user_id: str, policy: TrustPolicy | None = None) -> None:
    """Raise :class:`AccessDeniedError` unless the caller is ``user_id`` or a trusted service."""
    policy = policy or TrustPolicy.from_environment()
    if not policy.enforced:
        return
    claims = jwt_claims(event)
    if not claims:
        raise AccessDeniedError(HTTPStatus.UNAUTHORIZED, "A bearer token is required")
    if claims.get("sub") == user_id or is_trusted_service(claims, policy):
        return
    raise AccessDeniedError(HTTPStatus.FORBIDDEN, "The token may only read and write its own user's data")


def require_own_user(app: Any, next_middleware: Callable[[Any], Any]) -> Any:
    """Powertools middleware: routes with a ``userId`` path parameter serve only that user or a trusted service."""
    user_id = app.context.get("_route_args", {}).get("userId")
    if user_id is not None:
        check_user_access(app.current_event.raw_event, str(user_id))
    return next_middleware(app)
