"""Serving recommendations with titles: settings from SSM, the catalog from S3, filters, Personalize calls.

The use cases know nothing of Lambda; ``functions/recommendations_api`` maps them and their errors onto HTTP with
the HTTP-facing modules here: ``routes`` (the Powertools router), ``error_mapping`` (any exception → the JSON error),
``request_input`` (path ids, JSON bodies) and ``openapi`` (the resolver).
"""

from anime_recommender.recommendations_api.catalog import Catalog, CatalogEntry, load_catalog
from anime_recommender.recommendations_api.errors import (
    AnimeNotFoundError,
    InvalidParameterError,
    NotReadyError,
    RecommendationError,
    ThrottledError,
    UnsupportedMediaTypeError,
    UpstreamError,
    UpstreamRejectedError,
)
from anime_recommender.recommendations_api.filters import FilterChoice, FilterRequest, choose_filter, split_values
from anime_recommender.recommendations_api.models import (
    MAX_RANKING_IDS,
    AnimeDetail,
    AnimeItem,
    ApiIndex,
    ErrorBody,
    EventAccepted,
    EventRequest,
    RankingRequest,
    RecommendationList,
)
from anime_recommender.recommendations_api.service import DEFAULT_NUM_RESULTS, MAX_NUM_RESULTS, RecommendationService
from anime_recommender.recommendations_api.settings import PublishedSettings, SettingsConfig

__all__ = [
    "DEFAULT_NUM_RESULTS",
    "MAX_NUM_RESULTS",
    "MAX_RANKING_IDS",
    "AnimeDetail",
    "AnimeItem",
    "AnimeNotFoundError",
    "ApiIndex",
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
    "UnsupportedMediaTypeError",
    "UpstreamError",
    "UpstreamRejectedError",
    "choose_filter",
    "load_catalog",
    "split_values",
]
