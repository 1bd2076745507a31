"""The three dataset sizes and the knobs that shape them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SizeSpec:
    """How big a generated dataset is and how its users' list lengths are distributed.

    ``list_median``/``list_sigma`` parametrise the log-normal length of a user's animelist.csv list (before
    de-duplication trims heavy users whose taste runs out of titles); ``list_cap`` bounds the longest list.
    ``chunk_users`` is how many users are generated, and written, per vectorised step.
    """

    name: str
    n_anime: int
    n_users: int
    list_median: float
    list_sigma: float
    list_cap: int
    chunk_users: int


SIZES: dict[str, SizeSpec] = {
    # ~2k rating_complete rows: unit tests.
    "tiny": SizeSpec("tiny", n_anime=160, n_users=120, list_median=24.0, list_sigma=0.9, list_cap=120, chunk_users=120),
    # ~200k rating_complete rows, ~2k anime, ~5k users: demos and integration tests.
    "demo": SizeSpec(
        "demo", n_anime=2000, n_users=5200, list_median=46.0, list_sigma=1.1, list_cap=700, chunk_users=2600
    ),
    # The real scale: 17,562 anime, 325,772 animelist users (~310k with ratings), ~57.6M ratings, ~109M list rows.
    "full": SizeSpec(
        "full", n_anime=17562, n_users=325772, list_median=206.0, list_sigma=1.15, list_cap=12000, chunk_users=2000
    ),
}


def size_spec(size: str) -> SizeSpec:
    """The spec for ``tiny``, ``demo`` or ``full``; a clear error for anything else."""
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown sample-data size {size!r}: expected one of {', '.join(SIZES)}") from None
