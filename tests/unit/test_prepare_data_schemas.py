"""The Avro schemas: valid Avro, and valid for Personalize (personalize-semantics §5)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import fastavro
import pytest

from anime_recommender.prepare_data.schemas import (
    INTERACTIONS_FIELDS,
    SCHEMA_NAMESPACE,
    interactions_schema,
    items_fields,
    items_schema,
)
from tests.support.prepare_data.drops import GOLDEN

ALLOWED_TYPES = {"float", "double", "int", "long", "string", "boolean"}
SCHEMAS = {
    "interactions": interactions_schema(),
    "items-with-synopsis": items_schema(with_synopsis=True),
    "items-without-synopsis": items_schema(with_synopsis=False),
}


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=SCHEMAS.keys())
def test_schema_is_valid_avro_and_round_trips_through_json(schema: dict) -> None:
    parsed = fastavro.parse_schema(json.loads(json.dumps(schema)))
    assert parsed["name"] == f"{SCHEMA_NAMESPACE}.{schema['name']}"


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=SCHEMAS.keys())
def test_schema_follows_personalize_rules(schema: dict) -> None:
    assert schema["type"] == "record" and schema["namespace"] == SCHEMA_NAMESPACE and schema["version"] == "1.0"
    names = [f["name"] for f in schema["fields"]]
    assert len({re.sub(r"[^A-Za-z0-9]", "", n).upper() for n in names}) == len(names)  # unique alphanumerics
    for field in schema["fields"]:
        declared = field["type"]
        if isinstance(declared, list):  # a nullable union: exactly null + one primitive
            assert declared[0] == "null" and len(declared) == 2 and declared[1] in ALLOWED_TYPES
        else:
            assert declared in ALLOWED_TYPES  # flat: no records, arrays, maps
        base = declared[-1] if isinstance(declared, list) else declared
        if field.get("categorical") or field.get("textual"):
            assert base == "string"
    assert sum(1 for f in schema["fields"] if f.get("textual")) <= 1


def test_interactions_reserved_fields() -> None:
    fields = {f["name"]: f for f in interactions_schema()["fields"]}
    assert interactions_schema()["name"] == "Interactions"
    assert fields["USER_ID"]["type"] == "string" and fields["ITEM_ID"]["type"] == "string"
    assert fields["TIMESTAMP"]["type"] == "long"
    assert fields["EVENT_TYPE"] == {"name": "EVENT_TYPE", "type": "string"}  # never categorical
    assert fields["EVENT_VALUE"]["type"] == ["null", "float"]


def test_items_fields() -> None:
    schema = items_schema(with_synopsis=True)
    fields = {f["name"]: f for f in schema["fields"]}
    assert schema["name"] == "Items"
    assert fields["ITEM_ID"]["type"] == "string"
    for name in ("GENRES", "STUDIOS", "TYPE", "SOURCE", "AGE_RATING"):
        assert fields[name] == {"name": name, "type": ["null", "string"], "categorical": True}
    assert fields["YEAR"]["type"] == ["null", "int"] and fields["EPISODES"]["type"] == ["null", "int"]
    assert fields["SCORE"]["type"] == ["null", "float"]
    assert fields["CREATION_TIMESTAMP"]["type"] == "long"
    assert fields["SYNOPSIS"] == {"name": "SYNOPSIS", "type": ["null", "string"], "textual": True}
    assert "SYNOPSIS" not in {f["name"] for f in items_schema(with_synopsis=False)["fields"]}


def test_csv_headers_are_the_schema_fields() -> None:
    """The written CSV headers come from the same field definitions as the schemas."""
    for name, fields in (("interactions.csv", INTERACTIONS_FIELDS), ("items.csv", items_fields(True))):
        with open(Path(GOLDEN) / name, newline="", encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == [f.name for f in fields]
