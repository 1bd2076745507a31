"""What can go wrong when serving recommendations, as exceptions the API maps to HTTP status codes."""

from __future__ import annotations


class RecommendationError(Exception):
    """Base class: every error carries a message meant for the API client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameterError(RecommendationError):
    """A request parameter is wrong (HTTP 400); ``parameter`` names it as the client sent it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class AnimeNotFoundError(RecommendationError):
    """An anime id is not in the live catalog (HTTP 404)."""

    def __init__(self, anime_ids: list[int]) -> None:
        shown = ", ".join(str(anime_id) for anime_id in anime_ids)
        noun = "anime" if len(anime_ids) == 1 else "anime ids"
        super().__init__(f"Unknown {noun} {shown}: not in the catalog of the live model")
        self.anime_ids = anime_ids


class NotReadyError(RecommendationError):
    """The pipeline has not published what this request needs, or the campaign is not ACTIVE (HTTP 503)."""


class ThrottledError(RecommendationError):
    """Personalize (or SSM) throttled the request (HTTP 429); the client should retry later."""


class UpstreamError(RecommendationError):
    """Personalize failed in a way the client cannot fix (HTTP 503 with a generic message)."""
