"""The four parameterised filters the pipeline creates and the recommendations API chooses between.

``base`` holds only EXCLUDE clauses (year range, already watched), so a request that omits their values drops
them; ``genre``, ``studio`` and ``genre-studio`` put an INCLUDE on genres and/or studios in front, whose values are
required (docs/pipeline.md, configuration reference; docs/recommendations-api.md).
"""

from __future__ import annotations

from typing import Literal, get_args

#: A filter's name: the key in the pipeline config's ``filters``, in the ``/{project}/filters`` SSM parameter and in
#: the API's choice.
FilterName = Literal["base", "genre", "studio", "genre-studio"]

#: Every filter name, in the order of the default config.
FILTER_NAMES: tuple[FilterName, ...] = get_args(FilterName)

#: The clauses every filter ends with; the API fills ``$YEAR_FROM``, ``$YEAR_TO`` and ``$WATCHED_EVENT_TYPES`` only
#: when asked (EXCLUDE clauses whose parameter is omitted are dropped).
_BASE_CLAUSES = (
    "EXCLUDE ItemID WHERE Items.YEAR < $YEAR_FROM | EXCLUDE ItemID WHERE Items.YEAR > $YEAR_TO | "
    "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($WATCHED_EVENT_TYPES)"
)
_GENRES_IN = "Items.GENRES IN ($GENRES)"
_STUDIOS_IN = "Items.STUDIOS IN ($STUDIOS)"

#: Filter name -> the Personalize filter expression the pipeline creates under that name.
FILTER_EXPRESSIONS: dict[FilterName, str] = {
    "base": _BASE_CLAUSES,
    "genre": f"INCLUDE ItemID WHERE {_GENRES_IN} | {_BASE_CLAUSES}",
    "studio": f"INCLUDE ItemID WHERE {_STUDIOS_IN} | {_BASE_CLAUSES}",
    "genre-studio": f"INCLUDE ItemID WHERE {_GENRES_IN} AND {_STUDIOS_IN} | {_BASE_CLAUSES}",
}


def filter_for(genres: bool, studios: bool) -> FilterName:
    """The filter that serves a request with (or without) genres and studios; ``base`` for neither."""
    if genres and studios:
        return "genre-studio"
    if genres:
        return "genre"
    if studios:
        return "studio"
    return "base"
