"""Kaggle "Anime Recommendation Database 2020" → Amazon Personalize datasets (validation and transform).

Entry point: :func:`prepare_drop` (source and destination are :class:`~.storage.Storage`: local directories or
S3 prefixes). Schemas: :func:`~.schemas.interactions_schema`, :func:`~.schemas.items_schema`.
"""

from anime_recommender.prepare_data.errors import DataValidationError
from anime_recommender.prepare_data.prepare import PreparedDrop, PrepareOptions, prepare_drop
from anime_recommender.prepare_data.schemas import interactions_schema, items_schema
from anime_recommender.prepare_data.storage import LocalStorage, Storage

__all__ = [
    "DataValidationError",
    "LocalStorage",
    "PrepareOptions",
    "PreparedDrop",
    "Storage",
    "interactions_schema",
    "items_schema",
    "prepare_drop",
]
