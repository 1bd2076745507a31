"""Personalize's Avro record schemas for tests and benchmarks, built one way: a record named ``Interactions``,
``Items`` or ``Users`` in Personalize's namespace (the one the pipeline's own schemas use), flat fields, version 1.0."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from anime_recommender.prepare_data.schemas import SCHEMA_NAMESPACE


def avro_record(record: str, fields: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The schema document of a Personalize dataset ``record`` with ``fields`` (Avro field declarations)."""
    return {
        "type": "record",
        "name": record,
        "namespace": SCHEMA_NAMESPACE,
        "fields": [dict(field) for field in fields],
        "version": "1.0",
    }


def avro_schema_json(record: str, fields: Iterable[Mapping[str, Any]]) -> str:
    """:func:`avro_record` as the JSON string ``CreateSchema`` takes."""
    return json.dumps(avro_record(record, fields))
