"""What can go wrong when serving recommendations, as exceptions that carry their HTTP classification.

The API has one place that turns any exception into a response (:func:`.error_mapping.classify`); it reads
``status``, ``parameter`` and ``retry_after`` from these classes, so a new error only needs a subclass here.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar


class RecommendationError(Exception):
    """Base class: every error carries a message meant for the API client (HTTP 500 unless a subclass says)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    retry_after: ClassVar[int | None] = None
    """Seconds for the ``Retry-After`` header, for errors a client should retry."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


class InvalidParameterError(RecommendationError):
    """A request parameter is wrong (HTTP 400); ``parameter`` names it as the client sent it."""

    status = HTTPStatus.BAD_REQUEST

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message, parameter)


class UnsupportedMediaTypeError(RecommendationError):
    """A request body that is not ``application/json`` (HTTP 415, ``parameter`` is ``Content-Type``)."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE

    def __init__(self, content_type: str) -> None:
        sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        message = f"The request body must be JSON sent with Content-Type: application/json; got {sent}"
        super().__init__(message, "Content-Type")


class AnimeNotFoundError(RecommendationError):
    """An anime id is not in the live catalog (HTTP 404)."""

    status = HTTPStatus.NOT_FOUND

    def __init__(self, anime_ids: list[int]) -> None:
        shown = ", ".join(str(anime_id) for anime_id in anime_ids)
        noun = "anime" if len(anime_ids) == 1 else "anime ids"
        super().__init__(f"Unknown {noun} {shown}: not in the catalog of the live model")
        self.anime_ids = anime_ids


class NotReadyError(RecommendationError):
    """The pipeline has not published what this request needs, or the campaign is not ACTIVE (HTTP 503)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    retry_after = 60


class ThrottledError(RecommendationError):
    """Personalize (or SSM/S3) throttled the function (HTTP 503): the service is short of capacity, retry soon.

    Not 429: the client did nothing wrong, and API Gateway's own route throttling already answers 429.
    """

    status = HTTPStatus.SERVICE_UNAVAILABLE
    retry_after = 1


class UpstreamError(RecommendationError):
    """Personalize (or SSM/S3) failed on its side or is unreachable (HTTP 503 with a generic message)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    retry_after = 5


class UpstreamRejectedError(RecommendationError):
    """Personalize refused a request the API built (a 4xx from Personalize): a bug in the API's validation (500)."""
