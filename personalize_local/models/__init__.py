"""The Personalize Local backend: every resource family on one state (SQLite + Parquet + model files)."""

from __future__ import annotations

from personalize_local.models.base import BackendConfig
from personalize_local.models.campaigns import CampaignsMixin
from personalize_local.models.datasets import DatasetsMixin
from personalize_local.models.runtime import RuntimeMixin
from personalize_local.models.solutions import SolutionsMixin


class PersonalizeBackend(RuntimeMixin, CampaignsMixin, SolutionsMixin, DatasetsMixin):
    """All operations of ``personalize``, ``personalize-runtime`` and ``personalize-events`` for one data dir."""

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        self.init_runtime()
        self.register_dataset_jobs()
        self.register_solution_jobs()
        self.register_campaign_jobs()

    def start(self) -> None:
        """Resume the work that was under way when the server last stopped."""
        self.resume()
        self.resume_campaign_updates()


__all__ = ["BackendConfig", "PersonalizeBackend"]
