"""The live catalog (``catalog.json`` written by the prepare step): titles and metadata by anime id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from anime_recommender.recommendations_api.errors import AnimeNotFoundError
from anime_recommender.recommendations_api.models import AnimeDetail, AnimeItem


@dataclass(frozen=True)
class CatalogEntry:
    """One anime as ``catalog.json`` describes it."""

    anime_id: int
    title: str
    english_title: str | None
    genres: tuple[str, ...]
    year: int | None
    score: float | None
    type: str | None
    studios: tuple[str, ...]

    def as_item(self, score: float | None = None) -> AnimeItem:
        """This anime as a list item, with Personalize's score when there is one."""
        return AnimeItem(
            id=self.anime_id,
            title=self.title,
            englishTitle=self.english_title,
            genres=list(self.genres),
            year=self.year,
            score=score,
        )

    def as_detail(self) -> AnimeDetail:
        """This anime as the full catalog entry."""
        return AnimeDetail(
            id=self.anime_id,
            title=self.title,
            englishTitle=self.english_title,
            genres=list(self.genres),
            year=self.year,
            malScore=self.score,
            type=self.type,
            studios=list(self.studios),
        )


class Catalog:
    """Lookup of anime by id plus the genre and studio vocabularies filters may use."""

    def __init__(self, entries: Mapping[int, CatalogEntry]) -> None:
        self._entries = dict(entries)
        self.genres: tuple[str, ...] = tuple(sorted({g for entry in self._entries.values() for g in entry.genres}))
        self.studios: tuple[str, ...] = tuple(sorted({s for entry in self._entries.values() for s in entry.studios}))

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Catalog:
        """Build from the parsed ``catalog.json`` object (``{"<animeId>": {...}}``)."""
        entries: dict[int, CatalogEntry] = {}
        for key, value in document.items():
            anime_id = int(key)
            entries[anime_id] = CatalogEntry(
                anime_id=anime_id,
                title=str(value["title"]),
                english_title=value.get("englishTitle"),
                genres=tuple(value.get("genres") or ()),
                year=value.get("year"),
                score=value.get("score"),
                type=value.get("type"),
                studios=tuple(value.get("studios") or ()),
            )
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, anime_id: object) -> bool:
        return anime_id in self._entries

    def get(self, anime_id: int) -> CatalogEntry:
        """The entry for ``anime_id``; :class:`AnimeNotFoundError` if the catalog lacks it."""
        entry = self._entries.get(anime_id)
        if entry is None:
            raise AnimeNotFoundError([anime_id])
        return entry

    def require(self, anime_ids: list[int]) -> None:
        """Raise :class:`AnimeNotFoundError` naming every id the catalog lacks."""
        missing = [anime_id for anime_id in anime_ids if anime_id not in self._entries]
        if missing:
            raise AnimeNotFoundError(missing)

    def item(self, item_id: str, score: float | None) -> AnimeItem:
        """A Personalize item id as a titled list item (title null if the catalog lacks the id)."""
        anime_id = int(item_id)
        entry = self._entries.get(anime_id)
        if entry is None:
            return AnimeItem(id=anime_id, title=None, englishTitle=None, genres=[], year=None, score=score)
        return entry.as_item(score)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → ``(bucket, key)``; ValueError for anything else."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def load_catalog(s3_client: Any, uri: str) -> Catalog:
    """Read ``catalog.json`` from S3."""
    bucket, key = parse_s3_uri(uri)
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return Catalog.from_json(json.loads(body))
