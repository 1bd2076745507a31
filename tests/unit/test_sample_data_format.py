"""Format fidelity of the generated Kaggle files: headers, CSV dialect, and every value rule of the real files.

The rules mirror the real Kaggle "Anime Recommendation Database 2020" files (see sample_data/formats.py for where
each comes from); the expected literals below are written out by hand rather than imported, so a change to the
generator's constants cannot silently change what is tested.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from sample_data.generate import GeneratedDataset, generate_dataset

ANIME_HEADER = (
    "MAL_ID,Name,Score,Genres,English name,Japanese name,Type,Episodes,Aired,Premiered,Producers,Licensors,Studios,"
    "Source,Duration,Rating,Ranked,Popularity,Members,Favorites,Watching,Completed,On-Hold,Dropped,Plan to Watch,"
    "Score-10,Score-9,Score-8,Score-7,Score-6,Score-5,Score-4,Score-3,Score-2,Score-1"
)
HEADERS = {
    "anime.csv": ANIME_HEADER,
    "rating_complete.csv": "user_id,anime_id,rating",
    "animelist.csv": "user_id,anime_id,rating,watching_status,watched_episodes",
    "anime_with_synopsis.csv": "MAL_ID,Name,Score,Genres,sypnopsis",
    "watching_status.csv": "status, description",
}
WATCHING_STATUS = "status, description\n1,Currently Watching\n2,Completed\n3,On Hold\n4,Dropped\n6,Plan to Watch"
GENRES = {
    "Action", "Adventure", "Cars", "Comedy", "Dementia", "Demons", "Drama", "Ecchi", "Fantasy", "Game", "Harem",
    "Hentai", "Historical", "Horror", "Josei", "Kids", "Magic", "Martial Arts", "Mecha", "Military", "Music",
    "Mystery", "Parody", "Police", "Psychological", "Romance", "Samurai", "School", "Sci-Fi", "Seinen", "Shoujo",
    "Shoujo Ai", "Shounen", "Shounen Ai", "Slice of Life", "Space", "Sports", "Super Power", "Supernatural",
    "Thriller", "Vampire", "Yaoi", "Yuri",
}  # fmt: skip
TYPES = {"TV", "OVA", "Movie", "Special", "ONA", "Music", "Unknown"}
SOURCES = {
    "Original", "Manga", "Unknown", "Visual novel", "Game", "Light novel", "Other", "Novel", "Music", "4-koma manga",
    "Web manga", "Picture book", "Book", "Card game", "Digital manga", "Radio",
}  # fmt: skip
AGE_RATINGS = {
    "G - All Ages", "PG - Children", "PG-13 - Teens 13 or older", "R - 17+ (violence & profanity)",
    "R+ - Mild Nudity", "Rx - Hentai", "Unknown",
}  # fmt: skip
MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
DATE = rf"(?:{MON} [1-9]\d?, \d{{4}}|{MON}, \d{{4}}|\d{{4}})"
AIRED = re.compile(rf"^(?:Unknown|{DATE}(?: to (?:{DATE}|\?))?)$")
PREMIERED = re.compile(r"^(?:Unknown|(?:Winter|Spring|Summer|Fall) (?:19|20)\d\d)$")
DURATION = re.compile(r"^(?:Unknown|(?:\d+ hr\.(?: \d+ min\.)?|\d+ min\.|\d+ sec\.)(?: per ep\.)?)$")
SCORE = re.compile(r"^(?:Unknown|(?:10|[1-9])\.\d\d?)$")
FLOAT_COUNT = re.compile(r"^(?:Unknown|[1-9]\d*\.0)$")
INTEGER = re.compile(r"^(?:0|[1-9]\d*)$")
LIST = re.compile(r"^(?:Unknown|[^,\s][^,]*[^,\s]?(?:, [^,\s][^,]*[^,\s]?)*)$")
SEASON_BY_MONTH = {"Jan": "Winter", "Feb": "Winter", "Mar": "Winter", "Apr": "Spring", "May": "Spring",
                   "Jun": "Spring", "Jul": "Summer", "Aug": "Summer", "Sep": "Summer", "Oct": "Fall", "Nov": "Fall",
                   "Dec": "Fall"}  # fmt: skip


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDataset:
    """The tiny generated dataset, shared by the tests of this module (tests/component runs them at demo size)."""
    return generate_dataset("tiny", tmp_path_factory.mktemp("sample-tiny"))


@pytest.fixture(scope="module")
def lists(dataset: GeneratedDataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """animelist.csv and rating_complete.csv of the dataset, read once."""
    return pd.read_csv(dataset.files["animelist.csv"]), pd.read_csv(dataset.files["rating_complete.csv"])


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _anime(dataset: GeneratedDataset) -> list[dict[str, str]]:
    with open(dataset.files["anime.csv"], encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_file_has_the_real_header_and_line_endings(dataset: GeneratedDataset) -> None:
    assert set(dataset.files) == set(HEADERS)
    for name, header in HEADERS.items():
        raw = dataset.files[name].read_bytes()
        assert raw.split(b"\n", 1)[0].decode("utf-8") == header, name
        assert b"\r" not in raw, name
        if name == "watching_status.csv":
            assert not raw.endswith(b"\n")
        else:
            assert raw.endswith(b"\n") and not raw.endswith(b"\n\n"), name
    assert not list(dataset.out_dir.glob("*.partial"))


def test_watching_status_is_the_real_88_bytes(dataset: GeneratedDataset) -> None:
    raw = dataset.files["watching_status.csv"].read_bytes()
    assert raw == WATCHING_STATUS.encode()
    assert len(raw) == 88


@pytest.mark.parametrize("name", ["anime.csv", "anime_with_synopsis.csv"])
def test_quoting_is_minimal_like_the_real_files(dataset: GeneratedDataset, name: str) -> None:
    """The real files round-trip byte for byte through csv.writer(QUOTE_MINIMAL, LF); so must ours."""
    raw = dataset.files[name].read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    again = io.StringIO(newline="")
    csv.writer(again, lineterminator="\n").writerows(rows)
    assert again.getvalue() == raw
    assert len({len(row) for row in rows}) == 1


@pytest.mark.parametrize(("name", "columns"), [("animelist.csv", 5), ("rating_complete.csv", 3)])
def test_list_files_are_plain_unquoted_integers(dataset: GeneratedDataset, name: str, columns: int) -> None:
    body = dataset.files[name].read_text(encoding="utf-8").split("\n", 1)[1]
    assert re.fullmatch(rf"(?:(?:0|[1-9]\d*)(?:,(?:0|[1-9]\d*)){{{columns - 1}}}\n)+", body)


def test_anime_csv_values_follow_the_real_formats(dataset: GeneratedDataset) -> None:
    rows = _anime(dataset)
    assert len(rows) == dataset.n_anime
    ids = [int(r["MAL_ID"]) for r in rows]
    assert ids == sorted(set(ids)) and ids[0] >= 1 and ids[-1] <= 48492
    for r in rows:
        where = f"anime.csv MAL_ID {r['MAL_ID']}"
        assert SCORE.match(r["Score"]), where
        assert r["Genres"] == "Unknown" or set(r["Genres"].split(", ")) <= GENRES, where
        assert len(r["Genres"].split(", ")) == len(set(r["Genres"].split(", "))), where
        for column in ("Genres", "Producers", "Licensors", "Studios"):
            assert LIST.match(r[column]), (where, column, r[column])
        assert r["Type"] in TYPES and r["Source"] in SOURCES and r["Rating"] in AGE_RATINGS, where
        assert r["Episodes"] == "Unknown" or (INTEGER.match(r["Episodes"]) and int(r["Episodes"]) > 0), where
        assert AIRED.match(r["Aired"]), (where, r["Aired"])
        assert PREMIERED.match(r["Premiered"]), (where, r["Premiered"])
        assert DURATION.match(r["Duration"]), (where, r["Duration"])
        assert r["Name"] and r["English name"] and r["Japanese name"], where
        assert FLOAT_COUNT.match(r["Ranked"]), where
        for column in ("Popularity", "Members", "Favorites", "Watching", "Completed", "On-Hold", "Dropped"):
            assert INTEGER.match(r[column]), (where, column)
        assert INTEGER.match(r["Plan to Watch"]), where
        statuses = ("Watching", "Completed", "On-Hold", "Dropped", "Plan to Watch")
        assert int(r["Members"]) == sum(int(r[c]) for c in statuses), where
        for i in range(1, 11):
            assert FLOAT_COUNT.match(r[f"Score-{i}"]), (where, i)


def test_anime_csv_cross_column_rules(dataset: GeneratedDataset) -> None:
    """Rules the real file obeys between columns."""
    rows = _anime(dataset)
    for r in rows:
        where = f"anime.csv MAL_ID {r['MAL_ID']}"
        episodes = int(r["Episodes"]) if r["Episodes"] != "Unknown" else 0
        if r["Duration"] != "Unknown":  # "per ep." exactly when there is more than one episode
            assert r["Duration"].endswith("per ep.") == (episodes > 1), where
        if "Hentai" in r["Genres"].split(", "):  # every real Hentai row is Rx-rated and unranked
            assert r["Rating"] == "Rx - Hentai" and r["Ranked"] == "Unknown", where
        start = re.match(rf"({MON}) [1-9]\d?, (\d{{4}})", r["Aired"])
        if r["Premiered"] != "Unknown":
            assert r["Type"] == "TV" and start, where
            assert r["Premiered"] == f"{SEASON_BY_MONTH[start.group(1)]} {start.group(2)}", where
        counts = [0 if r[f"Score-{i}"] == "Unknown" else int(float(r[f"Score-{i}"])) for i in range(1, 11)]
        assert (r["Score"] == "Unknown") == (sum(counts) < 100), where  # MAL scores from 100 scores on
        if (
            r["Score"] != "Unknown"
        ):  # Score is the mean of the histogram (real: Cowboy Bebop 8.78 vs histogram mean 8.74)
            mean = sum(i * c for i, c in zip(range(1, 11), counts, strict=True)) / sum(counts)
            assert abs(mean - float(r["Score"])) < 0.05, where
    ranked = sorted((float(r["Ranked"]), -float(r["Score"])) for r in rows if r["Ranked"] != "Unknown")
    assert [rank for rank, _ in ranked] == [float(i) for i in range(1, len(ranked) + 1)]
    assert [score for _, score in ranked] == sorted(score for _, score in ranked)
    popularity = sorted((int(r["Popularity"]), -int(r["Members"])) for r in rows)
    assert [p for p, _ in popularity] == list(range(1, len(rows) + 1))
    assert [m for _, m in popularity] == sorted(m for _, m in popularity)


def test_famous_titles_carry_their_real_ids_and_names(dataset: GeneratedDataset) -> None:
    by_id = {int(r["MAL_ID"]): r for r in _anime(dataset)}
    assert by_id[1]["Name"] == "Cowboy Bebop" and by_id[1]["Aired"] == "Apr 3, 1998 to Apr 24, 1999"
    assert by_id[1]["Premiered"] == "Spring 1998" and by_id[1]["Rating"] == "R - 17+ (violence & profanity)"
    assert by_id[5114]["English name"] == "Fullmetal Alchemist:Brotherhood"
    assert by_id[1535]["Genres"] == "Mystery, Police, Psychological, Supernatural, Thriller, Shounen"
    assert by_id[16498]["English name"] == "Attack on Titan"
    names = [r["Name"] for r in by_id.values()]
    assert len(set(names)) == len(names)


def test_synopsis_file_is_anime_csv_without_hentai(dataset: GeneratedDataset) -> None:
    anime = {r["MAL_ID"]: r for r in _anime(dataset)}
    rows = _rows(dataset.files["anime_with_synopsis.csv"])[1:]
    expected = [i for i, r in anime.items() if "Hentai" not in r["Genres"].split(", ")]
    assert [row[0] for row in rows] == expected
    for mal_id, name, score, genres, synopsis in rows:
        assert (name, score, genres) == (anime[mal_id]["Name"], anime[mal_id]["Score"], anime[mal_id]["Genres"])
        assert "\n" not in synopsis


def test_animelist_rows_are_consistent(dataset: GeneratedDataset, lists: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    animelist, _ = lists
    assert len(animelist) == dataset.n_animelist_rows
    episodes = {int(r["MAL_ID"]): (0 if r["Episodes"] == "Unknown" else int(r["Episodes"])) for r in _anime(dataset)}
    assert set(animelist.anime_id) <= set(episodes)
    status_order = animelist.watching_status.map({1: 0, 2: 1, 3: 2, 4: 3, 6: 4})
    assert status_order.notna().all(), "watching_status is one of 1, 2, 3, 4, 6"
    order = pd.DataFrame({"user": animelist.user_id, "status": status_order})
    assert order.equals(order.sort_values(["user", "status"], kind="stable")), "grouped by user, then status"
    assert not animelist.duplicated(["user_id", "anime_id"]).any(), "an anime appears once per user"
    assert animelist.rating.between(0, 10).all() and (animelist.watched_episodes >= 0).all()
    total = animelist.anime_id.map(episodes)
    planned = animelist.watching_status == 6
    assert (animelist.rating[planned] == 0).all() and (animelist.watched_episodes[planned] == 0).all()
    completed = animelist.watching_status == 2
    assert (total[completed] > 0).all(), "anime with Unknown episodes are still airing: nobody completed them"
    assert (animelist.watched_episodes[completed] == total[completed]).all()
    known = total > 0
    assert (animelist.watched_episodes[known] <= total[known]).all()


def test_rating_complete_is_the_completed_rated_animelist_rows(
    dataset: GeneratedDataset, lists: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    animelist, ratings = lists
    expected = animelist[(animelist.watching_status == 2) & (animelist.rating != 0)][["user_id", "anime_id", "rating"]]
    assert ratings.equals(expected.reset_index(drop=True))
    assert len(ratings) == dataset.n_ratings
    assert ratings.rating.between(1, 10).all()
    assert ratings.user_id.nunique() == dataset.n_rating_users
