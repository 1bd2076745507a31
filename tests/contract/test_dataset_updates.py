"""Contract: UpdateDataset replaces an Items/Users dataset's schema under AWS's compatibility rules, tracked in
DescribeDataset's latestDatasetUpdate."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import INTERACTIONS_FIELDS, ITEMS_FIELDS, ROLE, poll_statuses, raises_code, schema_json
from tests.contract.lifecycle_helpers import export_csv

LANGUAGE = {"name": "LANGUAGE", "type": ["null", "string"], "categorical": True}


def _schema(wire: Wire, record: str, fields: list[dict]) -> str:
    return wire.personalize.create_schema(name=f"s-{uuid.uuid4().hex[:10]}", schema=schema_json(record, fields))[
        "schemaArn"
    ]


def _dataset(wire: Wire, group: str, dataset_type: str, schema: str) -> str:
    arn = wire.personalize.create_dataset(
        name=f"d-{uuid.uuid4().hex[:8]}", schemaArn=schema, datasetGroupArn=group, datasetType=dataset_type
    )["datasetArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset(datasetArn=arn)["dataset"])
    return arn


@pytest.fixture
def items_dataset(stack: Stack, wire: Wire) -> tuple[str, str]:
    """(group ARN, ACTIVE Items dataset ARN) with two imported items."""
    group = wire.personalize.create_dataset_group(name=f"upd-{uuid.uuid4().hex[:8]}")["datasetGroupArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    items = _dataset(wire, group, "Items", _schema(wire, "Items", ITEMS_FIELDS))
    location = stack.put(f"upd/{uuid.uuid4().hex[:6]}.csv", "ITEM_ID,GENRES,YEAR\na,Action,1999\nb,Drama,2001\n")
    job = wire.personalize.create_dataset_import_job(
        jobName=f"j-{uuid.uuid4().hex[:8]}", datasetArn=items, dataSource={"dataLocation": location}, roleArn=ROLE
    )["datasetImportJobArn"]
    seen = poll_statuses(
        lambda: wire.personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]
    )
    assert seen[-1] == "ACTIVE"
    return group, items


def test_update_adds_an_optional_field(stack: Stack, wire: Wire, items_dataset: tuple[str, str]) -> None:
    group_arn, items = items_dataset
    old_schema = wire.personalize.describe_dataset(datasetArn=items)["dataset"]["schemaArn"]
    put = {"datasetArn": items, "items": [{"itemId": "c", "properties": json.dumps({"language": "ja"})}]}
    raises_code("InvalidInputException", wire.events.put_items, **put)  # not a field yet
    raises_code(
        "InvalidInputException",
        wire.personalize.create_filter,
        name=f"f-{uuid.uuid4().hex[:8]}",
        datasetGroupArn=group_arn,
        filterExpression='INCLUDE ItemID WHERE Items.LANGUAGE IN ("ja")',
    )

    new_schema = _schema(wire, "Items", [*ITEMS_FIELDS, LANGUAGE])
    assert wire.personalize.update_dataset(datasetArn=items, schemaArn=new_schema)["datasetArn"] == items
    assert wire.recorder.raw("UpdateDataset") == {"datasetArn": items}
    seen = poll_statuses(lambda: wire.personalize.describe_dataset(datasetArn=items)["dataset"]["latestDatasetUpdate"])
    assert seen[-1] == "ACTIVE"
    dataset = wire.personalize.describe_dataset(datasetArn=items)["dataset"]
    assert dataset["schemaArn"] == new_schema != old_schema
    assert dataset["latestDatasetUpdate"]["schemaArn"] == new_schema
    _, bulk = export_csv(wire, stack, items, "BULK")  # the imported items keep their data, the new column empty
    assert list(bulk.columns) == ["ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP", "LANGUAGE"]
    assert bulk["ITEM_ID"].tolist() == ["a", "b"] and bulk["LANGUAGE"].isna().all()
    wire.events.put_items(**put)  # the new field is accepted now, by PutItems and by filters
    _, put_rows = export_csv(wire, stack, items, "PUT")
    assert put_rows["ITEM_ID"].tolist() == ["c"] and put_rows["LANGUAGE"].tolist() == ["ja"]
    wire.personalize.create_filter(
        name=f"f-{uuid.uuid4().hex[:8]}",
        datasetGroupArn=group_arn,
        filterExpression='INCLUDE ItemID WHERE Items.LANGUAGE IN ("ja")',
    )
    raises_code("ResourceInUseException", wire.personalize.delete_schema, schemaArn=new_schema)
    wire.personalize.delete_schema(schemaArn=old_schema)  # the previous schema is no longer used


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ([f for f in ITEMS_FIELDS if f["name"] != "YEAR"], "YEAR is missing"),
        ([*[f for f in ITEMS_FIELDS if f["name"] != "YEAR"], {"name": "YEAR", "type": ["null", "int"]}], "YEAR"),
        ([*ITEMS_FIELDS, {"name": "LANGUAGE", "type": "string", "categorical": True}], "support null"),
    ],
)
def test_update_rejects_incompatible_schemas(
    wire: Wire, items_dataset: tuple[str, str], fields: list[dict], problem: str
) -> None:
    _, items = items_dataset
    before = wire.personalize.describe_dataset(datasetArn=items)["dataset"]
    error = raises_code(
        "InvalidInputException",
        wire.personalize.update_dataset,
        datasetArn=items,
        schemaArn=_schema(wire, "Items", fields),
    )
    assert problem in str(error)
    after = wire.personalize.describe_dataset(datasetArn=items)["dataset"]
    assert after["schemaArn"] == before["schemaArn"] and "latestDatasetUpdate" not in after


def test_interactions_schema_cannot_be_replaced(wire: Wire, items_dataset: tuple[str, str]) -> None:
    group, _ = items_dataset
    interactions = _dataset(wire, group, "Interactions", _schema(wire, "Interactions", INTERACTIONS_FIELDS))
    wider = _schema(wire, "Interactions", [*INTERACTIONS_FIELDS, {"name": "DEVICE", "type": ["null", "string"]}])
    error = raises_code(
        "InvalidInputException", wire.personalize.update_dataset, datasetArn=interactions, schemaArn=wider
    )
    assert "Items or Users" in str(error)
