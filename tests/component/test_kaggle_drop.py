"""kaggle_drop: the Kaggle side at the official client's interface (a fake ``KaggleApi``), S3 with moto."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from kaggle_drop.cli import main
from kaggle_drop.dataset import DATASET, DATASET_VERSION
from kaggle_drop.download import KaggleDownloadError, download_dataset
from kaggle_drop.upload import UploadError, drop_prefix, plan_upload, transfer_config, upload_planned
from kaggle_drop.verify import DropVerificationError, verify_drop
from tests.support.prepare_data.drops import FIXTURES

BUCKET = "drop-bucket"
MiB = 1024 * 1024


def write_drop(directory: Path, ratings: int = 50) -> Path:
    """A small Kaggle-format drop: the fixture catalog and synopsis, generated ratings, the status table."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("anime.csv", "anime_with_synopsis.csv", "animelist.csv"):
        shutil.copy(FIXTURES / name, directory / name)
    lines = ["user_id,anime_id,rating"] + [f"{n // 10},{n % 10 + 1},{n % 10 + 1}" for n in range(ratings)]
    (directory / "rating_complete.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "watching_status.csv").write_text("status, description\n1, Currently Watching", encoding="utf-8")
    return directory


class FakeKaggleApi:
    """The part of ``kaggle.api.kaggle_api_extended.KaggleApi`` the command uses, with its documented signature:
    ``dataset_download_files(dataset, path=None, force=False, quiet=True, unzip=False, licenses=[])``."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def authenticate(self) -> None:
        return None

    def dataset_download_files(
        self, dataset: str, path: str | None = None, force: bool = False, quiet: bool = True, unzip: bool = False
    ) -> None:
        self.calls.append({"dataset": dataset, "path": path, "unzip": unzip})
        if self.fail is not None:
            raise self.fail
        write_drop(Path(path))
        (Path(path) / "html folder").mkdir()  # the real archive holds the scraped pages too


@pytest.fixture
def s3() -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def recorded_writes(client: Any) -> list[tuple[str, str]]:
    """(operation, key) of every PutObject / CreateMultipartUpload the client sends, in order."""
    calls: list[tuple[str, str]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in {"PutObject", "CreateMultipartUpload"}:
            calls.append((model.name, params["Key"]))

    client.meta.events.register("before-parameter-build.s3", record)
    return calls


def keys(client: Any) -> set[str]:
    return {obj["Key"] for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


# ---------------------------------------------------------------- Kaggle side
def test_download_asks_the_kaggle_client_for_the_pinned_version_unzipped(tmp_path: Path) -> None:
    api = FakeKaggleApi()
    target = download_dataset(api, tmp_path / "kaggle", DATASET_VERSION)
    assert api.calls == [{"dataset": f"{DATASET}/{DATASET_VERSION}", "path": str(tmp_path / "kaggle"), "unzip": True}]
    assert (target / "anime.csv").is_file()


def test_a_failed_download_is_a_clear_error_naming_the_dataset(tmp_path: Path) -> None:
    api = FakeKaggleApi(fail=Exception("404 Client Error: Not Found"))
    with pytest.raises(KaggleDownloadError, match=f"downloading {DATASET}/3 .* 404"):
        download_dataset(api, tmp_path / "kaggle", 3)


def test_cli_downloads_once_then_reuses_the_download(tmp_path: Path, s3: Any, capsys: pytest.CaptureFixture) -> None:
    api = FakeKaggleApi()
    args = ["--bucket", BUCKET, "--download-dir", str(tmp_path / "dl"), "--allow-small", "--no-progress"]
    assert main(args, api_factory=lambda: api, s3=s3) == 0
    assert main(args, api_factory=lambda: api, s3=s3) == 0
    assert len(api.calls) == 1
    out = capsys.readouterr().out
    assert "already in" in out and "left out: html folder" in out
    assert keys(s3) == {f"incoming/kaggle-v{DATASET_VERSION}/{p.name}" for p in (tmp_path / "dl").glob("*.csv")}


# ---------------------------------------------------------------- verification
def test_verify_lists_every_problem_and_the_cli_uploads_nothing(tmp_path: Path, s3: Any, capsys) -> None:
    drop = write_drop(tmp_path / "drop")
    (drop / "anime.csv").unlink()
    (drop / "rating_complete.csv").write_text("user;anime;rating\n1;2;3\n", encoding="utf-8")
    with pytest.raises(DropVerificationError) as raised:
        verify_drop(drop, full_size=False, progress=False)
    assert len(raised.value.problems) == 2
    assert "anime.csv is missing" in raised.value.problems[0]
    assert "rating_complete.csv" in raised.value.problems[1] and "semicolon" in raised.value.problems[1]

    assert main(["--bucket", BUCKET, "--from", str(drop), "--allow-small", "--no-progress"], s3=s3) == 2
    assert "anime.csv is missing" in capsys.readouterr().err
    assert keys(s3) == set()


def test_verify_wants_the_full_dataset_unless_told_otherwise(tmp_path: Path) -> None:
    drop = write_drop(tmp_path / "drop", ratings=40)
    with pytest.raises(DropVerificationError, match=r"rating_complete\.csv has 40 data rows; the full dataset has"):
        verify_drop(drop, progress=False)
    verified = verify_drop(drop, full_size=False, progress=False)
    rows = {file.name: file.rows for file in verified.files}
    assert rows["rating_complete.csv"] == 40
    assert rows["watching_status.csv"] == 1  # no final newline, like the real file
    assert [file.name for file in verified.files][-1] == "anime.csv"


def test_drop_names_are_one_folder() -> None:
    assert drop_prefix("2020-06") == "incoming/2020-06/"
    for bad in ("", "a/b", "../x", "with space"):
        with pytest.raises(UploadError, match="must be one folder name"):
            drop_prefix(bad)


# ---------------------------------------------------------------- S3 side
def test_dry_run_shows_the_plan_and_uploads_nothing(tmp_path: Path, s3: Any, capsys) -> None:
    drop = write_drop(tmp_path / "drop")
    assert main(["--bucket", BUCKET, "--from", str(drop), "--allow-small", "--dry-run", "--no-progress"], s3=s3) == 0
    out = capsys.readouterr().out
    assert out.count("upload  incoming/kaggle-v") == 5
    assert "nothing was uploaded" in out
    assert keys(s3) == set()


def test_upload_order_puts_anime_last(tmp_path: Path, s3: Any) -> None:
    drop = write_drop(tmp_path / "drop")
    writes = recorded_writes(s3)
    plan = plan_upload(s3, BUCKET, "2020-06", verify_drop(drop, full_size=False, progress=False))
    upload_planned(s3, BUCKET, plan, transfer_config(), progress=False)
    uploaded = [key for _, key in writes]
    assert sorted(uploaded) == sorted(f"incoming/2020-06/{p.name}" for p in drop.iterdir())
    assert uploaded[-1] == "incoming/2020-06/anime.csv"


def test_a_missing_bucket_is_named_with_the_endpoint(tmp_path: Path, s3: Any) -> None:
    verified = verify_drop(write_drop(tmp_path / "drop"), full_size=False, progress=False)
    with pytest.raises(UploadError, match="bucket 'nope' does not exist at https://s3"):
        plan_upload(s3, "nope", "2020-06", verified)


def test_resume_after_an_interruption_uploads_only_what_is_missing(tmp_path: Path, s3: Any) -> None:
    drop = write_drop(tmp_path / "drop")
    verified = verify_drop(drop, full_size=False, progress=False)

    def interrupt(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "PutObject" and params["Key"].endswith("rating_complete.csv"):
            raise ConnectionResetError("connection lost")

    s3.meta.events.register("before-parameter-build.s3", interrupt)
    with pytest.raises(ConnectionResetError):
        upload_planned(s3, BUCKET, plan_upload(s3, BUCKET, "d", verified), transfer_config(), progress=False)
    s3.meta.events.unregister("before-parameter-build.s3", interrupt)
    assert keys(s3) == {"incoming/d/anime_with_synopsis.csv", "incoming/d/animelist.csv"}

    (drop / "animelist.csv").write_text((drop / "animelist.csv").read_text() + "0,5,7,2,1\n", encoding="utf-8")
    verified = verify_drop(drop, full_size=False, progress=False)
    plan = plan_upload(s3, BUCKET, "d", verified)
    assert {item.key.rsplit("/", 1)[1]: item.reason for item in plan} == {
        "anime_with_synopsis.csv": "already uploaded (same size and SHA-256)",
        "animelist.csv": "differs from the uploaded object",
        "rating_complete.csv": "new",
        "watching_status.csv": "new",
        "anime.csv": "new",
    }
    writes = recorded_writes(s3)
    upload_planned(s3, BUCKET, plan, transfer_config(), progress=False)
    assert [key.rsplit("/", 1)[1] for _, key in writes] == [
        "animelist.csv",
        "rating_complete.csv",
        "watching_status.csv",
        "anime.csv",
    ]
    assert all(item.upload is False for item in plan_upload(s3, BUCKET, "d", verified))


def test_files_above_the_threshold_go_multipart(tmp_path: Path, s3: Any) -> None:
    drop = write_drop(tmp_path / "drop", ratings=1_000_000)  # about 10 MiB
    size = (drop / "rating_complete.csv").stat().st_size
    assert 8 * MiB < size < 15 * MiB
    writes = recorded_writes(s3)
    plan = plan_upload(s3, BUCKET, "big", verify_drop(drop, full_size=False, progress=False))
    upload_planned(s3, BUCKET, plan, transfer_config(threshold_mib=8, chunk_mib=5), progress=False)
    operations = dict((key.rsplit("/", 1)[1], operation) for operation, key in writes)
    assert operations["rating_complete.csv"] == "CreateMultipartUpload"
    assert {operations[name] for name in operations if name != "rating_complete.csv"} == {"PutObject"}
    head = s3.head_object(Bucket=BUCKET, Key="incoming/big/rating_complete.csv")
    assert head["ContentLength"] == size and head["ETag"].strip('"').endswith(f"-{math.ceil(size / (5 * MiB))}")


def test_download_only_verifies_and_touches_no_bucket(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    api = FakeKaggleApi()
    args = ["--download-only", "--download-dir", str(tmp_path / "dl"), "--allow-small", "--no-progress"]
    assert main(args, api_factory=lambda: api, s3=object()) == 0  # no S3 call: a bare object would fail any
    assert len(api.calls) == 1
    assert f"make demo DROP={tmp_path / 'dl'}" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # one of --bucket / --download-only is required
        main(["--allow-small"], api_factory=lambda: api, s3=object())
