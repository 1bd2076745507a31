"""Hypothesis strategies that generate Kaggle drops: valid rows mixed with byte-level garbage, any line endings,
encodings, quoting and compression (for test_prepare_data_fuzz.py).

A drop is built in two layers: *rows* (what the file means: anime and interaction records, a few of them wrong
on purpose) rendered to text with some quoting, then *bytes* (how it travels: garbage inserted or cut, line
endings, encoding, BOM, compression). The test never needs to know which rows survive: it checks invariants.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import zipfile
from dataclasses import dataclass

from hypothesis import strategies as st

from anime_recommender.prepare_data.files import ANIME, RATING_COMPLETE

ANIME_COLUMNS = tuple(ANIME.columns)
RATING_COLUMNS = tuple(RATING_COMPLETE.columns)
ANIMELIST_COLUMNS = ("user_id", "anime_id", "rating", "watching_status", "watched_episodes")
SYNOPSIS_COLUMNS = ("MAL_ID", "Name", "sypnopsis")
ANIME_IDS = st.integers(1, 40)
USER_IDS = st.integers(0, 60)

# bytes an adversary likes: structure (quotes, separators, line breaks), NUL, BOMs, invalid or odd UTF-8, signs
GARBAGE = st.sampled_from(
    (
        *(
            b"\x00",
            b"\x00",
            b"\x00",
            b'"',
            b'"',
            b"\r",
            b"\n",
            b"\r\n",
            b",",
            b";",
            b"\t",
            b" ",
            b"-",
            b"+",
            b"0",
            b"9",
            b"x",
            b"\xef\xbb\xbf",
        ),
        *("\u0663".encode(), "\u2028".encode(), b"\x1f\x8b", b'"",', b"\n\n"),
    )
)
NOT_UTF8 = st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\xed\xa0\x80"])  # refuse the drop: kept to "exotic" files


@dataclass(frozen=True)
class Drop:
    """A generated drop: file name → bytes, and the block size to read interaction files with."""

    files: dict[str, bytes]
    block_size: int


def _number_text(value: int) -> st.SearchStrategy[str]:
    """A number as a Kaggle file writes it, or with the syntax variations the step must judge the same way."""
    plain = str(value)
    variants = [f'"{plain}"', f"00{plain}", f" {plain}", f"-{plain}", f"{plain}.0"]
    return st.one_of(st.just(plain), st.just(plain), st.just(plain), st.sampled_from(variants)).filter(bool)


@st.composite
def _anime_row(draw: st.DrawFn, anime_id: int) -> list[str]:
    return [
        draw(_number_text(anime_id)),
        draw(st.sampled_from(["Star Courier", "Café, Bebop", "天国の扉", 'Say "Hi"']) | st.text(max_size=8)),
        draw(st.sampled_from(["8.78", "Unknown", "11", "high", "7"])),
        draw(st.sampled_from(["Action, Comedy", "Unknown", "Drama", ""])),
        draw(st.sampled_from(["Unknown", "Star, Courier", 'The "Quoted"'])),
        draw(st.sampled_from(["TV", "Movie", "Unknown"])),
        draw(st.sampled_from(["26", "Unknown", "-4", "1"])),
        draw(st.sampled_from(["Apr 3, 1998 to Apr 24, 1999", "2003", "Unknown", "sometime"])),
        draw(st.sampled_from(["Spring 1998", "Unknown", "Monsoon 2001"])),
        draw(st.sampled_from(["Sunrise", "Bones, Sunrise", "Unknown"])),
        draw(st.sampled_from(["Original", "Manga"])),
        draw(st.sampled_from(["PG-13 - Teens 13 or older", "Unknown"])),
    ]


@st.composite
def _interaction_row(draw: st.DrawFn, animelist: bool, anime_ids: list[int]) -> list[str]:
    row = [
        draw(_number_text(draw(USER_IDS))),
        draw(_number_text(draw(st.sampled_from(anime_ids) | ANIME_IDS))),
        draw(_number_text(draw(st.integers(0, 11)))),
    ]
    if animelist:
        row += [draw(_number_text(draw(st.sampled_from([1, 2, 3, 4, 6, 5, 0])))), str(draw(st.integers(0, 30)))]
    return row


def _render(header: tuple[str, ...], rows: list[list[str]], quote_all: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@st.composite
def _damaged(draw: st.DrawFn, data: bytes, header_end: int, exotic: bool) -> bytes:
    """``data`` with garbage inserted, bytes cut or lines repeated; the header is left alone half of the time."""
    for _ in range(draw(st.integers(0, 3))):
        low = 0 if draw(st.integers(0, 29)) == 0 else min(header_end + 1, len(data))
        position = draw(st.integers(low, len(data)))
        action = draw(st.sampled_from(["insert", "insert", "cut", "repeat", "stray quote"]))
        if action == "stray quote":  # an unbalanced quote: in anime.csv it would run into the lines below
            data = data[:position] + b'"' + data[position:]
        elif action == "insert":
            garbage = GARBAGE | NOT_UTF8 if exotic else GARBAGE
            data = data[:position] + b"".join(draw(st.lists(garbage, min_size=1, max_size=3))) + data[position:]
        elif action == "cut":
            data = data[:position] + data[position + draw(st.integers(1, 8)) :]
        else:
            end = data.find(b"\n", position)
            data = data[:end] + data[position:end] + data[end:] if end > position else data
    return data


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("file.csv", data)
    return buffer.getvalue()


@st.composite
def _transported(draw: st.DrawFn, text: str, garbage: bool, exotic: bool) -> bytes:
    """Text → bytes with a line-ending style, an encoding, optional damage and, when ``exotic``, maybe another
    encoding or compression (each of which refuses the whole drop, so they are kept to one file in a few drops)."""
    endings = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    if endings == "mixed":
        lines = text.split("\n")
        text = "".join(line + draw(st.sampled_from(["\n", "\r\n", "\r"])) for line in lines[:-1]) + lines[-1]
    elif endings != "\n":
        text = text.replace("\n", endings)
    encodings = ["utf-8", "utf-8-sig", "utf-16", "latin-1"] if exotic else ["utf-8", "utf-8-sig"]
    data = text.encode(draw(st.sampled_from(encodings)), errors="replace")
    if garbage:
        header_end = min((i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0), default=len(data))
        data = draw(_damaged(data, header_end, exotic))
    compression = draw(st.sampled_from([None, None, "gzip", "zip", "bzip2"])) if exotic else None
    if compression == "gzip":
        return gzip.compress(data)
    if compression == "zip":
        return _zip(data)
    if compression == "bzip2":
        return bz2.compress(data)
    return data


@st.composite
def kaggle_drops(draw: st.DrawFn, *, garbage: bool = True) -> Drop:
    """A whole drop: anime.csv, one or both interaction files, maybe anime_with_synopsis.csv."""
    texts: dict[str, str] = {}
    anime_ids = draw(st.lists(ANIME_IDS, min_size=1, max_size=25))
    anime_rows = [draw(_anime_row(anime_id)) for anime_id in anime_ids]
    texts["anime.csv"] = _render(ANIME_COLUMNS, anime_rows, draw(st.booleans()))
    which = draw(st.sampled_from(["rating", "animelist", "both"]))
    if which in ("rating", "both"):
        rows = draw(st.lists(_interaction_row(False, anime_ids), min_size=3, max_size=40))
        texts["rating_complete.csv"] = _render(RATING_COLUMNS, rows, draw(st.booleans()))
    if which in ("animelist", "both"):
        rows = draw(st.lists(_interaction_row(True, anime_ids), min_size=3, max_size=40))
        texts["animelist.csv"] = _render(ANIMELIST_COLUMNS, rows, draw(st.booleans()))
    if draw(st.booleans()):
        synopses = st.sampled_from(["A story.", "Two\nlines", 'A "quoted" word, and more.', ""]) | st.text(max_size=30)
        rows = [[str(draw(ANIME_IDS)), "X", draw(synopses)] for _ in range(draw(st.integers(1, 8)))]
        texts["anime_with_synopsis.csv"] = _render(SYNOPSIS_COLUMNS, rows, False)
    exotic = draw(st.sampled_from([None] * 6 + list(texts)))
    files = {name: draw(_transported(text, garbage, name == exotic)) for name, text in texts.items()}
    return Drop(files, draw(st.sampled_from([16, 64, 1024, 8 * 1024 * 1024])))


@st.composite
def clean_rating_drops(draw: st.DrawFn) -> tuple[Drop, set[tuple[int, int, int]]]:
    """A drop whose rating_complete.csv rows are all valid and distinct, in any line ending, BOM or quoting; with
    the (user, anime, rating) rows interactions.csv must hold."""
    anime_ids = sorted(draw(st.sets(ANIME_IDS, min_size=1, max_size=10)))
    anime_rows = [
        [str(a), f"Anime {a}", "7", "Drama", "Unknown", "TV", "1", "2003", "Unknown", "X", "Y", "G"] for a in anime_ids
    ]
    pairs = draw(st.sets(st.tuples(USER_IDS, st.sampled_from(anime_ids)), min_size=1, max_size=30))
    expected = {(user, anime, draw(st.integers(1, 10))) for user, anime in sorted(pairs)}
    quote = draw(st.sampled_from(["", '"']))
    lines = [f"{quote}{u}{quote},{quote}{a}{quote},{r}" for u, a, r in sorted(expected)]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    rating = bom + (newline.join(["user_id,anime_id,rating", *lines]) + draw(st.sampled_from([newline, ""]))).encode()
    anime = _render(ANIME_COLUMNS, anime_rows, False).replace("\n", newline).encode()
    drop = Drop({"anime.csv": anime, "rating_complete.csv": rating}, draw(st.sampled_from([16, 64, 8 * 1024 * 1024])))
    return drop, expected
