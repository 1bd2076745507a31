"""`make serve`'s stand-in for API Gateway's JWT authorizer: locally signed tokens, verified with PyJWT.

A fresh HS256 key per run (never written anywhere) signs the tokens :meth:`LocalAuth.issue` prints; every request
must carry one as ``Authorization: Bearer <token>``, checked for signature, issuer, audience and expiry exactly as
the HTTP API's authorizer checks a Cognito token. The verified claims reach the handler where API Gateway puts them
(``requestContext.authorizer.jwt``), so the handler's per-user check runs unchanged.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from anime_recommender.recommendations_api.authorization import DEFAULT_TRUSTED_SCOPE

LOCAL_ISSUER = "http://127.0.0.1/local-issuer"
LOCAL_AUDIENCE = "anime-recs-local"
TOKEN_LIFETIME_SECONDS = 12 * 3600


class TokenRejectedError(Exception):
    """The request carries no bearer token, or one that does not verify (API Gateway answers 401 then)."""


@dataclass
class LocalAuth:
    """Issues and verifies the local tokens of one `make serve` run."""

    issuer: str = LOCAL_ISSUER
    audience: str = LOCAL_AUDIENCE
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def issue(self, subject: str, scope: str | None = None, audience: str | None = None) -> str:
        """A signed token for ``subject`` (``scope``: e.g. the trusted-service scope)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience or self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
        }
        if scope:
            claims["scope"] = scope
        return jwt.encode(claims, self.key, algorithm="HS256")

    def issue_service(self) -> str:
        """A token of a trusted service (the trusted-service scope, no user)."""
        return self.issue("local-service", scope=DEFAULT_TRUSTED_SCOPE)

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The claims of a ``Bearer`` header value; :class:`TokenRejectedError` when absent or invalid."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejectedError("missing bearer token")
        try:
            return jwt.decode(
                token.strip(),
                self.key,
                algorithms=["HS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRejectedError(str(error)) from error

    def authorize(self, event: dict[str, Any]) -> dict[str, Any]:
        """Verify the event's Authorization header and add the claims as API Gateway's JWT authorizer does."""
        claims = self.verify(event.get("headers", {}).get("authorization"))
        scopes = str(claims.get("scope", "")).split() or None
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
        return event


UNAUTHORIZED_RESULT = {
    "statusCode": 401,
    "headers": {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"},
    "body": '{"message":"Unauthorized"}',
}
