"""Turn the API's filter query parameters into one of the pipeline's filters plus Personalize ``filterValues``.

The pipeline publishes four parameterised filters (``/{project}/filters``): ``base`` (year range and
exclude-watched, all EXCLUDE clauses, so omitted values drop the clause), ``genre``, ``studio`` and
``genre-studio`` (the base clauses plus an INCLUDE on genres and/or studios, whose values are required).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from anime_recommender.contracts.filters import filter_for
from anime_recommender.recommendations_api.catalog import Catalog
from anime_recommender.recommendations_api.errors import InvalidParameterError

LIVE_EVENT_TYPES: tuple[str, ...] = ("watch", "rating", "completed")
"""Event types live apps stream through Kinesis (the forwarder's record format)."""

NOT_WATCHED_EVENT_TYPES: frozenset[str] = frozenset({"PLAN_TO_WATCH"})
"""Event types that do not mean the user has seen the anime, so ``excludeWatched`` keeps those items."""

MAX_FILTER_VALUE_CHARS = 1000
"""Personalize's limit on one ``filterValues`` entry."""


@dataclass(frozen=True)
class FilterRequest:
    """The filter part of GET /users/{userId}/recommendations, already type-checked."""

    genres: tuple[str, ...] = ()
    studios: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    exclude_watched: bool = False

    @property
    def is_empty(self) -> bool:
        """True when no filter is asked for (the request then goes to Personalize unfiltered)."""
        return not (self.genres or self.studios or self.exclude_watched) and self.year_from is self.year_to is None


@dataclass(frozen=True)
class FilterChoice:
    """Which pipeline filter to use and the ``filterValues`` to send with it."""

    name: str
    values: dict[str, str] = field(default_factory=dict)


def split_values(raw_values: Iterable[str] | None) -> tuple[str, ...]:
    """Comma-separated and repeated query values → stripped, de-duplicated values in order."""
    values: list[str] = []
    for raw in raw_values or ():
        for value in raw.split(","):
            value = value.strip()
            if value and value not in values:
                values.append(value)
    return tuple(values)


def quote_values(values: Iterable[str]) -> str:
    """Personalize's ``filterValues`` wire format: ``"a","b"`` (each value double-quoted, comma-separated)."""
    return ",".join(f'"{value}"' for value in values)


def canonical_values(parameter: str, values: Sequence[str], known: Sequence[str], *, list_all: bool) -> tuple[str, ...]:
    """Map each value onto the catalog's spelling (case-insensitive); 400 naming any unknown value.

    ``list_all`` lists every valid value in the message (genres: a few dozen); otherwise the closest matches.
    """
    by_lower = {name.lower(): name for name in known}
    result: list[str] = []
    for value in values:
        if '"' in value:
            raise InvalidParameterError(parameter, f"{parameter} value {value!r} must not contain a double quote")
        canonical = by_lower.get(value.lower())
        if canonical is None:
            if list_all:
                hint = "valid values: " + ", ".join(known)
            else:
                close = difflib.get_close_matches(value, known, n=5, cutoff=0.6)
                hint = ("did you mean: " + ", ".join(close)) if close else "no similar value in the catalog"
            raise InvalidParameterError(parameter, f"Unknown {parameter} {value!r}; {hint}")
        if canonical not in result:
            result.append(canonical)
    return tuple(result)


def validate_years(year_from: int | None, year_to: int | None) -> None:
    """400 when the range is empty."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InvalidParameterError("yearFrom", f"yearFrom ({year_from}) must not be after yearTo ({year_to})")


def watched_event_types(published: Iterable[str]) -> tuple[str, ...]:
    """Event types meaning "already watched": the data's types (minus plan-to-watch) plus the live ones.

    Personalize matches event types case-insensitively, so ``RATING`` and ``rating`` count once.
    """
    result: list[str] = []
    seen: set[str] = set()
    for event_type in (*published, *LIVE_EVENT_TYPES):
        key = event_type.upper()
        if key in NOT_WATCHED_EVENT_TYPES or key in seen:
            continue
        seen.add(key)
        result.append(event_type)
    return tuple(result)


def resolve_filter_request(request: FilterRequest, catalog: Catalog) -> FilterRequest:
    """Validate a request against the catalog: canonical genre/studio spelling and a non-empty year range."""
    validate_years(request.year_from, request.year_to)
    return FilterRequest(
        genres=canonical_values("genre", request.genres, catalog.genres, list_all=True),
        studios=canonical_values("studio", request.studios, catalog.studios, list_all=False),
        year_from=request.year_from,
        year_to=request.year_to,
        exclude_watched=request.exclude_watched,
    )


def choose_filter(request: FilterRequest, event_types: Iterable[str] = ()) -> FilterChoice:
    """Pick ``genre``, ``studio``, ``genre-studio`` or ``base`` and build its ``filterValues``.

    Year and watched values are left out when not asked for: they belong to EXCLUDE clauses, which
    Personalize drops when their parameter is omitted. ``event_types`` is only read when excluding watched.
    """
    name = filter_for(genres=bool(request.genres), studios=bool(request.studios))
    values: dict[str, str] = {}
    if request.genres:
        values["GENRES"] = quote_values(request.genres)
    if request.studios:
        values["STUDIOS"] = quote_values(request.studios)
    if request.year_from is not None:
        values["YEAR_FROM"] = str(request.year_from)
    if request.year_to is not None:
        values["YEAR_TO"] = str(request.year_to)
    if request.exclude_watched:
        values["WATCHED_EVENT_TYPES"] = quote_values(watched_event_types(event_types))
    for key, value in values.items():
        if len(value) > MAX_FILTER_VALUE_CHARS:
            parameter = {"GENRES": "genre", "STUDIOS": "studio"}.get(key, key)
            raise InvalidParameterError(
                parameter, f"too many {parameter} values: Personalize takes at most {MAX_FILTER_VALUE_CHARS} characters"
            )
    return FilterChoice(name=name, values=values)
