"""Contract: metric attributions through plain boto3 — the control-plane operations, and the S3 report a bulk
import with publishAttributionMetricsToS3 writes (METRIC_NAME, EVENT_TYPE, VALUE, MATH_FUNCTION,
EVENT_ATTRIBUTION_SOURCE, TIMESTAMP over 15-minute windows)."""

from __future__ import annotations

import io
import uuid

import boto3
import pandas as pd
import pytest

from tests.contract.conftest import Stack, Wire
from tests.contract.helpers import (
    INTERACTIONS_FIELDS,
    ITEMS_FIELDS,
    ROLE,
    poll_statuses,
    raises_code,
    schema_json,
    wait_gone,
)

SOURCE_FIELD = {"name": "EVENT_ATTRIBUTION_SOURCE", "type": ["null", "string"]}
WINDOW = 900
T0 = 1_700_000_100  # inside the window starting at 1_700_000_100 // 900 * 900
INTERACTIONS = [  # user, item, timestamp, event type, value, attribution source
    ("u1", "a", T0, "WATCH", "", "campaign-a"),
    ("u2", "b", T0 + 60, "WATCH", "", "campaign-a"),
    ("u3", "a", T0 + 120, "WATCH", "", ""),
    ("u1", "b", T0 + 5 * WINDOW, "WATCH", "", "campaign-a"),
    ("u1", "a", T0, "RATING", "4.0", ""),
    ("u2", "b", T0 + 30, "RATING", "5.0", ""),
]
ITEMS = {"a": 1999, "b": 2001}


def _csv(rows: list[tuple]) -> str:
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,EVENT_ATTRIBUTION_SOURCE"]
    lines += [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _active(wire: Wire, create, describe, **kwargs) -> str:  # type: ignore[no-untyped-def]
    arn = next(v for k, v in create(**kwargs).items() if k.endswith("Arn"))
    seen = poll_statuses(lambda: describe(arn))
    assert seen[-1] == "ACTIVE", seen
    return arn


@pytest.fixture
def group(stack: Stack, wire: Wire) -> dict[str, str]:
    """A dataset group with Interactions (with EVENT_ATTRIBUTION_SOURCE) and imported Items."""
    p = wire.personalize
    name = f"ma-{uuid.uuid4().hex[:8]}"
    group = _active(
        wire, p.create_dataset_group, lambda a: p.describe_dataset_group(datasetGroupArn=a)["datasetGroup"], name=name
    )
    arns = {"group": group}
    for dataset_type, fields in (("Interactions", [*INTERACTIONS_FIELDS, SOURCE_FIELD]), ("Items", ITEMS_FIELDS)):
        schema = p.create_schema(name=f"{name}-{dataset_type}", schema=schema_json(dataset_type, fields))["schemaArn"]
        arns[dataset_type] = _active(
            wire,
            p.create_dataset,
            lambda a: p.describe_dataset(datasetArn=a)["dataset"],
            name=f"{name}-{dataset_type}",
            schemaArn=schema,
            datasetGroupArn=group,
            datasetType=dataset_type,
        )
    items_csv = "ITEM_ID,YEAR\n" + "".join(f"{item},{year}\n" for item, year in ITEMS.items())
    _import(wire, stack, arns["Items"], items_csv, publish=False)
    return arns


def _import(wire: Wire, stack: Stack, dataset: str, text: str, publish: bool, mode: str = "FULL") -> dict:
    location = stack.put(f"ma/{uuid.uuid4().hex[:8]}.csv", text)
    arn = wire.personalize.create_dataset_import_job(
        jobName=f"ma-{uuid.uuid4().hex[:8]}",
        datasetArn=dataset,
        dataSource={"dataLocation": location},
        roleArn=ROLE,
        importMode=mode,
        publishAttributionMetricsToS3=publish,
    )["datasetImportJobArn"]
    poll_statuses(lambda: wire.personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])
    return wire.personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]


def _reports(stack: Stack, prefix: str) -> list[pd.DataFrame]:
    s3 = boto3.client("s3")
    found = s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix).get("Contents", [])
    keys = sorted(o["Key"] for o in found)
    assert all(k.rsplit("/", 1)[1].startswith("AggregatedAttributionMetrics-") for k in keys), keys
    return [pd.read_csv(io.BytesIO(s3.get_object(Bucket=stack.bucket, Key=k)["Body"].read())) for k in keys]


def _expected(rows: list[tuple], event_type: str, value_of) -> dict[tuple[str, int], float]:  # type: ignore[no-untyped-def]
    totals: dict[tuple[str, int], float] = {}
    for _user, item, stamp, kind, value, source in rows:
        if kind == event_type:
            key = (source or "SOURCE_NAME_UNDEFINED", stamp // WINDOW * WINDOW)
            totals[key] = totals.get(key, 0.0) + value_of(item, value)
    return totals


def test_metric_attribution_reports_bulk_imports_to_s3(stack: Stack, wire: Wire, group: dict[str, str]) -> None:
    p = wire.personalize
    name = f"impact-{uuid.uuid4().hex[:6]}"
    prefix = f"metrics/{name}/"
    metrics = [
        {"eventType": "WATCH", "metricName": "COUNTWATCHES", "expression": "SAMPLECOUNT()"},
        {"eventType": "RATING", "metricName": "TOTALRATING", "expression": "SUM(Interactions.EVENT_VALUE)"},
        {"eventType": "WATCH", "metricName": "YEARSWATCHED", "expression": "SUM(Items.YEAR)"},
    ]
    output = {"s3DataDestination": {"path": f"s3://{stack.bucket}/{prefix}"}, "roleArn": ROLE}
    arn = _active(
        wire,
        p.create_metric_attribution,
        lambda a: p.describe_metric_attribution(metricAttributionArn=a)["metricAttribution"],
        name=name,
        datasetGroupArn=group["group"],
        metrics=metrics,
        metricsOutputConfig=output,
    )
    described = p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    assert described["metricsOutputConfig"] == output and described["datasetGroupArn"] == group["group"]
    listed = p.list_metric_attributions(datasetGroupArn=group["group"])["metricAttributions"]
    assert [m["metricAttributionArn"] for m in listed] == [arn]
    assert p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == metrics

    _import(wire, stack, group["Interactions"], _csv(INTERACTIONS), publish=False)
    assert _reports(stack, prefix) == []  # only imports that ask for it publish
    job = _import(wire, stack, group["Interactions"], _csv(INTERACTIONS), publish=True)
    assert job["status"] == "ACTIVE" and job["publishAttributionMetricsToS3"] is True
    (report,) = _reports(stack, prefix)
    assert list(report.columns) == [
        "METRIC_NAME", "EVENT_TYPE", "VALUE", "MATH_FUNCTION", "EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP"
    ]  # fmt: skip
    expected = {
        ("COUNTWATCHES", "samplecount"): _expected(INTERACTIONS, "WATCH", lambda item, value: 1.0),
        ("TOTALRATING", "sum"): _expected(INTERACTIONS, "RATING", lambda item, value: float(value)),
        ("YEARSWATCHED", "sum"): _expected(INTERACTIONS, "WATCH", lambda item, value: float(ITEMS[item])),
    }
    for (metric, function), totals in expected.items():
        rows = report[report["METRIC_NAME"] == metric]
        assert set(rows["MATH_FUNCTION"]) == {function}
        got = {(r.EVENT_ATTRIBUTION_SOURCE, int(r.TIMESTAMP)): r.VALUE for r in rows.itertuples()}
        assert got == totals, metric

    # an incremental import reports only the records it added
    extra = [("u9", "a", T0 + 9 * WINDOW, "WATCH", "", "campaign-b")]
    _import(wire, stack, group["Interactions"], _csv(extra), publish=True, mode="INCREMENTAL")
    newest = _reports(stack, prefix)[-1]
    assert newest[newest["METRIC_NAME"] == "COUNTWATCHES"]["VALUE"].tolist() == [1.0]


def test_update_and_delete_metric_attribution(stack: Stack, wire: Wire, group: dict[str, str]) -> None:
    p = wire.personalize
    count = {"eventType": "WATCH", "metricName": "COUNTWATCHES", "expression": "SAMPLECOUNT()"}
    total = {"eventType": "RATING", "metricName": "TOTAL", "expression": "SUM(Interactions.EVENT_VALUE)"}
    output = {"s3DataDestination": {"path": f"s3://{stack.bucket}/metrics/upd/"}, "roleArn": ROLE}
    arn = _active(
        wire,
        p.create_metric_attribution,
        lambda a: p.describe_metric_attribution(metricAttributionArn=a)["metricAttribution"],
        name=f"upd-{uuid.uuid4().hex[:6]}",
        datasetGroupArn=group["group"],
        metrics=[count],
        metricsOutputConfig=output,
    )
    p.update_metric_attribution(metricAttributionArn=arn, addMetrics=[total], removeMetrics=["COUNTWATCHES"])
    assert p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [total]
    raises_code("ResourceAlreadyExistsException", p.update_metric_attribution, metricAttributionArn=arn,
                addMetrics=[total])  # fmt: skip
    raises_code("InvalidInputException", p.update_metric_attribution, metricAttributionArn=arn,
                removeMetrics=["NOPE"])  # fmt: skip

    # a report destination that cannot be written fails the import before it imports anything
    missing = {"s3DataDestination": {"path": "s3://no-such-metrics-bucket/out/"}, "roleArn": ROLE}
    p.update_metric_attribution(metricAttributionArn=arn, metricsOutputConfig=missing)
    job = _import(wire, stack, group["Interactions"], _csv(INTERACTIONS), publish=True)
    assert job["status"] == "CREATE FAILED" and "no-such-metrics-bucket" in job["failureReason"]

    p.delete_metric_attribution(metricAttributionArn=arn)
    wait_gone(lambda: p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"])


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("COUNT()", "Invalid metric expression"),
        ("SUM(Interactions.EVENT_TYPE)", "not a numeric field"),
        ("SUM(Items.NOPE)", "not a numeric field"),
        ("SUM(Users.AGE)", "Invalid metric expression"),
    ],
)
def test_create_rejects_bad_expressions(wire: Wire, group: dict[str, str], expression: str, problem: str) -> None:
    error = raises_code(
        "InvalidInputException",
        wire.personalize.create_metric_attribution,
        name=f"bad-{uuid.uuid4().hex[:6]}",
        datasetGroupArn=group["group"],
        metrics=[{"eventType": "WATCH", "metricName": "M", "expression": expression}],
        metricsOutputConfig={"roleArn": ROLE},
    )
    assert problem in str(error)
    assert wire.personalize.list_metric_attributions(datasetGroupArn=group["group"])["metricAttributions"] == []


def test_deleting_the_dataset_group_removes_its_attributions_and_jobs(
    stack: Stack, wire: Wire, group: dict[str, str]
) -> None:
    p = wire.personalize
    attribution = p.create_metric_attribution(
        name=f"gone-{uuid.uuid4().hex[:6]}",
        datasetGroupArn=group["group"],
        metrics=[{"eventType": "WATCH", "metricName": "M", "expression": "SAMPLECOUNT()"}],
        metricsOutputConfig={"roleArn": ROLE},
    )["metricAttributionArn"]
    deletion = p.create_data_deletion_job(
        jobName=f"gone-{uuid.uuid4().hex[:6]}",
        datasetGroupArn=group["group"],
        dataSource={"dataLocation": stack.put(f"ma/{uuid.uuid4().hex[:6]}.csv", "USER_ID\nu1\n")},
        roleArn=ROLE,
    )["dataDeletionJobArn"]
    export = p.create_dataset_export_job(
        jobName=f"gone-{uuid.uuid4().hex[:6]}",
        datasetArn=group["Items"],
        roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/ma-export/"}},
    )["datasetExportJobArn"]
    poll_statuses(lambda: p.describe_dataset_export_job(datasetExportJobArn=export)["datasetExportJob"])
    poll_statuses(lambda: p.describe_metric_attribution(metricAttributionArn=attribution)["metricAttribution"])
    deletion_doc = p.describe_data_deletion_job(dataDeletionJobArn=deletion)["dataDeletionJob"]
    assert deletion_doc["jobName"].startswith("gone-")
    for dataset in (group["Interactions"], group["Items"]):
        poll_statuses(lambda d=dataset: p.describe_dataset(datasetArn=d)["dataset"])
        p.delete_dataset(datasetArn=dataset)
    wait_gone(lambda: p.describe_dataset(datasetArn=group["Items"])["dataset"])
    raises_code("ResourceNotFoundException", p.describe_dataset_export_job, datasetExportJobArn=export)
    wait_gone(lambda: p.describe_dataset(datasetArn=group["Interactions"])["dataset"])
    p.delete_dataset_group(datasetGroupArn=group["group"])
    wait_gone(lambda: p.describe_dataset_group(datasetGroupArn=group["group"])["datasetGroup"])
    raises_code("ResourceNotFoundException", p.describe_metric_attribution, metricAttributionArn=attribution)
    raises_code("ResourceNotFoundException", p.describe_data_deletion_job, dataDeletionJobArn=deletion)
