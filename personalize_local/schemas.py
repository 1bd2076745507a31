"""Avro schema rules of Personalize datasets: what CreateSchema and CreateDataset accept, and the parsed field list
the importer and PutItems/PutUsers/PutEvents use to check data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from personalize_local.exceptions import InvalidInputException

PRIMITIVE_TYPES = frozenset({"float", "double", "int", "long", "string", "boolean", "null"})
DATASET_TYPES = {
    "interactions": "Interactions",
    "items": "Items",
    "users": "Users",
    "actions": "Actions",
    "action_interactions": "Action_Interactions",
}
# Record names that say the dataset type (AWS's example Action interactions schema is named "ActionInteractions").
RECORD_TYPES = {**DATASET_TYPES, "actioninteractions": "Action_Interactions"}
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Reserved fields: the allowed base types, whether they may be categorical.
_RESERVED: dict[str, tuple[frozenset[str], bool]] = {
    "USER_ID": (frozenset({"string"}), False),
    "ITEM_ID": (frozenset({"string"}), False),
    "TIMESTAMP": (frozenset({"long"}), False),
    "EVENT_TYPE": (frozenset({"string"}), False),
    "EVENT_VALUE": (frozenset({"float", "double"}), False),
    "IMPRESSION": (frozenset({"string"}), False),
    "RECOMMENDATION_ID": (frozenset({"string"}), False),
    "EVENT_ATTRIBUTION_SOURCE": (frozenset({"string"}), False),
    "CREATION_TIMESTAMP": (frozenset({"long"}), False),
    "ACTION_ID": (frozenset({"string"}), False),
    "ACTION_EXPIRATION_TIMESTAMP": (frozenset({"long"}), False),
}
_REQUIRED = {
    "Interactions": ("USER_ID", "ITEM_ID", "TIMESTAMP"),
    "Items": ("ITEM_ID",),
    "Users": ("USER_ID",),
    # https://docs.aws.amazon.com/personalize/latest/dg/action-dataset-requirements.html
    "Actions": ("ACTION_ID",),
    # https://docs.aws.amazon.com/personalize/latest/dg/action-interactions-dataset-requirements.html
    "Action_Interactions": ("USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"),
}
_KEY_FIELDS = {"Interactions": {"USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "IMPRESSION",
                                "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE"},
               "Items": {"ITEM_ID"}, "Users": {"USER_ID"}, "Actions": {"ACTION_ID"},
               "Action_Interactions": {"USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE",
                                       "IMPRESSION", "RECOMMENDATION_ID"}}  # fmt: skip
_MAX_METADATA = {"Interactions": 5, "Items": 100, "Users": 25}


@dataclass(frozen=True)
class SchemaField:
    """One flat field of a dataset schema."""

    name: str
    base_type: str  # one of PRIMITIVE_TYPES except "null"
    nullable: bool
    categorical: bool = False
    textual: bool = False


@dataclass(frozen=True)
class DatasetSchema:
    """A validated Avro record schema."""

    record_name: str
    fields: tuple[SchemaField, ...]

    def field(self, name: str) -> SchemaField | None:
        """The field called ``name`` (exact, upper-case column name), or None."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        """Field names in schema order."""
        return [f.name for f in self.fields]


def parse_schema(text: str) -> DatasetSchema:
    """Validate an Avro schema as CreateSchema does; raise InvalidInputException saying what is wrong and where."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputException(
            f"Schema is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") != "record":
        raise InvalidInputException('Schema must be an Avro record: {"type": "record", "name": ..., "fields": [...]}')
    record_name = doc.get("name")
    if not isinstance(record_name, str) or not record_name:
        raise InvalidInputException("Schema record must have a non-empty string 'name'")
    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise InvalidInputException("Schema record must have a non-empty 'fields' list")
    fields = tuple(_parse_field(raw, index) for index, raw in enumerate(raw_fields))
    _check_unique(fields)
    textual = [f.name for f in fields if f.textual]
    if len(textual) > 1:
        raise InvalidInputException(f"At most one textual field is allowed, found {len(textual)}: {', '.join(textual)}")
    schema = DatasetSchema(record_name=record_name, fields=fields)
    dataset_type = RECORD_TYPES.get(record_name.lower())
    if dataset_type:
        check_schema_for_dataset_type(schema, dataset_type)
    return schema


def _parse_field(raw: object, index: int) -> SchemaField:
    where = f"fields[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInputException(f"Schema {where} must be an object with 'name' and 'type'")
    name = raw.get("name")
    if not isinstance(name, str) or not _FIELD_NAME.match(name):
        raise InvalidInputException(f"Schema {where} has an invalid field name {name!r}: use letters, digits and _")
    where = f"field {name!r}"
    declared = raw.get("type")
    members = declared if isinstance(declared, list) else [declared]
    for member in members:
        if isinstance(member, dict | list):
            raise InvalidInputException(
                f"Schema {where}: nested types are not supported, the record must be flat (got {json.dumps(member)})"
            )
        if member not in PRIMITIVE_TYPES:
            raise InvalidInputException(
                f"Schema {where}: type {member!r} is not allowed; use {', '.join(sorted(PRIMITIVE_TYPES))}"
            )
    non_null = [m for m in members if m != "null"]
    if len(non_null) != 1:
        raise InvalidInputException(f"Schema {where}: type must be one primitive type, optionally in a union with null")
    base_type = non_null[0]
    categorical = raw.get("categorical", False)
    textual = raw.get("textual", False)
    if not isinstance(categorical, bool) or not isinstance(textual, bool):
        raise InvalidInputException(f"Schema {where}: 'categorical' and 'textual' must be true or false")
    if (categorical or textual) and base_type != "string":
        raise InvalidInputException(f"Schema {where}: only string fields can be categorical or textual")
    if categorical and textual:
        raise InvalidInputException(f"Schema {where}: a field cannot be both categorical and textual")
    reserved = _RESERVED.get(name.upper())
    if reserved:
        allowed, may_be_categorical = reserved
        if base_type not in allowed:
            raise InvalidInputException(
                f"Schema {where}: reserved field must have type {' or '.join(sorted(allowed))}, not {base_type}"
            )
        if categorical and not may_be_categorical:
            raise InvalidInputException(f"Schema {where}: reserved field {name} cannot be categorical")
    return SchemaField(name, base_type, nullable="null" in members, categorical=categorical, textual=textual)


def _check_unique(fields: tuple[SchemaField, ...]) -> None:
    seen: dict[str, str] = {}
    for f in fields:
        key = re.sub(r"[^A-Za-z0-9]", "", f.name).upper()
        if key in seen:
            raise InvalidInputException(
                f"Schema field names must be unique ignoring case and underscores: {seen[key]!r} and {f.name!r}"
            )
        seen[key] = f.name


def normalise_dataset_type(value: str) -> str:
    """``Interactions``/``Items``/``Users``/``Actions``/``Action_Interactions`` from any casing; InvalidInputException
    otherwise."""
    lowered = value.lower()
    if lowered in DATASET_TYPES:
        return DATASET_TYPES[lowered]
    raise InvalidInputException(f"Invalid datasetType {value!r}: use {', '.join(DATASET_TYPES.values())}")


def check_schema_for_dataset_type(schema: DatasetSchema, dataset_type: str) -> None:
    """The fields a dataset type requires (CreateDataset, and CreateSchema when the record name says the type)."""
    for required in _REQUIRED[dataset_type]:
        found = schema.field(required)
        if found is None:
            raise InvalidInputException(f"A schema for a {dataset_type} dataset must have a {required} field")
        if found.nullable:
            raise InvalidInputException(f"Field {required} of a {dataset_type} schema cannot be nullable")
    metadata = [f.name for f in schema.fields if f.name not in _KEY_FIELDS[dataset_type]]
    if dataset_type in ("Items", "Users", "Actions") and not metadata:
        raise InvalidInputException(f"A schema for a {dataset_type} dataset needs at least one metadata field")
    if dataset_type == "Interactions":
        metadata = [name for name in metadata if name != "CREATION_TIMESTAMP"]
    limit = _MAX_METADATA.get(dataset_type)
    if limit is not None and len(metadata) > limit:
        raise InvalidInputException(
            f"A {dataset_type} schema may have at most {limit} metadata fields, found {len(metadata)}"
        )
