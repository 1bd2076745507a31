"""The backend's domain objects: what each resource family returns. Plain dataclasses with snake_case fields named
after the members of Personalize's Describe shapes (``datasetGroupArn`` -> ``dataset_group_arn``); ``responses.py``
turns them into the wire format with botocore's output shapes. Nested configurations are dicts with snake_case keys
(a map's keys, such as hyperparameter names, are data and stay as given)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from personalize_local.store import Resource

T = TypeVar("T")


@dataclass(kw_only=True)
class Tracked:
    """The status fields every asynchronously created resource has."""

    status: str = "CREATE PENDING"
    creation_date_time: float = 0.0
    last_updated_date_time: float = 0.0
    failure_reason: str | None = None


@dataclass(kw_only=True)
class DatasetGroup(Tracked):
    """A dataset group."""

    name: str
    dataset_group_arn: str
    role_arn: str | None = None
    kms_key_arn: str | None = None
    domain: str | None = None


@dataclass(kw_only=True)
class Schema:
    """A dataset schema (no status: it exists at once)."""

    name: str
    schema_arn: str
    schema: str
    creation_date_time: float
    last_updated_date_time: float
    domain: str | None = None


@dataclass(kw_only=True)
class Dataset(Tracked):
    """A dataset of a dataset group (``tracking_id`` is filled in on Describe for Interactions)."""

    name: str
    dataset_arn: str
    dataset_group_arn: str
    dataset_type: str
    schema_arn: str
    tracking_id: str | None = None
    latest_dataset_update: dict[str, Any] | None = None


@dataclass(kw_only=True)
class DatasetImportJob(Tracked):
    """A dataset import job."""

    job_name: str
    dataset_import_job_arn: str
    dataset_arn: str
    data_source: dict[str, Any]
    import_mode: str = "FULL"
    role_arn: str | None = None
    publish_attribution_metrics_to_s3: bool | None = None


@dataclass(kw_only=True)
class SolutionVersion(Tracked):
    """A solution version (one training run)."""

    solution_version_arn: str
    solution_arn: str
    recipe_arn: str
    dataset_group_arn: str
    solution_config: dict[str, Any]
    training_mode: str
    training_type: str = "MANUAL"
    name: str | None = None
    perform_hpo: bool = False
    perform_auto_ml: bool = False
    perform_incremental_update: bool | None = None
    event_type: str | None = None
    training_hours: float | None = None
    tuned_hpo_params: dict[str, Any] | None = None


@dataclass(kw_only=True)
class Solution(Tracked):
    """A solution (``latest_solution_version`` is filled in on Describe)."""

    name: str
    solution_arn: str
    dataset_group_arn: str
    recipe_arn: str
    solution_config: dict[str, Any]
    perform_hpo: bool = False
    perform_auto_ml: bool = False
    perform_auto_training: bool = True
    perform_incremental_update: bool | None = None
    event_type: str | None = None
    latest_solution_version: SolutionVersion | None = None
    latest_solution_update: dict[str, Any] | None = None


@dataclass(kw_only=True)
class Campaign(Tracked):
    """A campaign (``latest_campaign_update`` tracks an UpdateCampaign)."""

    name: str
    campaign_arn: str
    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: dict[str, Any]
    latest_campaign_update: dict[str, Any] | None = None


@dataclass(kw_only=True)
class EventTracker(Tracked):
    """An event tracker (its ``tracking_id`` is what PutEvents takes)."""

    name: str
    event_tracker_arn: str
    account_id: str
    tracking_id: str
    dataset_group_arn: str


@dataclass(kw_only=True)
class Filter(Tracked):
    """A recommendation filter."""

    name: str
    filter_arn: str
    dataset_group_arn: str
    filter_expression: str


@dataclass(kw_only=True)
class Recommender(Tracked):
    """A recommender of a domain dataset group."""

    name: str
    recommender_arn: str
    dataset_group_arn: str
    recipe_arn: str
    recommender_config: dict[str, Any]
    latest_recommender_update: dict[str, Any] | None = None
    model_metrics: dict[str, float] | None = None


@dataclass(kw_only=True)
class RecipeDescription:
    """A built-in recipe as DescribeRecipe / ListRecipes show it."""

    name: str
    recipe_arn: str
    algorithm_arn: str
    feature_transformation_arn: str
    status: str
    description: str
    creation_date_time: float
    last_updated_date_time: float
    recipe_type: str
    domain: str | None = None


@dataclass(kw_only=True)
class AlgorithmDescription:
    """A recipe's algorithm as DescribeAlgorithm shows it."""

    name: str
    algorithm_arn: str
    algorithm_image: dict[str, str]
    default_hyper_parameters: dict[str, str]
    default_hyper_parameter_ranges: dict[str, list[dict[str, Any]]]
    default_resource_config: dict[str, str]
    training_input_mode: str
    creation_date_time: float
    last_updated_date_time: float


@dataclass(frozen=True)
class Tag:
    """One resource tag."""

    tag_key: str
    tag_value: str


@dataclass(frozen=True)
class SolutionMetrics:
    """GetSolutionMetrics' answer."""

    solution_version_arn: str
    metrics: dict[str, float]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a List operation and the token of the next page (None on the last page)."""

    items: list[T]
    next_token: str | None = None


@dataclass(frozen=True)
class RecommendedItem:
    """One entry of ``itemList`` / ``personalizedRanking``."""

    item_id: str
    score: float | None = None
    metadata: dict[str, str] | None = None
    promotion_name: str | None = None
    reason: list[str] | None = None


@dataclass(frozen=True)
class Recommendations:
    """GetRecommendations' answer."""

    item_list: list[RecommendedItem]
    recommendation_id: str


@dataclass(frozen=True)
class Ranking:
    """GetPersonalizedRanking's answer."""

    personalized_ranking: list[RecommendedItem]
    recommendation_id: str


def from_resource(cls: type[T], resource: Resource) -> T:
    """The domain object stored in ``resource.body``."""
    return cls(**resource.body)


def to_body(obj: Any) -> dict[str, Any]:
    """A domain object as the JSON-able dict stored in ``Resource.body`` (fields that are None left out)."""
    return {key: value for key, value in dataclasses.asdict(obj).items() if value is not None}


__all__ = [
    "AlgorithmDescription",
    "Campaign",
    "Dataset",
    "DatasetGroup",
    "DatasetImportJob",
    "EventTracker",
    "Filter",
    "Page",
    "Ranking",
    "RecipeDescription",
    "Recommendations",
    "RecommendedItem",
    "Recommender",
    "Schema",
    "Solution",
    "SolutionMetrics",
    "SolutionVersion",
    "Tag",
    "Tracked",
    "from_resource",
    "to_body",
]
