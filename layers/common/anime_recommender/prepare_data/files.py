"""The Kaggle files this step knows: names, the columns it needs, and which are required."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KaggleFile:
    """One file of the Kaggle drop.

    ``columns`` maps each column this step reads to the header names accepted for it (first = canonical; the
    Kaggle data itself spells ``sypnopsis`` and, in its May-2021 version, ``Genders``).
    """

    name: str
    columns: dict[str, tuple[str, ...]]
    textual: tuple[str, ...] = ()  # columns whose quoted values may hold line breaks


ANIME = KaggleFile(
    "anime.csv",
    {
        name: (name,)
        for name in (
            "MAL_ID",
            "Name",
            "Score",
            "Genres",
            "English name",
            "Type",
            "Episodes",
            "Aired",
            "Premiered",
            "Studios",
            "Source",
            "Rating",
        )
    },
)
RATING_COMPLETE = KaggleFile(
    "rating_complete.csv", {"user_id": ("user_id",), "anime_id": ("anime_id",), "rating": ("rating",)}
)
ANIMELIST = KaggleFile(
    "animelist.csv",
    {
        "user_id": ("user_id",),
        "anime_id": ("anime_id",),
        "rating": ("rating",),
        "watching_status": ("watching_status",),
    },
)
SYNOPSIS = KaggleFile(
    "anime_with_synopsis.csv", {"MAL_ID": ("MAL_ID",), "synopsis": ("sypnopsis", "synopsis")}, textual=("synopsis",)
)

ID_COLUMNS = frozenset({"user_id", "anime_id", "MAL_ID"})  # one id syntax for all of them (values.parse_id)
INTERACTION_FILES: tuple[KaggleFile, ...] = (ANIMELIST, RATING_COMPLETE)  # merge precedence: first wins
