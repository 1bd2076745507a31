"""End to end: the real statemachine/retrain.asl.json on moto's Step Functions engine, every Lambda task running
the real handler in-process, against moto S3/SNS/SSM/SQS/EventBridge and Personalize Local (offline.harness).

Drops are generated with the project's own Kaggle-format generator (``tiny``); uploads go through the template's
S3 -> EventBridge rule, so each uploaded file starts an execution as it would in AWS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest

from offline.harness import offline_pipeline
from offline.stack import OfflineStack
from sample_data.generate import generate_dataset

pytestmark = pytest.mark.slow

RUN_TIMEOUT = 120.0
QUIET = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}


@pytest.fixture(scope="module")
def tiny_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated tiny Kaggle drop, shared read-only by the tests of this module."""
    directory = tmp_path_factory.mktemp("tiny-drop")
    generate_dataset("tiny", directory)
    return directory


def _copy_drop(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def _run_uploads(stack: OfflineStack, source: Path, drop_name: str) -> list[dict[str, Any]]:
    """Upload a drop, start the executions its events trigger, wait for all; described executions."""
    stack.upload_drop(source, drop_name)
    arns = stack.start_triggered_executions()
    assert arns, "the S3 -> EventBridge rule delivered no event"
    return [stack.wait(arn, timeout=RUN_TIMEOUT) for arn in arns]


def _the_run(executions: list[dict[str, Any]]) -> dict[str, Any]:
    """The one execution that went past "Resolve the drop" (all others must have ended quietly)."""

    def quiet(execution: dict[str, Any]) -> bool:
        output = json.loads(execution.get("output") or "{}")
        return execution["status"] == "SUCCEEDED" and output.get("status") in {"DUPLICATE", "INCOMPLETE"}

    ran = [execution for execution in executions if not quiet(execution)]
    assert len(ran) == 1, [(e["status"], (e.get("output") or e.get("cause") or "")[:200]) for e in executions]
    return ran[0]


def _campaign(arn: str) -> dict[str, Any]:
    return boto3.client("personalize").describe_campaign(campaignArn=arn)["campaign"]


def _solution_versions() -> int:
    client = boto3.client("personalize")
    total = 0
    for group in client.list_dataset_groups()["datasetGroups"]:
        for solution in client.list_solutions(datasetGroupArn=group["datasetGroupArn"])["solutions"]:
            total += len(client.list_solution_versions(solutionArn=solution["solutionArn"])["solutionVersions"])
    return total


def _catalog(stack: OfflineStack) -> dict[str, Any]:
    bucket, key = stack.published_parameters()["/anime-recs/catalog"].removeprefix("s3://").split("/", 1)
    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def test_sample_drop_retrains_deploys_and_serves_then_the_same_drop_runs_once(tmp_path: Path, tiny_drop: Path) -> None:
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        run = _the_run(_run_uploads(stack, tiny_drop, "2020-06"))
        assert run["status"] == "SUCCEEDED", run.get("cause")
        state = json.loads(run["output"])
        assert sorted(state["evaluation"]["promoted"]) == ["personalized-ranking", "sims", "user-personalization"]
        assert state["evaluation"]["decisions"]["popularity-count"]["promote"] is False

        published = stack.published_parameters()
        for recipe in ("user-personalization", "sims", "personalized-ranking"):
            campaign = _campaign(published[f"/anime-recs/campaigns/{recipe}"])
            assert campaign["status"] == "ACTIVE"
            assert campaign["solutionVersionArn"] == next(
                t["solutionVersionArn"] for t in state["training"] if t["recipe"] == recipe
            )
        filters = json.loads(published["/anime-recs/filters"])
        assert sorted(filters) == ["base", "genre", "genre-studio", "studio"]
        assert published["/anime-recs/tracking-id"] not in {"", "not-deployed-yet"}
        assert json.loads(published["/anime-recs/event-types"])

        runtime, catalog = boto3.client("personalize-runtime"), _catalog(stack)
        user_id = "0"
        items = runtime.get_recommendations(
            campaignArn=published["/anime-recs/campaigns/user-personalization"], userId=user_id, numResults=10
        )["itemList"]
        assert len(items) == 10 and all(item["itemId"] in catalog for item in items)
        similar = runtime.get_recommendations(
            campaignArn=published["/anime-recs/campaigns/sims"], itemId=items[0]["itemId"], numResults=5
        )["itemList"]
        assert similar and items[0]["itemId"] not in {item["itemId"] for item in similar}
        action = runtime.get_recommendations(
            campaignArn=published["/anime-recs/campaigns/user-personalization"],
            userId=user_id,
            numResults=10,
            filterArn=filters["genre"],
            filterValues={"GENRES": '"Action"'},
        )["itemList"]
        assert action and all("Action" in catalog[item["itemId"]]["genres"] for item in action)

        report_key = state["evaluation"]["reportUri"].split("/", 3)[3]
        report = json.loads(boto3.client("s3").get_object(Bucket=stack.bucket, Key=report_key)["Body"].read())
        assert set(report["metrics"]) == {"popularity-count", "user-personalization", "sims", "personalized-ranking"}
        [message] = stack.read_notifications()
        assert "NDCG@10" in message["Message"] and "PROMOTED" in message["Message"]
        assert "(local stack: `make console` lists the executions)" in message["Message"]  # no AWS console offline

        versions_before = _solution_versions()
        again = _run_uploads(stack, tiny_drop, "2020-06")  # identical files: same ETags, same content hash
        assert all(e["status"] == "SUCCEEDED" for e in again)
        assert {json.loads(e["output"])["status"] for e in again} == {"DUPLICATE"}
        assert _solution_versions() == versions_before
        assert len(stack.read_notifications()) == 1

        # The cleanup state machine deletes everything the pipeline made, in dependency order.
        cleanup = stack.wait(stack.start("CleanupStateMachine", {}), timeout=RUN_TIMEOUT)
        assert cleanup["status"] == "SUCCEEDED", cleanup.get("cause")
        client = boto3.client("personalize")
        assert client.list_dataset_groups()["datasetGroups"] == []
        assert client.list_campaigns()["campaigns"] == []
        assert [s for s in client.list_schemas()["schemas"] if s["name"].startswith("anime-recs-")] == []


def test_broken_csv_fails_with_a_readable_cause_and_creates_no_personalize_resource(
    tmp_path: Path, tiny_drop: Path
) -> None:
    broken = _copy_drop(tiny_drop, tmp_path / "broken")
    (broken / "rating_complete.csv").write_text("user,anime,stars\n1,2,3\nnot,a,row\n", encoding="utf-8")
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        run = _the_run(_run_uploads(stack, broken, "broken"))
        assert run["status"] == "FAILED"
        assert run["error"] == "DataValidationError"
        assert run["cause"].startswith("Prepare data failed: DataValidationError:")
        assert "rating_complete.csv" in run["cause"]
        assert boto3.client("personalize").list_dataset_groups()["datasetGroups"] == []
        [message] = stack.read_notifications()
        assert "FAILED at Prepare data" in message["Subject"] and "rating_complete.csv" in message["Message"]
        s3 = boto3.client("s3")
        state_objects = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.bucket, Prefix="state/").get("Contents", [])]
        assert [key.split("/")[1] for key in state_objects] == ["claims"], "the lock must be released after a failure"
        claim = json.loads(s3.get_object(Bucket=stack.bucket, Key=state_objects[0])["Body"].read())
        assert claim["status"] == "FAILED" and claim["owner"] == run["executionArn"]
        assert stack.published_parameters()["/anime-recs/campaigns/user-personalization"] == "not-deployed-yet"


def test_a_bad_config_json_fails_the_drop_once_with_one_notification(tmp_path: Path, tiny_drop: Path) -> None:
    drop = _copy_drop(tiny_drop, tmp_path / "bad-config")
    (drop / "config.json").write_text(json.dumps({"promotion": {"tolerance": 5}}), encoding="utf-8")
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        executions = _run_uploads(stack, drop, "bad-config")  # one execution per uploaded file

        assert len(executions) == len(list(drop.iterdir())) >= 3
        run = _the_run(executions)  # before: every execution failed on the config, one notification each
        assert (run["status"], run["error"]) == ("FAILED", "ConfigError")
        assert "config.json is invalid: promotion.tolerance" in run["cause"]
        [message] = stack.read_notifications()
        assert "FAILED at Resolve the drop" in message["Subject"]
        assert "upload the drop again" in message["Message"]
        assert boto3.client("personalize").list_dataset_groups()["datasetGroups"] == []


def _live_campaigns(stack: OfflineStack) -> dict[str, str]:
    published = stack.published_parameters()
    return {
        recipe: _campaign(published[f"/anime-recs/campaigns/{recipe}"])["solutionVersionArn"]
        for recipe in ("user-personalization", "sims", "personalized-ranking")
    }


def test_training_failure_leaves_the_live_campaigns_untouched(tmp_path: Path, tiny_drop: Path) -> None:
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        assert _the_run(_run_uploads(stack, tiny_drop, "first"))["status"] == "SUCCEEDED"
        live_before, published_before = _live_campaigns(stack), stack.published_parameters()

        # Same data, but one more recipe whose event type matches nothing: its training fails in Personalize.
        second = _copy_drop(tiny_drop, tmp_path / "second")
        config = {
            "recipes": [
                {"key": "popularity-count", "recipeArn": "arn:aws:personalize:::recipe/aws-popularity-count"},
                {
                    "key": "user-personalization",
                    "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization",
                    "deploy": True,
                },
                {"key": "sims", "recipeArn": "arn:aws:personalize:::recipe/aws-sims", "deploy": True},
                {
                    "key": "personalized-ranking",
                    "recipeArn": "arn:aws:personalize:::recipe/aws-personalized-ranking",
                    "deploy": True,
                },
                {"key": "sims-rewatch", "recipeArn": "arn:aws:personalize:::recipe/aws-sims", "eventType": "REWATCHED"},
            ]
        }
        (second / "config.json").write_text(json.dumps(config), encoding="utf-8")
        run = _the_run(_run_uploads(stack, second, "second"))
        assert run["status"] == "FAILED"
        assert run["cause"].startswith("Train solutions failed: ResourceFailedError:")
        assert "sims-rewatch" in run["cause"] and "Insufficient data" in run["cause"]
        assert _live_campaigns(stack) == live_before
        assert stack.published_parameters() == published_before
        failure = stack.read_notifications()[-1]
        assert "FAILED at Train solutions" in failure["Subject"] and "Insufficient data" in failure["Message"]


def _shuffle_items(source: Path, target: Path, seed: int = 7) -> Path:
    """Same users and catalog, but every interaction points at a random anime: no signal left to learn."""
    _copy_drop(source, target)
    rng = np.random.default_rng(seed)
    for name in ("rating_complete.csv", "animelist.csv"):
        frame = pd.read_csv(target / name)
        frame["anime_id"] = rng.permutation(frame["anime_id"].to_numpy())
        frame = frame.drop_duplicates(subset=["user_id", "anime_id"])
        frame.to_csv(target / name, index=False)
    return target


def test_a_candidate_worse_than_live_is_not_promoted(tmp_path: Path, tiny_drop: Path) -> None:
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        assert _the_run(_run_uploads(stack, tiny_drop, "good"))["status"] == "SUCCEEDED"
        live_before = _live_campaigns(stack)

        run = _the_run(_run_uploads(stack, _shuffle_items(tiny_drop, tmp_path / "noise"), "noise"))
        assert run["status"] == "SUCCEEDED", run.get("cause")
        evaluation = json.loads(run["output"])["evaluation"]
        decision = evaluation["decisions"]["user-personalization"]
        assert decision["promote"] is False and decision["withinTolerance"] is False
        assert decision["candidate"] < decision["threshold"] == pytest.approx(decision["live"] * 0.95)
        assert decision["liveSolutionVersionArn"] == live_before["user-personalization"]
        assert _live_campaigns(stack)["user-personalization"] == live_before["user-personalization"]
        message = stack.read_notifications()[-1]["Message"]
        assert "user-personalization: KEPT LIVE - keep live: NDCG@10 candidate" in message


def _entered(stack: OfflineStack, execution_arn: str, state: str) -> list[Any]:
    return [
        event["timestamp"]
        for event in stack.history(execution_arn)
        if event.get("stateEnteredEventDetails", {}).get("name") == state
    ]


def test_two_drops_at_once_run_one_after_the_other(tmp_path: Path, tiny_drop: Path) -> None:
    # Either drop may take the lock first, so both can wait long for it (the harness shortens every Wait to 0.05 s:
    # the default 288 attempts would give up after ~15 s of the other's run); the budgets differ so that the two
    # contents differ (the same content twice is a duplicate).
    drops = []
    for name, attempts in (("first", 5000), ("second", 4999)):
        drop = _copy_drop(tiny_drop, tmp_path / name)
        budget = {"polling": {"lock": {"maxAttempts": attempts}}}
        (drop / "config.json").write_text(json.dumps(budget), encoding="utf-8")
        drops.append((drop, name))
    with offline_pipeline(tmp_path / "personalize", environment=QUIET) as stack:
        for drop, name in drops:
            stack.upload_drop(drop, name)
        arns = stack.start_triggered_executions()
        executions = [stack.wait(arn, timeout=2 * RUN_TIMEOUT) for arn in arns]
        ran = [
            e
            for e in executions
            if json.loads(e.get("output") or "{}").get("status") not in {"DUPLICATE", "INCOMPLETE"}
        ]
        assert [e["status"] for e in ran] == ["SUCCEEDED", "SUCCEEDED"], [e.get("cause") for e in ran]
        waited = [e for e in ran if _entered(stack, e["executionArn"], "Retry the dataset group lock")]
        assert len(waited) == 1, "exactly one drop must have waited for the other"
        assert json.loads(waited[0]["output"])["status"] == "READY"
        holder = next(e for e in ran if e is not waited[0])
        released = _entered(stack, holder["executionArn"], "Release the drop lock")[0]
        assert _entered(stack, waited[0]["executionArn"], "Prepare data")[0] >= released
        assert len(stack.read_notifications()) == 2
