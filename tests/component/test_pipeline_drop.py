"""Resolving a drop: completeness, content hash, the once-only claim and the dataset-group lock (moto S3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from anime_recommender.pipeline.claims import S3Markers
from anime_recommender.pipeline.drop import drop_prefix_for_key, list_drop
from anime_recommender.pipeline.errors import ConfigError, DropError, PollBudgetExceededError
from anime_recommender.pipeline.names import ResourceNames
from anime_recommender.pipeline.resolve import acquire_lock, release, resolve
from sam_app.handlers import LambdaContext, load_handler

BUCKET = "data"
FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
NAMES = ResourceNames("anime-recs")
RUNNING: dict[str, str] = {}


def _status(execution_arn: str) -> str | None:
    return RUNNING.get(execution_arn)


@pytest.fixture
def s3() -> Iterator[object]:
    RUNNING.clear()
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _put(s3: object, key: str, body: str = "x") -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())  # type: ignore[attr-defined]


def _complete_drop(s3: object, name: str = "d1", extra: str = "") -> None:
    _put(s3, f"incoming/{name}/rating_complete.csv", "user_id,anime_id,rating\n1,2,3\n" + extra)
    _put(s3, f"incoming/{name}/anime.csv", "MAL_ID,Name\n2,X\n")


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        ("incoming/2020-06/anime.csv", "incoming/2020-06/"),
        ("incoming/2020-06/sub/file.csv", "incoming/2020-06/"),
        ("incoming/anime.csv", None),
        ("incoming/2020-06/", None),
        ("prepared/x/items.csv", None),
    ],
)
def test_only_keys_inside_a_drop_folder_belong_to_a_drop(key: str, prefix: str | None) -> None:
    assert drop_prefix_for_key(key) == prefix


def test_content_hash_follows_the_files_and_ignores_upload_order(s3: object) -> None:
    _complete_drop(s3, "a")
    _put(s3, "incoming/b/anime.csv", "MAL_ID,Name\n2,X\n")
    _put(s3, "incoming/b/rating_complete.csv", "user_id,anime_id,rating\n1,2,3\n")
    first, second = list_drop(s3, BUCKET, "incoming/a/"), list_drop(s3, BUCKET, "incoming/b/")
    assert first.content_hash() == second.content_hash()
    assert first.drop_id() == f"a-{first.content_hash()[:8]}"
    _put(s3, "incoming/b/animelist.csv", "user_id\n")
    assert list_drop(s3, BUCKET, "incoming/b/").content_hash() != first.content_hash()


def test_an_incomplete_drop_ends_quietly_saying_what_is_missing(s3: object) -> None:
    _put(s3, "incoming/d1/rating_complete.csv")
    result = resolve(s3, S3Markers(s3, BUCKET, _status), NAMES, BUCKET, "incoming/d1/rating_complete.csv", "exec-1")
    assert result["status"] == "INCOMPLETE"
    assert "waiting for anime.csv (upload anime.csv last)" in result["reason"]
    _put(s3, "incoming/d2/anime.csv")
    result = resolve(s3, S3Markers(s3, BUCKET, _status), NAMES, BUCKET, "incoming/d2/anime.csv", "exec-1")
    assert "waiting for rating_complete.csv or animelist.csv" in result["reason"]
    assert resolve(s3, S3Markers(s3, BUCKET, _status), NAMES, BUCKET, "incoming/x.csv", "e")["status"] == "IGNORED"


def test_the_same_content_runs_once_even_while_the_first_run_is_going(s3: object) -> None:
    _complete_drop(s3)
    markers = S3Markers(s3, BUCKET, _status)
    RUNNING["exec-1"] = "RUNNING"
    first = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")
    assert first["status"] == "READY" and first["lock"]["acquired"]
    assert first["config"]["promotion"]["tolerance"] == 0.05
    second = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/rating_complete.csv", "exec-2")
    assert second["status"] == "DUPLICATE" and "exec-1 (RUNNING)" in second["reason"]
    # the first run's own retry of the step finds its claim and lock
    assert resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")["status"] == "READY"

    assert release(markers, NAMES, first["drop"], "SUCCEEDED") == {
        "lockReleased": True,
        "claim": "SUCCEEDED",
        "outcome": "SUCCEEDED",
    }
    RUNNING["exec-1"] = "SUCCEEDED"
    later = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-3")
    assert later["status"] == "DUPLICATE" and "(SUCCEEDED)" in later["reason"]


def test_a_failed_drop_runs_again_only_when_it_is_uploaded_again(s3: object) -> None:
    _complete_drop(s3)
    markers = S3Markers(s3, BUCKET, _status)
    RUNNING["exec-1"] = "RUNNING"
    first = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")
    assert release(markers, NAMES, first["drop"], "FAILED") == {
        "lockReleased": True,
        "claim": "FAILED",
        "outcome": "FAILED",
    }
    RUNNING["exec-1"] = "FAILED"
    late = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/rating_complete.csv", "exec-2")  # a late event
    assert late["status"] == "DUPLICATE" and late["reason"].endswith("upload the drop again to retry it")

    claim_key = NAMES.claim_key(first["drop"]["contentHash"])
    claim = json.loads(s3.get_object(Bucket=BUCKET, Key=claim_key)["Body"].read())  # type: ignore[attr-defined]
    assert claim["status"] == "FAILED" and claim["uploadedAt"] == first["drop"]["uploadedAt"]
    # the same bytes uploaded again later: same content hash, newer LastModified
    claim["uploadedAt"] = "2001-01-01T00:00:00.000000Z"
    s3.put_object(Bucket=BUCKET, Key=claim_key, Body=json.dumps(claim).encode())  # type: ignore[attr-defined]
    retried = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-3")
    assert retried["status"] == "READY" and retried["drop"]["contentHash"] == first["drop"]["contentHash"]


def test_a_claim_left_by_a_dead_execution_is_taken_over(s3: object) -> None:
    _complete_drop(s3)
    markers = S3Markers(s3, BUCKET, _status)
    RUNNING["exec-1"] = "RUNNING"
    resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")
    RUNNING["exec-1"] = "TIMED_OUT"  # died without releasing (state machine timeout: no Catch runs)
    result = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-2")
    assert result["status"] == "READY" and result["lock"]["tookOver"] is True


def test_two_drops_never_hold_the_dataset_group_at_once(s3: object) -> None:
    _complete_drop(s3, "d1")
    _complete_drop(s3, "d2", extra="4,5,6\n")
    markers = S3Markers(s3, BUCKET, _status)
    RUNNING.update({"exec-1": "RUNNING", "exec-2": "RUNNING"})
    first = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")
    second = resolve(s3, markers, NAMES, BUCKET, "incoming/d2/anime.csv", "exec-2")
    assert first["status"] == "READY" and second["status"] == "BUSY"
    assert second["lock"] == {"acquired": False, "attempt": 1, "holder": "exec-1", "tookOver": False}
    assert "waiting for exec-1" in second["reason"]

    assert acquire_lock(markers, NAMES, second["drop"], attempt=1, max_attempts=10)["acquired"] is False
    with pytest.raises(PollBudgetExceededError, match="still locked by exec-1 after 3 attempts"):
        acquire_lock(markers, NAMES, second["drop"], attempt=2, max_attempts=3)
    release(markers, NAMES, first["drop"], "FAILED")
    assert acquire_lock(markers, NAMES, second["drop"], attempt=2, max_attempts=3) == {
        "acquired": True,
        "attempt": 3,
        "holder": None,
        "tookOver": False,
    }


def test_release_never_removes_someone_elses_lock(s3: object) -> None:
    _complete_drop(s3)
    markers = S3Markers(s3, BUCKET, _status)
    RUNNING["exec-1"] = "RUNNING"
    first = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")
    impostor = {**first["drop"], "executionArn": "exec-9"}
    assert release(markers, NAMES, impostor, "FAILED") == {
        "lockReleased": False,
        "claim": "not-held",
        "outcome": "FAILED",
    }
    lock = json.loads(s3.get_object(Bucket=BUCKET, Key=NAMES.lock_key())["Body"].read())  # type: ignore[attr-defined]
    assert lock["owner"] == "exec-1"


def test_an_invalid_config_json_fails_once_per_drop_not_once_per_uploaded_file(s3: object) -> None:
    _complete_drop(s3)
    _put(s3, "incoming/d1/animelist.csv", "user_id\n")
    _put(s3, "incoming/d1/config.json", json.dumps({"promotion": {"tolerance": -1}}))
    markers = S3Markers(s3, BUCKET, _status)
    keys = ["anime.csv", "rating_complete.csv", "animelist.csv", "config.json", "anime.csv", "config.json"]
    RUNNING.update({f"exec-{n}": "RUNNING" for n in range(len(keys))})
    outcomes = []
    for n, name in enumerate(keys):  # one event per uploaded file, all arriving after the last upload
        try:
            outcomes.append(resolve(s3, markers, NAMES, BUCKET, f"incoming/d1/{name}", f"exec-{n}")["status"])
        except ConfigError as error:
            outcomes.append(str(error))
        RUNNING[f"exec-{n}"] = "FAILED" if n == 0 else "SUCCEEDED"  # the first failed; later ones see it finished

    first, *rest = outcomes
    assert first.startswith("s3://data/incoming/d1/config.json is invalid: promotion.tolerance")
    assert first.endswith("the drop was not processed: fix it and upload the drop again")
    assert rest == ["DUPLICATE"] * 5  # before: six ConfigErrors, six failure notifications
    claims = s3.list_objects_v2(Bucket=BUCKET, Prefix="state/").get("Contents", [])  # type: ignore[attr-defined]
    assert [item["Key"].split("/")[1] for item in claims] == ["claims"], "no lock is taken for a bad config"
    claim = json.loads(s3.get_object(Bucket=BUCKET, Key=claims[0]["Key"])["Body"].read())  # type: ignore[attr-defined]
    assert (claim["owner"], claim["status"]) == ("exec-0", "FAILED")


def test_a_fixed_config_json_uploaded_again_runs(s3: object) -> None:
    _complete_drop(s3)
    _put(s3, "incoming/d1/config.json", "{not json")
    markers = S3Markers(s3, BUCKET, _status)
    with pytest.raises(ConfigError, match=r"config.json is not valid JSON: .* at line 1 column 2"):
        resolve(s3, markers, NAMES, BUCKET, "incoming/d1/config.json", "exec-1")
    _put(s3, "incoming/d1/config.json", json.dumps({"promotion": {"tolerance": 0.1}}))
    result = resolve(s3, markers, NAMES, BUCKET, "incoming/d1/config.json", "exec-2")
    assert result["status"] == "READY" and result["config"]["promotion"]["tolerance"] == 0.1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[" * 50_000, "nested too deeply"),
        (b'{"promotion": {"tolerance": NaN}}', "NaN is not a JSON value"),
        (b" " * (64 * 1024 + 1), "a config.json may have at most 65536"),
        (b"[]", "must be a JSON object, got list"),
    ],
    ids=["not-utf8", "deep", "nan", "too-large", "not-object"],
)
def test_a_hostile_config_json_is_a_config_error_naming_the_file(s3: object, body: bytes, message: str) -> None:
    _complete_drop(s3)
    s3.put_object(Bucket=BUCKET, Key="incoming/d1/config.json", Body=body)  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"s3://data/incoming/d1/config\.json") as raised:
        resolve(s3, S3Markers(s3, BUCKET, _status), NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")
    assert message in str(raised.value)


def test_a_valid_config_json_reaches_the_execution_state(s3: object) -> None:
    _complete_drop(s3)
    _put(s3, "incoming/d1/config.json", json.dumps({"promotion": {"tolerance": 0.2}}))
    result = resolve(s3, S3Markers(s3, BUCKET, _status), NAMES, BUCKET, "incoming/d1/anime.csv", "exec-1")
    assert result["config"]["promotion"]["tolerance"] == 0.2
    assert "config.json" in result["drop"]["files"]


EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize(
    ("event_file", "status"),
    [("s3-object-created.json", "INCOMPLETE"), ("s3-object-created-outside-drop.json", "IGNORED")],
)
def test_the_resolve_handler_reads_real_eventbridge_events(
    event_file: str, status: str, s3: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = json.loads((EVENTS / event_file).read_text("utf-8"))
    s3.create_bucket(Bucket=event["detail"]["bucket"]["name"])  # type: ignore[attr-defined]
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "anime-recs")
    handler = load_handler(FUNCTIONS / "resolve_drop", "app.lambda_handler", name="test_pipeline_drop_resolve")
    context = LambdaContext.for_function("resolve", memory_mb=128, timeout_s=60)
    result = handler({"action": "resolve", "event": event, "executionArn": "exec-1"}, context)
    assert result["status"] == status


def test_the_resolve_handler_accepts_a_manual_start_and_rejects_anything_else(s3: object) -> None:
    _complete_drop(s3)
    handler = load_handler(FUNCTIONS / "resolve_drop", "app.lambda_handler", name="test_pipeline_drop_resolve_manual")
    context = LambdaContext.for_function("resolve", memory_mb=128, timeout_s=60)
    manual = {"action": "resolve", "event": {"bucket": BUCKET, "dropPrefix": "incoming/d1/"}, "executionArn": "exec-1"}
    assert handler(manual, context)["status"] == "READY"
    with pytest.raises(DropError, match="must be an S3 'Object Created' EventBridge event"):
        handler({"action": "resolve", "event": {"hello": 1}, "executionArn": "exec-2"}, context)
