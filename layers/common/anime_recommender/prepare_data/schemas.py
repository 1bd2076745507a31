"""The two Personalize datasets this step writes, defined once: CSV columns and Avro schemas come from here.

Personalize rules (personalize-semantics §5): records named ``Interactions``/``Items`` in namespace
``com.amazonaws.personalize.schema``; flat fields only; optional fields are ``["null", T]`` unions; metadata
strings must be ``categorical`` or ``textual`` (at most one textual field); ``EVENT_TYPE`` is a plain string
(never categorical); ``EVENT_VALUE`` is a nullable float; ``CREATION_TIMESTAMP`` is a long (epoch seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_NAMESPACE = "com.amazonaws.personalize.schema"


@dataclass(frozen=True)
class DatasetField:
    """One column of a Personalize dataset: its CSV header name and its Avro declaration."""

    name: str
    avro_type: str
    nullable: bool = False
    categorical: bool = False
    textual: bool = False

    def to_avro(self) -> dict[str, Any]:
        """The Avro field declaration Personalize expects for this column."""
        declaration: dict[str, Any] = {
            "name": self.name,
            "type": ["null", self.avro_type] if self.nullable else self.avro_type,
        }
        if self.categorical:
            declaration["categorical"] = True
        if self.textual:
            declaration["textual"] = True
        return declaration


INTERACTIONS_FIELDS: tuple[DatasetField, ...] = (
    DatasetField("USER_ID", "string"),
    DatasetField("ITEM_ID", "string"),
    DatasetField("TIMESTAMP", "long"),
    DatasetField("EVENT_TYPE", "string"),
    DatasetField("EVENT_VALUE", "float", nullable=True),
)

_ITEMS_BASE_FIELDS: tuple[DatasetField, ...] = (
    DatasetField("ITEM_ID", "string"),
    DatasetField("GENRES", "string", nullable=True, categorical=True),
    DatasetField("STUDIOS", "string", nullable=True, categorical=True),
    DatasetField("TYPE", "string", nullable=True, categorical=True),
    DatasetField("SOURCE", "string", nullable=True, categorical=True),
    DatasetField("AGE_RATING", "string", nullable=True, categorical=True),
    DatasetField("YEAR", "int", nullable=True),
    DatasetField("EPISODES", "int", nullable=True),
    DatasetField("SCORE", "float", nullable=True),
    DatasetField("CREATION_TIMESTAMP", "long"),
)
SYNOPSIS_FIELD = DatasetField("SYNOPSIS", "string", nullable=True, textual=True)


def items_fields(with_synopsis: bool) -> tuple[DatasetField, ...]:
    """The items dataset's columns, in CSV order; the textual SYNOPSIS column only when synopses were dropped."""
    return (*_ITEMS_BASE_FIELDS, SYNOPSIS_FIELD) if with_synopsis else _ITEMS_BASE_FIELDS


def _record(name: str, fields: tuple[DatasetField, ...]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": SCHEMA_NAMESPACE,
        "fields": [field.to_avro() for field in fields],
        "version": "1.0",
    }


def interactions_schema() -> dict[str, Any]:
    """Avro schema (as a dict) of ``interactions.csv``: USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE, EVENT_VALUE."""
    return _record("Interactions", INTERACTIONS_FIELDS)


def items_schema(with_synopsis: bool) -> dict[str, Any]:
    """Avro schema (as a dict) of ``items.csv``; ``with_synopsis`` adds the textual SYNOPSIS field."""
    return _record("Items", items_fields(with_synopsis))
