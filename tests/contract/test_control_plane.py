"""Contract: the `personalize` control plane through plain boto3 — resources, statuses, errors, raw shapes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from testing.personalize_setup import small_dataset
from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import (
    INTERACTIONS_FIELDS,
    ITEMS_FIELDS,
    ROLE,
    assert_create_order,
    code_of,
    poll_statuses,
    schema_json,
    wait_gone,
)
from tests.support.unimplemented import unimplemented_control_operation

ACCOUNT_REGION = "arn:aws:personalize:us-east-1:123456789012"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _group(wire: Wire) -> str:
    arn = wire.personalize.create_dataset_group(name=_name("dsg"))["datasetGroupArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    return arn


def _interactions_dataset(wire: Wire, group_arn: str) -> str:
    schema = wire.personalize.create_schema(name=_name("int"), schema=schema_json("Interactions", INTERACTIONS_FIELDS))
    arn = wire.personalize.create_dataset(
        name=_name("ds"), schemaArn=schema["schemaArn"], datasetGroupArn=group_arn, datasetType="Interactions"
    )["datasetArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset(datasetArn=arn)["dataset"])
    return arn


def _import(wire: Wire, dataset_arn: str, location: str, mode: str = "FULL") -> dict:
    arn = wire.personalize.create_dataset_import_job(
        jobName=_name("job"),
        datasetArn=dataset_arn,
        dataSource={"dataLocation": location},
        roleArn=ROLE,
        importMode=mode,
    )["datasetImportJobArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])
    return wire.personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]


def _raises(code: str, call, *args, **kwargs) -> ClientError:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    assert code_of(info.value) == code, info.value
    return info.value


def test_dataset_group_lifecycle_is_asynchronous_and_paginated(wire: Wire) -> None:
    name = _name("dsg")
    created = wire.personalize.create_dataset_group(name=name)
    arn = created["datasetGroupArn"]
    assert arn == f"{ACCOUNT_REGION}:dataset-group/{name}"
    assert wire.recorder.raw("CreateDatasetGroup") == {"datasetGroupArn": arn}
    first = wire.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
    assert first in ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")
    seen = poll_statuses(lambda: wire.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    assert_create_order([first, *seen])
    raw = wire.recorder.raw("DescribeDatasetGroup")["datasetGroup"]
    assert raw["name"] == name and isinstance(raw["creationDateTime"], float | int)

    _raises("ResourceAlreadyExistsException", wire.personalize.create_dataset_group, name=name)
    _raises("InvalidInputException", wire.personalize.create_dataset_group, name="bad name!")
    _raises("ResourceNotFoundException", wire.personalize.describe_dataset_group, datasetGroupArn=arn + "-nope")
    _raises("InvalidInputException", wire.personalize.describe_dataset_group, datasetGroupArn="not-an-arn")

    other = _group(wire)
    page = wire.personalize.list_dataset_groups(maxResults=1)
    assert len(page["datasetGroups"]) == 1 and page["nextToken"]
    listed = {g["datasetGroupArn"] for g in page["datasetGroups"]}
    token = page["nextToken"]
    while token:
        page = wire.personalize.list_dataset_groups(maxResults=1, nextToken=token)
        listed |= {g["datasetGroupArn"] for g in page["datasetGroups"]}
        token = page.get("nextToken")
    assert {arn, other} <= listed
    _raises("InvalidNextTokenException", wire.personalize.list_dataset_groups, nextToken="garbage")

    wire.personalize.delete_dataset_group(datasetGroupArn=arn)
    seen = wait_gone(lambda: wire.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    assert set(seen) <= {"DELETE PENDING", "DELETE IN_PROGRESS"}
    assert arn not in {g["datasetGroupArn"] for g in wire.personalize.list_dataset_groups()["datasetGroups"]}


@pytest.mark.parametrize(
    ("fields", "record", "problem"),
    [
        ([{"name": "USER_ID", "type": {"type": "array", "items": "string"}}], "Interactions", "flat"),
        ([{"name": "ITEM_ID", "type": "string"}, {"name": "N", "type": "int", "categorical": True}], "X", "string"),
        ([{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}], "Interactions", "TIMESTAMP"),
        ([{"name": "ITEM_ID", "type": "string"}], "Items", "metadata"),
        ([{"name": "A_B", "type": "string"}, {"name": "AB", "type": "string"}], "X", "unique"),
        ([{"name": "TIMESTAMP", "type": "string"}], "X", "long"),
        ([{"name": "ITEM_ID", "type": "decimal"}], "X", "not allowed"),
    ],
)
def test_create_schema_rejects_what_personalize_rejects(wire: Wire, fields: list, record: str, problem: str) -> None:
    error = _raises(
        "InvalidInputException", wire.personalize.create_schema, name=_name("s"), schema=schema_json(record, fields)
    )
    assert problem in error.response["Error"]["Message"]


def test_schema_lifecycle_and_delete_in_use(wire: Wire) -> None:
    _raises("InvalidInputException", wire.personalize.create_schema, name=_name("s"), schema="{not json")
    name = _name("items")
    arn = wire.personalize.create_schema(name=name, schema=schema_json("Items", ITEMS_FIELDS))["schemaArn"]
    assert arn == f"{ACCOUNT_REGION}:schema/{name}"
    described = wire.personalize.describe_schema(schemaArn=arn)["schema"]
    assert described["name"] == name and "GENRES" in described["schema"]
    assert arn in {s["schemaArn"] for s in wire.personalize.list_schemas()["schemas"]}
    _raises("ResourceAlreadyExistsException", wire.personalize.create_schema, name=name, schema=described["schema"])

    group = _group(wire)
    _raises(  # an Items schema cannot back an Interactions dataset
        "InvalidInputException",
        wire.personalize.create_dataset,
        name=_name("ds"),
        schemaArn=arn,
        datasetGroupArn=group,
        datasetType="Interactions",
    )
    dataset = wire.personalize.create_dataset(
        name=_name("ds"), schemaArn=arn, datasetGroupArn=group, datasetType="ITEMS"
    )
    assert dataset["datasetArn"].endswith(f":dataset/{group.split('/')[-1]}/ITEMS")
    _raises("ResourceInUseException", wire.personalize.delete_schema, schemaArn=arn)
    _raises(
        "ResourceAlreadyExistsException",
        wire.personalize.create_dataset,
        name=_name("ds"),
        schemaArn=arn,
        datasetGroupArn=group,
        datasetType="Items",
    )
    _raises("ResourceInUseException", wire.personalize.delete_dataset_group, datasetGroupArn=group)
    poll_statuses(lambda: wire.personalize.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"])
    listed = wire.personalize.list_datasets(datasetGroupArn=group)["datasets"]
    assert [d["datasetType"] for d in listed] == ["Items"]
    wire.personalize.delete_dataset(datasetArn=dataset["datasetArn"])
    wait_gone(lambda: wire.personalize.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"])
    wire.personalize.delete_schema(schemaArn=arn)
    _raises("ResourceNotFoundException", wire.personalize.describe_schema, schemaArn=arn)
    wire.personalize.delete_dataset_group(datasetGroupArn=group)
    wait_gone(lambda: wire.personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])


def test_import_jobs_check_the_csv_against_the_schema(stack: Stack, wire: Wire) -> None:
    group = _group(wire)
    dataset = _interactions_dataset(wire, group)
    data = small_dataset()
    prefix = _name("imports")
    good = stack.put(f"{prefix}/full/interactions.csv", data.interactions_csv)
    job = _import(wire, dataset, good)
    assert job["status"] == "ACTIVE" and job["importMode"] == "FULL"
    assert job["dataSource"] == {"dataLocation": good}

    bad_header = stack.put(f"{prefix}/bad-header.csv", "USER_ID,ITEM,TIMESTAMP\nu1,i1,1\n")
    failed = _import(wire, dataset, bad_header)
    assert failed["status"] == "CREATE FAILED"
    assert "ITEM" in failed["failureReason"] and "bad-header.csv" in failed["failureReason"]

    bad_value = stack.put(f"{prefix}/bad-value.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1,W\nu2,i2,later,W\n")
    failed = _import(wire, dataset, bad_value)
    assert failed["status"] == "CREATE FAILED"
    assert "line 3" in failed["failureReason"] and "TIMESTAMP" in failed["failureReason"]

    missing = _import(wire, dataset, f"s3://{stack.bucket}/{prefix}/nothing-here.csv")
    assert missing["status"] == "CREATE FAILED" and "does not exist" in missing["failureReason"]

    stack.put(f"{prefix}/more/part-1.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu900,i001,1700000000,WATCH\n")
    stack.put(f"{prefix}/more/part-2.csv", "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu901,i002,1700000001,WATCH\n")
    folder = _import(wire, dataset, f"s3://{stack.bucket}/{prefix}/more/", mode="INCREMENTAL")
    assert folder["status"] == "ACTIVE" and folder["importMode"] == "INCREMENTAL"

    jobs = wire.personalize.list_dataset_import_jobs
    listed = jobs(datasetArn=dataset)["datasetImportJobs"]
    assert len(listed) == 5 and {j["status"] for j in listed} == {"ACTIVE", "CREATE FAILED"}
    _raises(
        "InvalidInputException",
        wire.personalize.create_dataset_import_job,
        jobName=_name("job"),
        datasetArn=dataset,
        dataSource={"dataLocation": good},
        roleArn=ROLE,
        importMode="SOMETIMES",
    )
    _raises(
        "ResourceNotFoundException",
        wire.personalize.create_dataset_import_job,
        jobName=_name("job"),
        datasetArn=dataset + "-missing",
        dataSource={"dataLocation": good},
        roleArn=ROLE,
    )


def test_recipes_and_algorithms_come_from_the_registry(wire: Wire) -> None:
    recipes = wire.personalize.list_recipes(recipeProvider="SERVICE")["recipes"]
    names = {r["name"] for r in recipes}
    assert {"aws-user-personalization", "aws-sims", "aws-personalized-ranking", "aws-popularity-count"} <= names
    sims = wire.personalize.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-sims")["recipe"]
    assert sims["recipeType"] == "RELATED_ITEMS" and sims["status"] == "ACTIVE"
    algorithm = wire.personalize.describe_algorithm(algorithmArn=sims["algorithmArn"])["algorithm"]
    assert "popularity_discount_factor" in algorithm["defaultHyperParameters"]
    _raises("ResourceNotFoundException", wire.personalize.describe_recipe, recipeArn="arn:aws:personalize:::recipe/x")


def test_event_tracker_one_per_group_and_filters_parsed_at_create(wire: Wire) -> None:
    group = _group(wire)
    dataset = _interactions_dataset(wire, group)
    tracker = wire.personalize.create_event_tracker(name=_name("tracker"), datasetGroupArn=group)
    assert tracker["trackingId"] and tracker["eventTrackerArn"].startswith(f"{ACCOUNT_REGION}:event-tracker/")
    seen = poll_statuses(
        lambda: wire.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"]
    )
    assert seen[-1] == "ACTIVE"
    described = wire.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"]
    assert described["trackingId"] == tracker["trackingId"] and described["datasetGroupArn"] == group
    assert wire.personalize.describe_dataset(datasetArn=dataset)["dataset"]["trackingId"] == tracker["trackingId"]
    _raises(
        "ResourceAlreadyExistsException", wire.personalize.create_event_tracker, name=_name("t"), datasetGroupArn=group
    )
    assert len(wire.personalize.list_event_trackers(datasetGroupArn=group)["eventTrackers"]) == 1

    error = _raises(
        "InvalidInputException",
        wire.personalize.create_filter,
        name=_name("f"),
        datasetGroupArn=group,
        filterExpression="EXCLUDE ItemID WHERE Items.GENRES NOT IN ($GENRES)",
    )
    assert "position" in error.response["Error"]["Message"]
    expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("WATCH")'
    flt = wire.personalize.create_filter(name=_name("f"), datasetGroupArn=group, filterExpression=expression)
    poll_statuses(lambda: wire.personalize.describe_filter(filterArn=flt["filterArn"])["filter"])
    assert wire.personalize.describe_filter(filterArn=flt["filterArn"])["filter"]["filterExpression"] == expression
    assert [f["filterArn"] for f in wire.personalize.list_filters(datasetGroupArn=group)["Filters"]] == [
        flt["filterArn"]
    ]

    _raises("ResourceInUseException", wire.personalize.delete_dataset_group, datasetGroupArn=group)
    wire.personalize.delete_filter(filterArn=flt["filterArn"])
    wait_gone(lambda: wire.personalize.describe_filter(filterArn=flt["filterArn"])["filter"])
    wire.personalize.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
    wait_gone(
        lambda: wire.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"]
    )
    assert "trackingId" not in wire.personalize.describe_dataset(datasetArn=dataset)["dataset"]


def test_tags(wire: Wire) -> None:
    arn = wire.personalize.create_dataset_group(name=_name("dsg"), tags=[{"tagKey": "team", "tagValue": "recs"}])[
        "datasetGroupArn"
    ]
    wire.personalize.tag_resource(resourceArn=arn, tags=[{"tagKey": "env", "tagValue": "local"}])
    tags = wire.personalize.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {t["tagKey"]: t["tagValue"] for t in tags} == {"team": "recs", "env": "local"}
    wire.personalize.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert wire.personalize.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "env", "tagValue": "local"}]
    _raises("ResourceNotFoundException", wire.personalize.list_tags_for_resource, resourceArn=arn + "-gone")


def test_unimplemented_operation_is_a_clear_client_error(stack: Stack) -> None:
    """Sent as boto3 would send it (JSON 1.1, ``X-Amz-Target``): an operation Personalize Local does not implement."""
    operation = unimplemented_control_operation()
    request = urllib.request.Request(
        stack.pl.endpoint_url + "/",
        data=b"{}",
        headers={"X-Amz-Target": f"AmazonPersonalize.{operation}", "Content-Type": "application/x-amz-json-1.1"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    body = json.loads(info.value.read())
    assert info.value.code == 400 and body["__type"] == "UnknownOperationException"
    assert f"{operation} is not implemented by Personalize Local" in body["message"]
