"""Personalize Local: Avro schema rules (CreateSchema / CreateDataset)."""

from __future__ import annotations

import json

import pytest

from personalize_local.exceptions import InvalidInputException
from personalize_local.schemas import check_schema_for_dataset_type, normalise_dataset_type, parse_schema
from testing.avro_schemas import avro_schema_json


def _schema(name: str, *fields: dict) -> str:
    return avro_schema_json(name, fields)


USER = {"name": "USER_ID", "type": "string"}
ITEM = {"name": "ITEM_ID", "type": "string"}
TS = {"name": "TIMESTAMP", "type": "long"}


def test_valid_interactions_schema_is_parsed_with_types_and_flags() -> None:
    schema = parse_schema(
        _schema(
            "Interactions",
            USER,
            ITEM,
            TS,
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "EVENT_VALUE", "type": ["null", "float"]},
        )
    )
    assert schema.names == ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]
    value = schema.field("EVENT_VALUE")
    assert value is not None and value.nullable and value.base_type == "float"


def test_items_schema_with_categorical_and_one_textual_field() -> None:
    schema = parse_schema(
        _schema(
            "Items",
            ITEM,
            {"name": "GENRES", "type": ["null", "string"], "categorical": True},
            {"name": "SYNOPSIS", "type": ["null", "string"], "textual": True},
        )
    )
    genres, synopsis = schema.field("GENRES"), schema.field("SYNOPSIS")
    assert genres is not None and genres.categorical and synopsis is not None and synopsis.textual


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": "record"', "not valid JSON"),
        (json.dumps({"type": "enum", "name": "X", "fields": []}), "Avro record"),
        (_schema("X"), "non-empty 'fields'"),
        (_schema("X", {"name": "9LIVES", "type": "string"}), "invalid field name"),
        (_schema("X", {"name": "M", "type": {"type": "map", "values": "string"}}), "flat"),
        (_schema("X", {"name": "M", "type": ["null", "string", "int"]}), "one primitive type"),
        (_schema("X", {"name": "M", "type": "long", "textual": True}), "only string fields"),
        (_schema("X", {"name": "M", "type": "string", "categorical": True, "textual": True}), "both"),
        (_schema("X", {"name": "EVENT_TYPE", "type": "string", "categorical": True}), "cannot be categorical"),
        (_schema("X", {"name": "EVENT_VALUE", "type": "string"}), "reserved field"),
        (
            _schema(
                "X",
                {"name": "A", "type": "string", "textual": True},
                {"name": "B", "type": "string", "textual": True},
            ),
            "At most one textual",
        ),
        (_schema("X", {"name": "GENRE_1", "type": "string"}, {"name": "GENRE1", "type": "string"}), "unique"),
        (_schema("Interactions", USER, ITEM), "TIMESTAMP"),
        (_schema("Interactions", USER, ITEM, {"name": "TIMESTAMP", "type": ["null", "long"]}), "nullable"),
        (_schema("Users", USER), "at least one metadata field"),
    ],
)
def test_invalid_schemas_are_rejected_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInputException, match=message):
        parse_schema(text)


def test_dataset_type_checks_and_names() -> None:
    generic = parse_schema(_schema("Anything", USER, ITEM, TS))
    check_schema_for_dataset_type(generic, "Interactions")
    with pytest.raises(InvalidInputException, match="metadata field"):
        check_schema_for_dataset_type(parse_schema(_schema("Anything", USER)), "Users")
    too_many = parse_schema(_schema("Any", USER, ITEM, TS, *({"name": f"C{n}", "type": "string"} for n in range(6))))
    with pytest.raises(InvalidInputException, match="at most 5 metadata"):
        check_schema_for_dataset_type(too_many, "Interactions")
    assert normalise_dataset_type("INTERACTIONS") == "Interactions"
    assert normalise_dataset_type("ACTIONS") == "Actions"
    assert normalise_dataset_type("action_interactions") == "Action_Interactions"
    action = {"name": "ACTION_ID", "type": "string"}
    with pytest.raises(InvalidInputException, match="EVENT_TYPE"):
        check_schema_for_dataset_type(parse_schema(_schema("Any", USER, action, TS)), "Action_Interactions")
    with pytest.raises(InvalidInputException, match="ACTION_ID"):
        parse_schema(_schema("ActionInteractions", USER, ITEM, TS, {"name": "EVENT_TYPE", "type": "string"}))
    with pytest.raises(InvalidInputException, match="metadata field"):
        check_schema_for_dataset_type(parse_schema(_schema("Any", action)), "Actions")
    with pytest.raises(InvalidInputException, match="Invalid datasetType"):
        normalise_dataset_type("Things")
