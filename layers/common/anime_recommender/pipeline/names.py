"""Deterministic names of everything the pipeline creates, and the published SSM parameter names
(docs/pipeline.md, "What it publishes").

Names are derived from the project name (``PROJECT_NAME``, default ``anime-recs``) so a re-run finds what an
earlier run created instead of creating it twice.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

from anime_recommender.contracts.parameters import ParameterNames

DEFAULT_PROJECT = "anime-recs"


def project_name() -> str:
    """The project name from the environment (``PROJECT_NAME``)."""
    return os.environ.get("PROJECT_NAME", DEFAULT_PROJECT)


def short_hash(text: str, length: int = 10) -> str:
    """A short, stable hex digest of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _personalize_name(*parts: str) -> str:
    """Join parts into a valid Personalize name (letters, digits, ``-``, ``_``; at most 63 characters)."""
    name = re.sub(r"[^a-zA-Z0-9_-]+", "-", "-".join(parts)).strip("-_")
    if len(name) > 63:
        name = f"{name[:52]}-{short_hash(name)}"
    return name


@dataclass(frozen=True)
class ResourceNames:
    """Every deterministic name for one project."""

    project: str

    @property
    def dataset_group(self) -> str:
        """The dataset group every drop imports into."""
        return _personalize_name(self.project)

    def schema(self, dataset_type: str, schema_json: str) -> str:
        """Schemas are immutable, so their name carries a hash of their content."""
        return _personalize_name(self.project, dataset_type.lower(), short_hash(schema_json, 8))

    def dataset(self, dataset_type: str) -> str:
        """The dataset of one type (``interactions`` / ``items``)."""
        return _personalize_name(self.project, dataset_type.lower())

    def import_job(self, dataset_type: str, content_hash: str) -> str:
        """One import job per dataset per drop content."""
        return _personalize_name(self.project, dataset_type.lower(), content_hash[:16])

    def solution(self, recipe_key: str) -> str:
        """One solution per configured recipe."""
        return _personalize_name(self.project, recipe_key)

    def solution_version(self, content_hash: str) -> str:
        """One solution version per solution per drop content."""
        return _personalize_name("drop", content_hash[:16])

    def campaign(self, recipe_key: str) -> str:
        """One campaign per deployed recipe (names are unique in the account, hence the project prefix)."""
        return _personalize_name(self.project, recipe_key)

    @property
    def event_tracker(self) -> str:
        """The dataset group's event tracker (Personalize allows one)."""
        return _personalize_name(self.project, "tracker")

    def filter(self, filter_key: str) -> str:
        """One Personalize filter per contract filter name."""
        return _personalize_name(self.project, filter_key)

    # ---------------------------------------------------------------- SSM (the contract: contracts/parameters.py)
    @property
    def parameters(self) -> ParameterNames:
        """The project's published SSM parameter names (campaigns, tracking id, filters, event types, catalog...)."""
        return ParameterNames(self.project)

    # ---------------------------------------------------------------- S3 keys
    @staticmethod
    def prepared_prefix(drop_id: str) -> str:
        """Where prepare_data writes a drop's Personalize-ready files."""
        return f"prepared/{drop_id}/"

    @staticmethod
    def report_key(drop_id: str) -> str:
        """The metrics report of a drop."""
        return f"reports/{drop_id}/metrics.json"

    @staticmethod
    def claim_key(content_hash: str) -> str:
        """The marker that says a drop content has been taken by an execution."""
        return f"state/claims/{content_hash}.json"

    def lock_key(self) -> str:
        """The lock that keeps two drops from running against the dataset group at once."""
        return f"state/locks/{self.dataset_group}.json"


def names() -> ResourceNames:
    """The resource names of the configured project."""
    return ResourceNames(project_name())
