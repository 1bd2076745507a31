"""Synthetic synopses for anime_with_synopsis.csv, shaped like the real ``sypnopsis`` column.

Real column facts (May-2021 file, 16,214 rows): one paragraph without newlines, median length about 260
characters, double quotes inside 3,277 rows (so CSV quoting matters), about a third end with a source note such as
``(Source: ANN)``, 709 rows hold MAL's placeholder text (``formats.NO_SYNOPSIS``) and 8 are empty.
"""

from __future__ import annotations

import numpy as np

from sample_data.formats import NO_SYNOPSIS
from sample_data.vocab import FAMILY_NAMES, GIVEN_NAMES

_PLACES = (
    "a quiet seaside town",
    "the floating city of Aster",
    "a crumbling empire",
    "a prestigious Tokyo high school",
    "a remote mountain village",
    "the outer colonies",
    "a kingdom at war",
    "an old shrine on the edge of town",
)
_ROLES = ("student", "swordsman", "detective", "pilot", "shrine maiden", "office worker", "mage", "runaway prince")
_GENRE_LINES = {
    "Action": "When a masked enemy burns everything down, {name} picks up a weapon and refuses to run.",
    "Adventure": "A torn map and an old promise send {name} on a journey across unknown lands.",
    "Comedy": "What follows is a string of misunderstandings, each one louder than the last.",
    "Drama": "Old wounds resurface, and {name} must decide what is worth forgiving.",
    "Fantasy": "A talking familiar reveals that {name} carries the last spark of a forgotten magic.",
    "Romance": "A chance meeting on a rainy platform turns into something neither of them expected.",
    "Sci-Fi": "A signal from deep space rewrites everything humanity thought it knew.",
    "Slice of Life": "Between part-time shifts and club meetings, small moments add up to a life.",
    "School": "The student council has one rule: nobody talks about the sealed classroom.",
    "Mystery": "A string of impossible disappearances points to someone {name} trusts.",
    "Supernatural": "Spirits only {name} can see start asking for favours.",
    "Sports": "The team has one season left to prove it belongs at the national tournament.",
    "Mecha": "Inside the hangar waits a giant machine that answers to {name} alone.",
    "Kids": "With a little help from friends, every problem has a cheerful solution.",
    "Music": "A battered guitar and a half-finished song might be enough to fill a concert hall.",
    "Horror": "Every night the whispers grow closer, and the doors no longer stay locked.",
    "Psychological": "Each choice {name} makes is part of a game whose rules nobody will explain.",
    "Historical": "Set against the last years of a fading shogunate, loyalties are tested.",
}
_SOURCES = ("(Source: ANN)", "(Source: AniDB)", "(Source: Wikipedia)", "(Source: MAL Rewrite)")


def make_synopsis(rng: np.random.Generator, genres: list[str], english_word: str) -> str:
    """One synopsis paragraph built from the anime's genres; sometimes MAL's placeholder or empty, like the real."""
    roll = float(rng.random())
    if roll < 0.044:  # 709 of 16,214 real rows
        return NO_SYNOPSIS
    if roll < 0.0445:  # 8 real rows are empty
        return ""
    name = f"{GIVEN_NAMES[int(rng.integers(len(GIVEN_NAMES)))]} {FAMILY_NAMES[int(rng.integers(len(FAMILY_NAMES)))]}"
    place = _PLACES[int(rng.integers(len(_PLACES)))]
    role = _ROLES[int(rng.integers(len(_ROLES)))]
    parts = [f"{name} is an ordinary {role} in {place}."]
    lines = [_GENRE_LINES[g] for g in genres if g in _GENRE_LINES][:2]
    parts.extend(line.format(name=name.split()[0]) for line in lines)
    if float(rng.random()) < 0.2:
        parts.append(f'Soon the whole town is talking about "the {english_word}."')
    if float(rng.random()) < 0.33:
        parts.append(_SOURCES[int(rng.integers(len(_SOURCES)))])
    return " ".join(parts)
