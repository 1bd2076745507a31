"""The guard that keeps the tier off real AWS: every endpoint must be a loopback URL."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


class NotLoopbackError(RuntimeError):
    """An endpoint that is missing or does not point at this machine's loopback interface."""


def require_loopback_url(url: str | None, what: str = "AWS_ENDPOINT_URL") -> str:
    """Return ``url`` if it is an http(s) URL on 127.0.0.0/8, ::1 or ``localhost``; raise otherwise.

    ``sam deploy`` without an endpoint variable would aim at real AWS, so a missing value is an error too.
    """
    if not url:
        raise NotLoopbackError(f"{what} is not set: refusing to run against real AWS")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotLoopbackError(f"{what}={url!r} is not an http(s) URL with a host")
    host = parts.hostname
    if host == "localhost":
        return url
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise NotLoopbackError(f"{what}={url!r} does not point at the loopback interface (127.0.0.1, ::1, localhost)")
    return url
