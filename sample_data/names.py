"""Synthetic but plausible anime titles: romanised Name, Japanese name and English name, all unique."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sample_data.vocab import TITLE_TAILS, TITLE_WORDS

_ORDINALS = {2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}


class Title(NamedTuple):
    """The three title columns of one anime.csv row."""

    name: str
    japanese: str
    english: str


def _base_title(rng: np.random.Generator) -> Title:
    """One title from a few real-looking patterns: ``Hoshi no Kiseki``, ``Ginga Senki``, ``Tsuki to Kaze``."""
    a_ro, a_ja, a_en = TITLE_WORDS[int(rng.integers(len(TITLE_WORDS)))]
    pattern = float(rng.random())
    if pattern < 0.45:
        b_ro, b_ja, b_en = TITLE_WORDS[int(rng.integers(len(TITLE_WORDS)))]
        return Title(f"{a_ro} no {b_ro}", f"{a_ja}の{b_ja}", f"The {b_en} of the {a_en}")
    if pattern < 0.75:
        b_ro, b_ja, b_en = TITLE_TAILS[int(rng.integers(len(TITLE_TAILS)))]
        return Title(f"{a_ro} {b_ro}", f"{a_ja}{b_ja}", f"{a_en} {b_en}")
    if pattern < 0.9:
        b_ro, b_ja, b_en = TITLE_WORDS[int(rng.integers(len(TITLE_WORDS)))]
        return Title(f"{a_ro} to {b_ro}", f"{a_ja}と{b_ja}", f"{a_en} and {b_en}")
    b_ro, b_ja, b_en = TITLE_WORDS[int(rng.integers(len(TITLE_WORDS)))]
    c_ro, c_ja, c_en = TITLE_TAILS[int(rng.integers(len(TITLE_TAILS)))]
    # A subtitle after ": " (real names like "Cowboy Bebop: Tengoku no Tobira"); the English side uses MAL's
    # ":" without a following space, as in the real "Fullmetal Alchemist:Brotherhood".
    return Title(f"{a_ro} {c_ro}: {b_ro} no Shou", f"{a_ja}{c_ja} {b_ja}の章", f"{a_en} {c_en}:The {b_en} Chapter")


def _with_variant(title: Title, anime_type: str, rng: np.random.Generator) -> Title:
    """Add the suffixes real sequels and side stories carry (``2nd Season``, ``Movie``, ``Specials``, ``OVA``)."""
    roll = float(rng.random())
    if anime_type == "TV" and roll < 0.18:
        season = int(rng.integers(2, 6))
        return Title(
            f"{title.name} {_ORDINALS[season]} Season",
            f"{title.japanese} 第{season}期",
            f"{title.english} Season {season}",
        )
    if anime_type == "Movie" and roll < 0.4:
        return Title(f"{title.name} Movie", f"劇場版 {title.japanese}", f"{title.english} The Movie")
    if anime_type == "Special" and roll < 0.4:
        return Title(f"{title.name} Specials", f"{title.japanese} 特別編", f"{title.english} Specials")
    if anime_type == "OVA" and roll < 0.3:
        return Title(f"{title.name} OVA", f"{title.japanese} OVA", f"{title.english} OVA")
    return title


def make_titles(rng: np.random.Generator, types: list[str], taken: set[str]) -> list[Title]:
    """Draw one unique synthetic title per entry of ``types``; names already in ``taken`` are never reused."""
    used = set(taken)
    titles: list[Title] = []
    for anime_type in types:
        for _ in range(30):
            title = _with_variant(_base_title(rng), anime_type, rng)
            if title.name not in used:
                break
        suffix = 2
        base = title
        while title.name in used:  # extremely rare after 30 draws: number it like MAL's "II", "(2020)" variants
            title = Title(f"{base.name} ({suffix})", f"{base.japanese}（{suffix}）", f"{base.english} {suffix}")
            suffix += 1
        used.add(title.name)
        titles.append(title)
    return titles
