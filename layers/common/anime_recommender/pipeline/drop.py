"""What a drop is: the files under ``incoming/<drop>/``, whether they are complete, and their content hash.

Upload protocol: put every file of a drop under ``incoming/<drop>/`` and upload ``anime.csv`` **last**. Every
upload fires an event; until ``anime.csv`` and an interactions file are both present the execution ends quietly
("waiting for ..."). The content hash covers every file's key, ETag and size, so re-uploading identical files
yields the same hash (and runs once), while any changed or added file yields a new run. A drop whose run failed
runs again only when it is uploaded again (its files' LastModified moves on): late duplicate events of the failed
upload end quietly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from anime_recommender.pipeline.errors import DropError

INCOMING_PREFIX = "incoming/"
CATALOG_FILE = "anime.csv"
INTERACTION_FILES = ("rating_complete.csv", "animelist.csv")
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class DropFile:
    """One object of a drop."""

    key: str
    etag: str
    size: int
    last_modified: str = ""  # UTC, fixed-width ISO-8601; a re-upload of identical bytes changes it, not the ETag


@dataclass(frozen=True)
class Drop:
    """A drop folder's listing."""

    bucket: str
    prefix: str
    files: dict[str, DropFile]  # name relative to the prefix -> object

    @property
    def folder(self) -> str:
        """The drop's folder name (``incoming/<folder>/``)."""
        return self.prefix[len(INCOMING_PREFIX) :].rstrip("/")

    def missing(self) -> list[str]:
        """What the drop still lacks before it can run (empty when complete)."""
        lacking = []
        if CATALOG_FILE not in self.files:
            lacking.append(CATALOG_FILE)
        if not any(name in self.files for name in INTERACTION_FILES):
            lacking.append(" or ".join(INTERACTION_FILES))
        return lacking

    def content_hash(self) -> str:
        """SHA-256 over every file's relative name, ETag and size (order-independent)."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            item = self.files[name]
            digest.update(f"{name}\t{item.etag}\t{item.size}\n".encode())
        return digest.hexdigest()

    def drop_id(self) -> str:
        """A readable, unique id: the folder name plus the start of the content hash."""
        folder = re.sub(r"[^a-zA-Z0-9_-]+", "-", self.folder).strip("-_")[:40] or "drop"
        return f"{folder}-{self.content_hash()[:8]}"

    def uploaded_at(self) -> str:
        """When the newest file of the drop was uploaded (ISO-8601)."""
        return max((f.last_modified for f in self.files.values()), default="")

    def describe(self) -> dict[str, Any]:
        """The drop as it travels in the execution state."""
        return {
            "bucket": self.bucket,
            "dropPrefix": self.prefix,
            "folder": self.folder,
            "dropId": self.drop_id(),
            "contentHash": self.content_hash(),
            "uploadedAt": self.uploaded_at(),
            "files": {name: {"etag": f.etag, "size": f.size} for name, f in sorted(self.files.items())},
        }


def drop_prefix_for_key(key: str) -> str | None:
    """``incoming/<drop>/...`` -> ``incoming/<drop>/``; None for keys outside a drop folder."""
    if not key.startswith(INCOMING_PREFIX):
        return None
    rest = key[len(INCOMING_PREFIX) :]
    folder, sep, name = rest.partition("/")
    if not folder or not sep or not name:
        return None
    return f"{INCOMING_PREFIX}{folder}/"


def list_drop(s3: Any, bucket: str, prefix: str) -> Drop:
    """List every object under the drop prefix (folder placeholder objects ending in ``/`` are skipped)."""
    if not prefix.startswith(INCOMING_PREFIX) or not prefix.endswith("/"):
        raise DropError(f"drop prefix {prefix!r} must look like incoming/<drop>/")
    files: dict[str, DropFile] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            name = obj["Key"][len(prefix) :]
            if not name or name.endswith("/"):
                continue
            files[name] = DropFile(
                key=obj["Key"],
                etag=obj["ETag"].strip('"'),
                size=int(obj["Size"]),
                last_modified=obj["LastModified"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            )
    return Drop(bucket=bucket, prefix=prefix, files=files)


def read_text(s3: Any, bucket: str, key: str) -> str:
    """An object's body as UTF-8 text."""
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
