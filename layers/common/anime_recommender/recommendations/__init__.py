"""Serving recommendations with titles: settings from SSM, the catalog from S3, filters, Personalize calls.

Knows nothing of Lambda; ``functions/recommendations_api`` maps these use cases and errors onto HTTP.
"""

from anime_recommender.recommendations.catalog import Catalog, CatalogEntry, load_catalog
from anime_recommender.recommendations.errors import (
    AnimeNotFoundError,
    InvalidParameterError,
    NotReadyError,
    RecommendationError,
    ThrottledError,
    UpstreamError,
)
from anime_recommender.recommendations.filters import FilterChoice, FilterRequest, choose_filter, split_values
from anime_recommender.recommendations.models import (
    MAX_RANKING_IDS,
    AnimeDetail,
    AnimeItem,
    ErrorBody,
    EventAccepted,
    EventRequest,
    RankingRequest,
    RecommendationList,
)
from anime_recommender.recommendations.service import DEFAULT_NUM_RESULTS, MAX_NUM_RESULTS, RecommendationService
from anime_recommender.recommendations.settings import PublishedSettings, SettingsConfig

__all__ = [
    "DEFAULT_NUM_RESULTS",
    "MAX_NUM_RESULTS",
    "MAX_RANKING_IDS",
    "AnimeDetail",
    "AnimeItem",
    "AnimeNotFoundError",
    "Catalog",
    "CatalogEntry",
    "ErrorBody",
    "EventAccepted",
    "EventRequest",
    "FilterChoice",
    "FilterRequest",
    "InvalidParameterError",
    "NotReadyError",
    "PublishedSettings",
    "RankingRequest",
    "RecommendationError",
    "RecommendationList",
    "RecommendationService",
    "SettingsConfig",
    "ThrottledError",
    "UpstreamError",
    "choose_filter",
    "load_catalog",
    "split_values",
]
