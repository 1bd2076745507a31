"""The generated demo data has structure a recommender can learn, read back from the CSV files only.

Planted tastes come from the GeneratedDataset object (they are never in the files); every number the assertions
compare is computed here from the generated files, against a baseline computed in the same test.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix

from sample_data.generate import GeneratedDataset, generate_dataset

HELD_OUT_SHARE = 0.2
TOP_K = 50


@dataclass
class Loaded:
    """The demo files as arrays: anime in anime.csv order, ratings as (user row, anime row, rating)."""

    dataset: GeneratedDataset
    anime_ids: np.ndarray
    genre_names: list[str]
    genres: np.ndarray  # (n_anime, n_genres) 0/1
    score: list[str]
    user_ids: np.ndarray
    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    listed: np.ndarray  # animelist.csv rows per anime


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """Generate the demo size once and load it from its CSV files."""
    dataset = generate_dataset("demo", tmp_path_factory.mktemp("demo"))
    with open(dataset.files["anime.csv"], encoding="utf-8", newline="") as handle:
        anime = list(csv.DictReader(handle))
    anime_ids = np.array([int(r["MAL_ID"]) for r in anime])
    genre_names = sorted({g for r in anime for g in r["Genres"].split(", ") if g != "Unknown"})
    column = {g: j for j, g in enumerate(genre_names)}
    genres = np.zeros((len(anime), len(genre_names)))
    for i, r in enumerate(anime):
        for g in r["Genres"].split(", "):
            if g in column:
                genres[i, column[g]] = 1.0
    ratings = pd.read_csv(dataset.files["rating_complete.csv"], dtype=np.int64).to_numpy()
    animelist = pd.read_csv(dataset.files["animelist.csv"], usecols=["anime_id"], dtype=np.int64)["anime_id"].to_numpy()
    user_ids, user = np.unique(ratings[:, 0], return_inverse=True)
    row_of = np.searchsorted(anime_ids, ratings[:, 1])
    assert np.array_equal(anime_ids[row_of], ratings[:, 1])
    listed = np.bincount(np.searchsorted(anime_ids, animelist), minlength=len(anime))
    return Loaded(
        dataset,
        anime_ids,
        genre_names,
        genres,
        [r["Score"] for r in anime],
        user_ids,
        user,
        row_of,
        ratings[:, 2],
        listed,
    )


def test_genre_taste_baseline_beats_random_on_held_out_ratings(demo: Loaded) -> None:
    """Rank each user's unseen anime by the genre profile of their training ratings; held-out ones rank high."""
    rng = np.random.default_rng(0)
    held_out = rng.random(demo.user.size) < HELD_OUT_SHARE
    train = ~held_out
    n_users, n_items = demo.user_ids.size, demo.anime_ids.size
    profile = np.zeros((n_users, demo.genres.shape[1]))
    np.add.at(profile, demo.user[train], demo.genres[demo.item[train]] * (demo.rating[train, None] - 5.0))
    scores = profile @ (demo.genres / np.sqrt(np.maximum(demo.genres.sum(axis=1, keepdims=True), 1))).T
    seen = np.zeros((n_users, n_items), dtype=bool)
    seen[demo.user[train], demo.item[train]] = True
    scores[seen] = -np.inf
    enough = np.bincount(demo.user[train], minlength=n_users) >= 3
    users, items = demo.user[held_out], demo.item[held_out]
    users, items = users[enough[users]], items[enough[users]]
    assert users.size > 10_000

    candidates = (~seen[users]).sum(axis=1)
    mine = scores[users, items]
    rank = np.concatenate(  # anime scored above the held-out one, in slices to keep memory small
        [(scores[users[i : i + 2048]] > mine[i : i + 2048, None]).sum(axis=1) for i in range(0, users.size, 2048)]
    )
    genre_auc = float(np.mean(1 - rank / candidates))
    genre_recall = float(np.mean(rank < TOP_K))
    random_rank = rng.integers(0, candidates)  # a random ranking puts the held-out anime anywhere
    random_auc = float(np.mean(1 - random_rank / candidates))
    random_recall = float(np.mean(random_rank < TOP_K))
    assert genre_auc > random_auc + 0.08, (genre_auc, random_auc)
    assert genre_recall > 2 * random_recall, (genre_recall, random_recall)


def test_planted_favourite_genres_show_in_the_ratings(demo: Loaded) -> None:
    """Genres a user was planted to like are over-represented among the anime they rated."""
    n_users = demo.user_ids.size
    counts = np.zeros((n_users, demo.genres.shape[1]))
    np.add.at(counts, demo.user, demo.genres[demo.item])
    per_user = np.bincount(demo.user, minlength=n_users)
    base_rate = demo.genres.mean(axis=0)
    lift = counts / np.maximum(per_user[:, None], 1) / np.maximum(base_rate, 1e-9)
    column = {g: j for j, g in enumerate(demo.genre_names)}
    favourite_lift, other_lift, top_hits, chance = [], [], [], []
    for row in np.flatnonzero(per_user >= 30):
        favourites = {column[g] for g in demo.dataset.user_favourite_genres[int(demo.user_ids[row])] if g in column}
        is_favourite = np.isin(np.arange(len(column)), list(favourites))
        favourite_lift.append(lift[row, is_favourite].mean())
        other_lift.append(lift[row, ~is_favourite].mean())
        top_hits.append(int(np.argmax(np.where(counts[row] >= 3, lift[row], 0))) in favourites)
        chance.append(len(favourites) / len(column))
    assert len(top_hits) > 500
    assert np.mean(favourite_lift) > 1.5 * np.mean(other_lift)
    assert np.mean(top_hits) > 3 * np.mean(chance)


def test_cold_anime_exist_and_are_never_rated(demo: Loaded) -> None:
    cold = np.isin(demo.anime_ids, demo.dataset.cold_anime_ids)
    assert cold.sum() >= 0.02 * demo.anime_ids.size
    rated = np.zeros(demo.anime_ids.size, dtype=bool)
    rated[demo.item] = True
    assert not (rated & cold).any()
    assert all(demo.score[i] == "Unknown" for i in np.flatnonzero(cold))


def test_popularity_is_long_tailed(demo: Loaded) -> None:
    per_anime = np.sort(np.bincount(demo.item, minlength=demo.anime_ids.size))[::-1]
    tenth = demo.anime_ids.size // 10
    assert per_anime[:tenth].sum() > 0.5 * per_anime.sum()
    assert per_anime[demo.anime_ids.size // 2 :].sum() < 0.2 * per_anime.sum()


def test_rating_distribution_is_close_to_the_real_one(demo: Loaded) -> None:
    """Real rating_complete.csv: mean 7.51, std 1.70, quartiles 7/8/9, every value 1..10 used."""
    assert 7.3 < demo.rating.mean() < 7.8
    assert 1.5 < demo.rating.std() < 1.95
    assert list(np.percentile(demo.rating, [25, 50, 75])) == [7.0, 8.0, 9.0]
    assert set(np.unique(demo.rating)) == set(range(1, 11))


def test_history_lengths_are_heavy_tailed(demo: Loaded) -> None:
    per_user = np.bincount(demo.user)
    q25, median, q90 = np.percentile(per_user, [25, 50, 90])
    assert q90 >= 5 * q25
    assert per_user.max() >= 10 * median
    assert np.mean(per_user <= 10) > 0.2


def test_famous_titles_are_popular_and_co_watched_with_similar_genres(demo: Loaded) -> None:
    famous = np.flatnonzero(np.isin(demo.anime_ids, demo.dataset.famous_anime_ids))
    assert famous.size >= 40
    listed_rank = np.argsort(np.argsort(-demo.listed, kind="stable"), kind="stable")
    assert (listed_rank[famous] < demo.anime_ids.size // 10).all()

    matrix = csr_matrix(
        (np.ones(demo.user.size), (demo.user, demo.item)), shape=(demo.user_ids.size, demo.anime_ids.size)
    )
    co = (matrix.T @ matrix).toarray()
    norms = np.sqrt(np.diag(co))

    def jaccard(a: int, b: np.ndarray) -> np.ndarray:
        both = (demo.genres[b] * demo.genres[a]).sum(axis=1)
        either = np.maximum(demo.genres[b], demo.genres[a]).sum(axis=1)
        return both / np.maximum(either, 1)

    rng = np.random.default_rng(1)
    neighbour_similarity, random_similarity = [], []
    for a in famous[norms[famous] > 0]:
        cosine = co[a] / (norms[a] * np.maximum(norms, 1e-9))
        cosine[a] = -1
        neighbour_similarity.append(jaccard(a, np.argsort(-cosine)[:10]).mean())
        random_similarity.append(jaccard(a, rng.integers(0, demo.anime_ids.size, 200)).mean())
    assert np.mean(neighbour_similarity) > 2 * np.mean(random_similarity)
