"""The prepare_data Lambda against moto S3: a drop in a mocked bucket → outputs + report; a broken drop →
DataValidationError and a report saying why."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from anime_recommender.prepare_data import DataValidationError
from anime_recommender.prepare_data.schemas import interactions_schema, items_schema
from sam_app.handlers import LambdaContext, load_function
from tests.support.prepare_data.drops import FIXTURES, animelist_lines, make_drop, rating_lines

BUCKET = "anime-recs-data-test"


def _load_handler():
    return load_function("prepare_data").lambda_handler


def _context() -> LambdaContext:
    return LambdaContext.for_function("prepare-data", memory_mb=3008)


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _upload_drop(s3, drop: Path, prefix: str) -> None:
    for path in drop.iterdir():
        s3.upload_file(str(path), BUCKET, prefix + path.name)


def _event(drop_id: str, **options: object) -> dict:
    event = {
        "bucket": BUCKET,
        "dropPrefix": f"incoming/{drop_id}/",
        "dropId": drop_id,
        "outputPrefix": f"prepared/{drop_id}/",
    }
    return event | ({"options": options} if options else {})


def _keys(s3, prefix: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def test_drop_in_s3_is_prepared_and_the_contract_holds(s3, tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop", rating=rating_lines(), animelist=animelist_lines()[:600])
    (drop / "anime_with_synopsis.csv").write_bytes((FIXTURES / "anime_with_synopsis.csv").read_bytes())
    (drop / "watching_status.csv").write_bytes(b"status, description\n1,Currently Watching")
    _upload_drop(s3, drop, "incoming/drop-1/")

    response = _load_handler()(_event("drop-1"), _context())

    prefix = f"s3://{BUCKET}/prepared/drop-1/"
    assert response == {
        "bucket": BUCKET,
        "outputPrefix": "prepared/drop-1/",
        "interactionsUri": prefix + "interactions.csv",
        "itemsUri": prefix + "items.csv",
        "catalogUri": prefix + "catalog.json",
        "reportUri": prefix + "report.json",
        "schemas": {"interactions": json.dumps(interactions_schema()), "items": json.dumps(items_schema(True))},
        "eventTypes": ["COMPLETED", "DROPPED", "ON_HOLD", "PLAN_TO_WATCH", "RATING", "WATCHING"],
        "counts": {"interactions": 1080, "users": 90, "items": 12, "rejectedRows": 0},
    }
    assert _keys(s3, "prepared/drop-1/") == [
        f"prepared/drop-1/{name}"
        for name in ("catalog.json", "interactions.csv", "items.csv", "rejected.csv", "report.json")
    ]
    body = s3.get_object(Bucket=BUCKET, Key="prepared/drop-1/interactions.csv")["Body"].read().decode()
    assert body.startswith("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n")
    assert len(body.splitlines()) == 1081
    report = json.loads(s3.get_object(Bucket=BUCKET, Key="prepared/drop-1/report.json")["Body"].read())
    assert report["status"] == "succeeded" and report["dropId"] == "drop-1"
    assert report["rules"]["merged_overlap"]["count"] == 600
    catalog = json.loads(s3.get_object(Bucket=BUCKET, Key="prepared/drop-1/catalog.json")["Body"].read())
    assert catalog["1"]["title"] == "Star Courier Bebop"


def test_keep_unknown_anime_option_reaches_the_transform(s3, tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop", rating=[*rating_lines(), "3,999,8"])
    _upload_drop(s3, drop, "incoming/drop-2/")
    response = _load_handler()(_event("drop-2", keepUnknownAnime=True), _context())
    assert response["counts"]["interactions"] == 1081
    assert response["schemas"]["items"] == json.dumps(items_schema(False))


def test_broken_drop_raises_data_validation_error_and_writes_the_report(s3, tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop")
    (drop / "rating_complete.csv").write_text("user;anime;rating\n1;1;7\n")
    _upload_drop(s3, drop, "incoming/drop-3/")

    with pytest.raises(DataValidationError) as raised:
        _load_handler()(_event("drop-3"), _context())

    assert type(raised.value).__name__ == "DataValidationError"  # the Step Functions error name
    assert "rating_complete.csv" in str(raised.value) and "semicolon-separated" in str(raised.value)
    assert _keys(s3, "prepared/drop-3/") == ["prepared/drop-3/rejected.csv", "prepared/drop-3/report.json"]
    report = json.loads(s3.get_object(Bucket=BUCKET, Key="prepared/drop-3/report.json")["Body"].read())
    assert report["status"] == "failed" and report["error"]["message"] == str(raised.value)


def test_missing_drop_is_a_data_validation_error(s3) -> None:
    with pytest.raises(DataValidationError, match=r"anime\.csv: the file is missing"):
        _load_handler()(_event("nothing-here"), _context())


def test_cr_only_line_endings_are_prepared_from_s3(s3, tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop", rating=rating_lines())
    for name in ("anime.csv", "rating_complete.csv"):
        (drop / name).write_bytes((drop / name).read_bytes().replace(b"\n", b"\r"))
    _upload_drop(s3, drop, "incoming/drop-cr/")
    response = _load_handler()(_event("drop-cr"), _context())
    assert response["counts"] == {"interactions": 1080, "users": 90, "items": 12, "rejectedRows": 0}


def test_a_compressed_file_in_s3_is_refused_by_name_with_a_report(s3, tmp_path: Path) -> None:
    drop = make_drop(tmp_path / "drop", rating=rating_lines())
    (drop / "rating_complete.csv").write_bytes(gzip.compress((drop / "rating_complete.csv").read_bytes()))
    _upload_drop(s3, drop, "incoming/drop-gz/")

    with pytest.raises(DataValidationError) as raised:
        _load_handler()(_event("drop-gz"), _context())

    assert type(raised.value).__name__ == "DataValidationError"  # the Step Functions error name
    assert "gzip-compressed" in raised.value.message
    report = json.loads(s3.get_object(Bucket=BUCKET, Key="prepared/drop-gz/report.json")["Body"].read())
    assert report["error"] | {"message": None} == {
        "type": "DataValidationError",
        "message": None,
        "file": "rating_complete.csv",
        "line": 1,
        "column": None,
    }
    assert _keys(s3, "prepared/drop-gz/") == ["prepared/drop-gz/rejected.csv", "prepared/drop-gz/report.json"]


def test_an_unclosed_quote_in_s3_is_parked_in_rejected_csv(s3, tmp_path: Path) -> None:
    anime = (FIXTURES / "anime.csv").read_text(encoding="utf-8").split("\n")
    anime.insert(2, '777,"Never closed' + ",x" * 34)
    drop = make_drop(tmp_path / "drop", rating=rating_lines(), anime_text="\n".join(anime))
    _upload_drop(s3, drop, "incoming/drop-quote/")

    response = _load_handler()(_event("drop-quote"), _context())

    assert response["counts"]["items"] == 12 and response["counts"]["rejectedRows"] == 1
    rejected = s3.get_object(Bucket=BUCKET, Key="prepared/drop-quote/rejected.csv")["Body"].read().decode()
    parked = list(csv.reader(io.StringIO(rejected)))
    assert parked[1][:4] == ["anime.csv", "3", "unclosed_quote", "Name"]
    assert parked[1][4].startswith('777,"Never closed')
