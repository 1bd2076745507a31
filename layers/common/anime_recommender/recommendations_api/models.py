"""Request and response shapes of the recommendations API (pydantic: validated input, documented output)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anime_recommender.forward_events.record import Id256

MAX_RANKING_IDS = 500
"""Personalize's GetPersonalizedRanking accepts at most 500 items in ``inputList``."""

FiniteNumber = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""The event stream's rule for ``eventValue`` (``WatchEvent``): a JSON number, finite (no NaN, Infinity, 1e309)."""
RecommendationId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
"""The event stream's rule for ``recommendationId`` (PutEvents allows 1 to 40 characters)."""


class AnimeItem(BaseModel):
    """One anime in a list returned by the API, titled from the catalog."""

    id: int = Field(description="Anime id (MyAnimeList id, as in the Kaggle data).")
    title: str | None = Field(
        description="Title from the catalog; null only if the model knows an id the catalog lacks."
    )
    englishTitle: str | None = Field(description="English title, when the catalog has one.")
    genres: list[str] = Field(description="Genres, original names (e.g. 'Slice of Life').")
    year: int | None = Field(description="Premiere year, when known.")
    score: float | None = Field(
        default=None,
        description="Personalize's score for this item; absent when Personalize gives none (SIMS).",
        exclude_if=lambda value: value is None,
    )


class RecommendationList(BaseModel):
    """A ranked list of anime plus the id Personalize gave this recommendation (send it back with events)."""

    recommendationId: str | None = Field(description="Personalize's recommendation id.")
    items: list[AnimeItem]


class AnimeDetail(BaseModel):
    """One catalog entry."""

    id: int
    title: str
    englishTitle: str | None
    genres: list[str]
    year: int | None
    malScore: float | None = Field(description="Average MyAnimeList score from the catalog (not a Personalize score).")
    type: str | None = Field(description="TV, Movie, OVA, ...")
    studios: list[str]


class RankingRequest(BaseModel):
    """Body of POST /users/{userId}/rankings."""

    model_config = ConfigDict(extra="forbid")

    animeIds: list[int] = Field(
        min_length=1,
        max_length=MAX_RANKING_IDS,
        description=f"Anime ids to rank for the user, 1 to {MAX_RANKING_IDS} (Personalize's inputList limit).",
    )


class EventRequest(BaseModel):
    """Body of POST /users/{userId}/events: one interaction, sent to the event tracker.

    The fields follow the event stream's rules (``anime_recommender.forward_events.record.WatchEvent``), so the API
    accepts exactly what the Kinesis forwarder accepts.
    """

    model_config = ConfigDict(extra="forbid")

    animeId: int = Field(description="The anime the user interacted with.")
    eventType: Id256 = Field(description="e.g. watch, rating, completed (1 to 256 characters).")
    eventValue: FiniteNumber | None = Field(
        default=None, description="e.g. the rating: a finite number; 0 is a value and is kept."
    )
    sessionId: Id256 | None = Field(
        default=None, description="Defaults to the user's default session (the one the Kinesis forwarder uses too)."
    )
    recommendationId: RecommendationId | None = Field(
        default=None, description="The recommendationId this event answers, if any (1 to 40 characters)."
    )


class EventAccepted(BaseModel):
    """What the API sent to the event tracker."""

    userId: str
    animeId: int
    eventType: str
    eventValue: float | None
    sessionId: str
    sentAt: int = Field(description="Unix seconds, the time the API received the event.")
    recommendationId: str | None


class ErrorBody(BaseModel):
    """Every error response."""

    statusCode: int
    error: str = Field(description="Short name of the HTTP status, e.g. BadRequest.")
    message: str = Field(description="What went wrong and, for 4xx, which parameter.")
    parameter: str | None = Field(
        default=None, description="The bad parameter (400), or Content-Type (415); absent otherwise."
    )
    requestId: str | None = Field(
        default=None, description="The request's id: the function's logs carry it (correlation_id) for every error."
    )


class ApiIndex(BaseModel):
    """GET /: what this API is and where its documentation is."""

    name: str
    version: str
    documentation: dict[str, str] = Field(description="Links to Swagger UI and the OpenAPI document.")
    routes: list[str] = Field(description="Every route, as METHOD /path.")
