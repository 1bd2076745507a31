"""S3Storage on moto: sizes, ranged heads, streaming reads, and the multipart writer's commit/abort."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from anime_recommender.prepare_data.s3_storage import MIN_PART_SIZE, S3Storage

BUCKET = "prepare-storage-test"


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_size_head_and_read(s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="incoming/d/anime.csv", Body=b"MAL_ID,Name\n1,A\n")
    storage = S3Storage(s3, BUCKET, "incoming/d")  # the missing slash is added
    assert storage.size("anime.csv") == 16 and storage.size("nope.csv") is None
    assert storage.read_head("anime.csv", 6) == b"MAL_ID"
    with storage.open_read("anime.csv") as stream:
        assert stream.read(7) == b"MAL_ID," and stream.read() == b"Name\n1,A\n"
    assert storage.uri("x.csv") == f"s3://{BUCKET}/incoming/d/x.csv"


def test_multipart_writer_publishes_parts_in_order(s3) -> None:
    storage = S3Storage(s3, BUCKET, "prepared/d/", part_size=MIN_PART_SIZE)
    payload = bytes(range(256)) * (MIN_PART_SIZE * 2 // 256 + 1000)
    with storage.open_write("big.csv") as sink:
        for start in range(0, len(payload), 1_000_003):
            sink.write(payload[start : start + 1_000_003])
    head = s3.head_object(Bucket=BUCKET, Key="prepared/d/big.csv", PartNumber=1)
    assert head["PartsCount"] == 3
    assert s3.get_object(Bucket=BUCKET, Key="prepared/d/big.csv")["Body"].read() == payload


def test_small_file_is_a_single_put(s3) -> None:
    storage = S3Storage(s3, BUCKET, "prepared/d/")
    with storage.open_write("small.json", content_type="application/json") as sink:
        sink.write(b"{}")
    obj = s3.get_object(Bucket=BUCKET, Key="prepared/d/small.json")
    assert obj["Body"].read() == b"{}" and obj["ContentType"] == "application/json"


def test_failure_leaves_no_object_and_no_pending_upload(s3) -> None:
    storage = S3Storage(s3, BUCKET, "prepared/d/", part_size=MIN_PART_SIZE)
    with pytest.raises(RuntimeError), storage.open_write("half.csv") as sink:
        sink.write(b"x" * (MIN_PART_SIZE + 10))
        raise RuntimeError("boom")
    assert storage.size("half.csv") is None
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
