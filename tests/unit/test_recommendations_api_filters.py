"""Choosing the pipeline filter and building Personalize filterValues from the API's query parameters."""

from __future__ import annotations

import pytest

from anime_recommender.recommendations_api import (
    Catalog,
    FilterRequest,
    InvalidParameterError,
    choose_filter,
    split_values,
)
from anime_recommender.recommendations_api.filters import quote_values, resolve_filter_request, watched_event_types

CATALOG = Catalog.from_json(
    {
        "1": {"title": "A", "englishTitle": None, "genres": ["Action", "Slice of Life"], "year": 1998,
              "score": 8.0, "type": "TV", "studios": ["Sunrise"]},
        "2": {"title": "B", "englishTitle": "Bee", "genres": ["Drama"], "year": 2010, "score": None,
              "type": "Movie", "studios": ["Madhouse", "Bones"]},
    }
)  # fmt: skip


def test_quote_values_uses_personalize_wire_format() -> None:
    assert quote_values(["Action", "Slice of Life"]) == '"Action","Slice of Life"'


def test_split_values_accepts_commas_and_repeats_and_drops_duplicates() -> None:
    assert split_values(["Action, Drama", "Action", " ", "Slice of Life"]) == ("Action", "Drama", "Slice of Life")
    assert split_values(None) == ()


@pytest.mark.parametrize(
    ("request_", "expected_name", "expected_values"),
    [
        (FilterRequest(genres=("Action",)), "genre", {"GENRES": '"Action"'}),
        (FilterRequest(studios=("Sunrise", "Bones")), "studio", {"STUDIOS": '"Sunrise","Bones"'}),
        (
            FilterRequest(genres=("Action", "Drama"), studios=("Bones",)),
            "genre-studio",
            {"GENRES": '"Action","Drama"', "STUDIOS": '"Bones"'},
        ),
        (FilterRequest(year_from=2005), "base", {"YEAR_FROM": "2005"}),
        (FilterRequest(genres=("Drama",), year_to=2015), "genre", {"GENRES": '"Drama"', "YEAR_TO": "2015"}),
    ],
)
def test_choose_filter_picks_the_pipeline_filter_and_omits_unasked_values(
    request_: FilterRequest, expected_name: str, expected_values: dict[str, str]
) -> None:
    choice = choose_filter(request_)
    assert choice.name == expected_name
    assert choice.values == expected_values


def test_exclude_watched_sends_data_and_live_event_types_but_not_plan_to_watch() -> None:
    choice = choose_filter(FilterRequest(exclude_watched=True), ["RATING", "WATCHING", "COMPLETED", "PLAN_TO_WATCH"])
    assert choice.name == "base"
    assert choice.values == {"WATCHED_EVENT_TYPES": '"RATING","WATCHING","COMPLETED","watch"'}


def test_watched_event_types_without_published_types_still_has_the_live_ones() -> None:
    assert watched_event_types([]) == ("watch", "rating", "completed")


def test_empty_request_needs_no_filter() -> None:
    assert FilterRequest().is_empty
    assert not FilterRequest(year_to=2000).is_empty
    assert not FilterRequest(exclude_watched=True).is_empty


def test_resolve_maps_genres_and_studios_to_the_catalog_spelling() -> None:
    resolved = resolve_filter_request(FilterRequest(genres=("slice of life",), studios=("BONES",)), CATALOG)
    assert resolved.genres == ("Slice of Life",)
    assert resolved.studios == ("Bones",)


def test_unknown_genre_is_named_and_valid_genres_listed() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        resolve_filter_request(FilterRequest(genres=("Action", "Mecha")), CATALOG)
    assert caught.value.parameter == "genre"
    assert "'Mecha'" in caught.value.message
    assert "Action, Drama, Slice of Life" in caught.value.message


def test_unknown_studio_suggests_close_names() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        resolve_filter_request(FilterRequest(studios=("Madhose",)), CATALOG)
    assert caught.value.parameter == "studio"
    assert "did you mean: Madhouse" in caught.value.message


def test_year_range_must_not_be_empty() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        resolve_filter_request(FilterRequest(year_from=2010, year_to=2000), CATALOG)
    assert caught.value.parameter == "yearFrom"


def test_double_quotes_cannot_be_encoded_and_are_refused() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        resolve_filter_request(FilterRequest(genres=('Action"',)), CATALOG)
    assert caught.value.parameter == "genre"
