"""The event tracker's tracking id, as the pipeline publishes it in SSM (``contracts.parameters``).

Read through Powertools Parameters (cached for ``max_age`` seconds); the template's placeholder means the pipeline
has not created the tracker yet, which the forwarder treats like any unavailable tracking id: the stream retries.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from aws_lambda_powertools.utilities import parameters

from anime_recommender.contracts.parameters import ParameterNames, is_placeholder
from anime_recommender.pipeline.names import project_name

DEFAULT_CACHE_SECONDS = 300


class TrackingIdNotDeployed(LookupError):
    """The pipeline has not created the event tracker yet (the parameter still holds the template's placeholder)."""


@dataclass(frozen=True)
class PublishedTrackingId:
    """A callable returning the tracking id from SSM; pass it to :meth:`WatchEventForwarder.forward`."""

    parameter_name: str
    max_age_seconds: int = DEFAULT_CACHE_SECONDS

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> PublishedTrackingId:
        """``TRACKING_ID_PARAMETER`` (default: the project's published name, from ``PROJECT_NAME``) and
        ``TRACKING_ID_CACHE_SECONDS``."""
        name = environ.get("TRACKING_ID_PARAMETER") or ParameterNames(project_name()).tracking_id
        return cls(name, int(environ.get("TRACKING_ID_CACHE_SECONDS") or DEFAULT_CACHE_SECONDS))

    def __call__(self) -> str:
        """The tracking id; raises :class:`TrackingIdNotDeployed` while the parameter holds the placeholder."""
        value = parameters.get_parameter(self.parameter_name, max_age=self.max_age_seconds)
        if is_placeholder(value):
            raise TrackingIdNotDeployed(
                f"SSM parameter {self.parameter_name} holds {value!r}: no event tracker yet (run the pipeline)"
            )
        return str(value)

    @staticmethod
    def forget() -> None:
        """Drop the cached value (the tracker refused it: the pipeline may have replaced it)."""
        parameters.clear_caches()
