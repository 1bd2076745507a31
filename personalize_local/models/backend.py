"""The facade: one object composing every resource family on one state (SQLite + Parquet + model files).

Each family is its own part with explicit collaborators; :meth:`PersonalizeBackend.operation` finds the part that
implements a Personalize operation (``CreateDatasetGroup`` -> ``dataset_groups.create_dataset_group``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from botocore import xform_name

from personalize_local.models.actions import Actions
from personalize_local.models.auto_training import AutoTraining
from personalize_local.models.batch_inference import BatchInferenceJobs
from personalize_local.models.batch_segments import BatchSegmentJobs
from personalize_local.models.campaigns import Campaigns
from personalize_local.models.dataset_groups import DatasetGroups
from personalize_local.models.dataset_updates import DatasetUpdates
from personalize_local.models.deletions import DataDeletions
from personalize_local.models.deployments import Deployments
from personalize_local.models.event_trackers import EventTrackers
from personalize_local.models.exports import DatasetExports
from personalize_local.models.feature_transformations import FeatureTransformations
from personalize_local.models.filters import Filters
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.jobs import Jobs
from personalize_local.models.lifecycle import BackendConfig, Lifecycle
from personalize_local.models.metric_attributions import MetricAttributions
from personalize_local.models.model_cache import ModelCache
from personalize_local.models.recipe_catalog import RecipeCatalog
from personalize_local.models.recommenders import Recommenders
from personalize_local.models.serving import Serving
from personalize_local.models.solutions import Solutions
from personalize_local.models.tags import Tags

# The classes of the parts, in the order operations are looked up.
PART_CLASSES: tuple[type, ...] = (
    DatasetGroups,
    Solutions,
    AutoTraining,
    RecipeCatalog,
    FeatureTransformations,
    Campaigns,
    Recommenders,
    EventTrackers,
    Filters,
    Tags,
    Jobs,
    BatchInferenceJobs,
    BatchSegmentJobs,
    Serving,
    DatasetExports,
    DataDeletions,
    DatasetUpdates,
    MetricAttributions,
    Actions,
)


class PersonalizeBackend:
    """All operations of ``personalize``, ``personalize-runtime`` and ``personalize-events`` for one data dir."""

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self.lifecycle = Lifecycle(config)
        self.group_data = GroupDataCache(self.lifecycle)
        self.models = ModelCache(self.lifecycle)
        self.deployments = Deployments(self.lifecycle, self.models)
        self.dataset_groups = DatasetGroups(self.lifecycle, self.group_data)
        self.solutions = Solutions(self.lifecycle, self.group_data, self.models)
        self.recipes = RecipeCatalog(self.lifecycle)
        self.auto_training = AutoTraining(self.lifecycle, self.solutions)
        self.feature_transformations = FeatureTransformations()
        self.campaigns = Campaigns(self.lifecycle, self.models, self.deployments)
        self.event_trackers = EventTrackers(self.lifecycle)
        self.filters = Filters(self.lifecycle, self.group_data)
        self.tags = Tags(self.lifecycle)
        self.jobs = Jobs(self.lifecycle)
        self.recommenders = Recommenders(self.lifecycle, self.group_data, self.solutions, self.models, self.deployments)
        self.exports = DatasetExports(self.lifecycle, self.group_data)
        self.deletions = DataDeletions(self.lifecycle, self.group_data)
        self.dataset_updates = DatasetUpdates(self.lifecycle, self.group_data)
        self.metric_attributions = MetricAttributions(self.lifecycle, self.group_data)
        self.serving = Serving(self.lifecycle, self.group_data, self.deployments, self.filters, self.event_trackers)
        self.batch_inference_jobs = BatchInferenceJobs(self.lifecycle, self.deployments, self.serving)
        self.actions = Actions(self.lifecycle, self.serving, self.event_trackers, self.deployments)
        self.batch_segment_jobs = BatchSegmentJobs(self.lifecycle, self.models)
        by_class = {type(value): value for value in vars(self).values()}
        self.parts: tuple[Any, ...] = tuple(by_class[cls] for cls in PART_CLASSES)

    @property
    def store(self) -> Any:
        """The metadata store (SQLite)."""
        return self.lifecycle.store

    @staticmethod
    def implements(name: str) -> bool:
        """True when a part implements the operation ``name`` (``CreateDatasetGroup``)."""
        method = xform_name(name)
        return any(callable(getattr(cls, method, None)) for cls in PART_CLASSES)

    def operation(self, name: str) -> Callable[..., Any] | None:
        """The method implementing the operation ``name`` (``CreateDatasetGroup``), or None when none does."""
        method = xform_name(name)
        for part in self.parts:
            handler = getattr(part, method, None)
            if callable(handler):
                return handler
        return None

    def in_region(self, region: str | None) -> AbstractContextManager[None]:
        """Serve the calls inside the block for ``region`` (the request's SigV4 region; None: the default)."""
        return self.lifecycle.in_region(region)

    def start(self) -> None:
        """Resume the work that was under way when the server last stopped."""
        self.lifecycle.resume()
        self.campaigns.resume()
        self.recommenders.resume()
        self.deletions.resume()
        self.dataset_updates.resume()
        self.recommenders.start()
        self.auto_training.resume()
        self.auto_training.start()

    def shutdown(self) -> None:
        """Stop the schedulers and the worker (running jobs finish their current step), close the store."""
        self.recommenders.stop()
        self.auto_training.stop()
        self.lifecycle.shutdown()
