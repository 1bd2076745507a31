"""The simulated user population: ids, list lengths and the latent (planted) tastes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_data.catalog import GENRE_NAMES, STUDIO_NAMES, Catalog
from sample_data.sizes import SizeSpec
from sample_data.vocab import GENRE_COUNTS

MAX_FAVOURITE_GENRES = 3
# user_id runs 0..353,404 over 325,772 animelist users in the real data: about 8% of ids are unused.
ID_GAP_SHARE = 1 - 325772 / 353405
NEWCOMER_SHARE = 0.15
NEWCOMER_P = 0.35  # geometric list length, mean 2.9
STUDIO_FAN_SHARE = 0.5  # half the users also follow one studio
STUDIO_STRENGTH = 0.12  # share of a studio fan's picks that come from that studio


@dataclass
class Users:
    """Per-user arrays; row i is the i-th user in user_id order."""

    user_id: np.ndarray  # int64, increasing, with gaps like the real ids
    list_length: np.ndarray  # int64 target animelist.csv length
    favourite_genres: np.ndarray  # int64 (n, 3) indices into GENRE_NAMES, -1 padded
    favourite_weights: np.ndarray  # float64 (n, 3) weights of those genres (sum 1), 0 where padded
    genre_strength: np.ndarray  # float64 share of picks driven by the favourite genres
    favourite_studio: np.ndarray  # int64 index into STUDIO_NAMES, -1 for none
    studio_strength: np.ndarray  # float64 share of picks from the favourite studio
    bias: np.ndarray  # float64 user rating bias (about N(0, 1))

    @property
    def size(self) -> int:
        """Number of users."""
        return int(self.user_id.size)

    def favourite_genre_names(self, row: int) -> tuple[str, ...]:
        """The planted favourite genres of the user in ``row``, strongest first."""
        order = np.argsort(-self.favourite_weights[row], kind="stable")
        return tuple(GENRE_NAMES[g] for g in self.favourite_genres[row][order] if g >= 0)

    def favourite_studio_name(self, row: int) -> str | None:
        """The planted favourite studio of the user in ``row``, if any."""
        s = int(self.favourite_studio[row])
        return STUDIO_NAMES[s] if s >= 0 else None


def _top_k_without_replacement(rng: np.random.Generator, probs: np.ndarray, n: int, k: int) -> np.ndarray:
    """``n`` rows of ``k`` distinct indices drawn in proportion to ``probs`` (Gumbel top-k, vectorised)."""
    keys = np.log(probs)[None, :] + rng.gumbel(size=(n, probs.size))
    return np.argsort(-keys, axis=1, kind="stable")[:, :k]


def build_users(rng: np.random.Generator, spec: SizeSpec, catalog: Catalog) -> Users:
    """Draw ``spec.n_users`` users with heavy-tailed list lengths and genre/studio tastes over the catalogue."""
    n = spec.n_users
    steps = rng.geometric(1 - ID_GAP_SHARE, n)  # 1 = next id, 2+ = skipped ids
    user_id = np.cumsum(steps) - steps[0]
    lengths = np.ceil(rng.lognormal(np.log(spec.list_median), spec.list_sigma, n)).astype(np.int64)
    # Newcomers with a handful of entries; with them ~5% of users have no completed, rated anime (real: 15.7k of
    # 325.8k animelist users are missing from rating_complete.csv).
    newcomer = rng.random(n) < NEWCOMER_SHARE
    lengths = np.where(newcomer, rng.geometric(NEWCOMER_P, n), lengths)
    list_length = np.clip(lengths, 1, min(spec.list_cap, catalog.size))

    # Favourite genres: only genres with enough un-cold anime to sample from, in proportion to their real
    # frequency (tempered so that rare genres still have fans).
    warm = ~catalog.is_cold
    per_genre = catalog.genre_matrix[warm].sum(axis=0)
    weights = np.array(list(GENRE_COUNTS.values()), dtype=np.float64) ** 0.8 * (per_genre >= 3)
    probs = weights / weights.sum()
    k_fav = min(MAX_FAVOURITE_GENRES, int((probs > 0).sum()))
    favourite = _top_k_without_replacement(rng, np.maximum(probs, 1e-300), n, k_fav)
    n_fav = rng.choice([1, 2, 3], size=n, p=[0.3, 0.45, 0.25]).clip(max=k_fav)
    fav_weights = rng.dirichlet(np.full(k_fav, 2.0), size=n)
    mask = np.arange(k_fav)[None, :] < n_fav[:, None]
    fav_weights = np.where(mask, fav_weights, 0.0)
    fav_weights /= fav_weights.sum(axis=1, keepdims=True)
    favourite = np.where(mask, favourite, -1)
    if k_fav < MAX_FAVOURITE_GENRES:  # only in absurdly small catalogues
        pad = MAX_FAVOURITE_GENRES - k_fav
        favourite = np.pad(favourite, ((0, 0), (0, pad)), constant_values=-1)
        fav_weights = np.pad(fav_weights, ((0, 0), (0, pad)))

    studio_items = np.bincount(catalog.studio_index[warm & (catalog.studio_index >= 0)], minlength=len(STUDIO_NAMES))
    studio_probs = (studio_items + 1e-12) / (studio_items.sum() + 1e-12 * len(STUDIO_NAMES))
    fan = (rng.random(n) < STUDIO_FAN_SHARE) & (studio_items.sum() > 0)
    favourite_studio = np.where(fan, rng.choice(len(STUDIO_NAMES), size=n, p=studio_probs), -1)
    return Users(
        user_id=user_id.astype(np.int64),
        list_length=list_length,
        favourite_genres=favourite.astype(np.int64),
        favourite_weights=fav_weights,
        genre_strength=rng.beta(5.0, 2.2, n),
        favourite_studio=favourite_studio.astype(np.int64),
        studio_strength=np.where(fan, STUDIO_STRENGTH, 0.0),
        bias=rng.normal(0.0, 1.0, n),
    )
