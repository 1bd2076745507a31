"""Every pipeline handler called the way Step Functions calls it (one poll per call), in pipeline order, against
moto (S3, SSM, SNS, SQS, Step Functions) and Personalize Local. A module fixture runs the sequence once; each test
checks what one handler did."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from anime_recommender.contracts.filters import FILTER_EXPRESSIONS
from anime_recommender.pipeline.config import load_config
from personalize_local import local_personalize
from sam_app.handlers import LambdaContext, load_handler
from testing.personalize_setup import infer_schema, small_dataset
from testing.polling import wait_until

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
BUCKET = "pipeline-data"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PROJECT_NAME": "anime-recs",
    "POWERTOOLS_SERVICE_NAME": "anime-recs",
    "POWERTOOLS_METRICS_NAMESPACE": "AnimeRecommenderTests",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "PERSONALIZE_ROLE_ARN": "arn:aws:iam::123456789012:role/personalize",
}


def handler(name: str) -> Callable[[dict[str, Any]], Any]:
    """The real handler of ``functions/<name>/app.py``, called with a local Lambda context."""
    function = load_handler(FUNCTIONS / name, "app.lambda_handler", name=f"test_pipeline_fn_{name}")
    context = LambdaContext.for_function(name, memory_mb=256, timeout_s=60)
    return lambda event: function(event, context)


def poll(call: Callable[[], dict[str, Any]], timeout: float = 90.0) -> list[dict[str, Any]]:
    """Call a converge handler until it reports complete (what the Wait + Choice loop does); every result."""
    results = []

    def complete() -> bool:
        results.append(call())
        return bool(results[-1]["complete"])

    wait_until(complete, timeout=timeout, interval=0.02, max_interval=0.02, message=lambda: str(results[-1]))
    return results


def step(state: dict[str, Any], section: str, call: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """One Task state: call the handler with the whole state, store its result at ``$.<section>`` (ResultPath)."""
    state[section] = call(state)
    return state[section]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The pipeline's handler sequence on a small dataset; yields the states and the clients' view."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENV.items():
            patch.setenv(name, value)
        with mock_aws(), local_personalize(data_dir=tmp_path_factory.mktemp("personalize")) as personalize:
            s3, sns, sqs = boto3.client("s3"), boto3.client("sns"), boto3.client("sqs")
            s3.create_bucket(Bucket=BUCKET)
            topic = sns.create_topic(Name="notifications")["TopicArn"]
            inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
            inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
            patch.setenv("TOPIC_ARN", topic)

            data = small_dataset()
            s3.put_object(Bucket=BUCKET, Key="prepared/d1/interactions.csv", Body=data.interactions_csv.encode())
            s3.put_object(Bucket=BUCKET, Key="prepared/d1/items.csv", Body=data.items_csv.encode())
            # UP vs popularity on this synthetic data is not the point here (the end-to-end test covers the gate)
            config = load_config(
                {
                    "filters": ["base", "genre"],
                    "campaign": {"explorationWeight": 0.1},
                    "promotion": {"requireBeatBaseline": False},
                }
            )
            state: dict[str, Any] = {
                "drop": {
                    "bucket": BUCKET,
                    "dropPrefix": "incoming/d1/",
                    "folder": "d1",
                    "dropId": "d1-0123abcd",
                    "contentHash": "0123abcd" * 8,
                    "uploadedAt": "2026-01-01T00:00:00.000000Z",
                    "files": {"anime.csv": {"etag": "e1", "size": 1}, "rating_complete.csv": {"etag": "e2", "size": 1}},
                    "executionArn": "arn:aws:states:us-east-1:123456789012:execution:anime-recs-retrain:e1",
                },
                "config": config.model_dump(mode="json"),
                "prepared": {
                    "bucket": BUCKET,
                    "outputPrefix": "prepared/d1/",
                    "interactionsUri": f"s3://{BUCKET}/prepared/d1/interactions.csv",
                    "itemsUri": f"s3://{BUCKET}/prepared/d1/items.csv",
                    "catalogUri": f"s3://{BUCKET}/prepared/d1/catalog.json",
                    "reportUri": f"s3://{BUCKET}/prepared/d1/report.json",
                    "schemas": {
                        "interactions": infer_schema(data.interactions_csv, "Interactions"),
                        "items": infer_schema(data.items_csv, "Items"),
                    },
                    "eventTypes": ["RATING"],
                    "counts": {"interactions": 1280, "users": 80, "items": 40, "rejectedRows": 0},
                },
            }
            polls: dict[str, list[dict[str, Any]]] = {}
            polls["datasets"] = poll(lambda: step(state, "datasets", handler("ensure_datasets")))
            polls["imports"] = poll(lambda: step(state, "imports", handler("import_data")))
            train = handler("train_solutions")
            state["training"] = []
            for recipe in state["config"]["recipes"]:
                item = {
                    "recipe": recipe,
                    "datasetGroupArn": state["datasets"]["datasetGroupArn"],
                    "contentHash": state["drop"]["contentHash"],
                    "polling": state["config"]["polling"]["training"],
                }

                def train_once(item: dict[str, Any] = item) -> dict[str, Any]:
                    item["training"] = train(item)  # the Map iteration keeps its section between polls
                    return item["training"]

                polls[f"training:{recipe['key']}"] = poll(train_once)
                state["training"].append(item["training"])
            state["evaluation"] = handler("evaluate_metrics")(state)
            polls["deployment"] = poll(lambda: step(state, "deployment", handler("deploy_campaigns")))
            state["notification"] = handler("notify")(
                {"outcome": "SUCCEEDED", "state": state, "executionArn": state["drop"]["executionArn"]}
            )
            messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
            yield {
                "state": state,
                "polls": polls,
                "messages": [json.loads(m["Body"]) for m in messages],
                "environment": {**ENV, "TOPIC_ARN": topic, **personalize.environment},
            }


@pytest.fixture(autouse=True)
def _pipeline_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point each test's clients at the module's Personalize Local (conftest clears endpoint variables per test)."""
    if "run" in request.fixturenames:
        for name, value in request.getfixturevalue("run")["environment"].items():
            monkeypatch.setenv(name, value)


def test_ensure_datasets_creates_the_group_then_the_datasets_and_reuses_them(run: dict[str, Any]) -> None:
    datasets = run["state"]["datasets"]
    assert datasets["datasetGroupArn"].endswith(":dataset-group/anime-recs")
    assert set(datasets["datasets"]) == {"interactions", "items"}
    assert [p["attempt"] for p in run["polls"]["datasets"]] == list(range(1, len(run["polls"]["datasets"]) + 1))
    again = handler("ensure_datasets")(run["state"])  # a re-run finds everything: no second group
    assert again["complete"] and again["datasets"] == datasets["datasets"]
    assert len(boto3.client("personalize").list_dataset_groups()["datasetGroups"]) == 1


def test_import_data_starts_one_job_per_dataset_and_polls_it(run: dict[str, Any]) -> None:
    jobs = run["state"]["imports"]["jobs"]
    assert set(jobs) == {"interactions", "items"}
    client = boto3.client("personalize")
    for arn in jobs.values():
        assert client.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]["status"] == "ACTIVE"
    again = handler("import_data")(run["state"])
    assert again["jobs"] == jobs
    listed = client.list_dataset_import_jobs(datasetArn=run["state"]["datasets"]["datasets"]["items"])
    assert len(listed["datasetImportJobs"]) == 1


def test_train_solutions_trains_once_without_automatic_training(run: dict[str, Any]) -> None:
    client = boto3.client("personalize")
    for trained in run["state"]["training"]:
        solution = client.describe_solution(solutionArn=trained["solutionArn"])["solution"]
        assert solution["performAutoTraining"] is False
        assert solution["name"] == f"anime-recs-{trained['recipe']}"
        versions = client.list_solution_versions(solutionArn=trained["solutionArn"])["solutionVersions"]
        assert [v["solutionVersionArn"] for v in versions] == [trained["solutionVersionArn"]]
        assert versions[0]["status"] == "ACTIVE"


def test_train_solutions_reuses_this_drops_version_when_the_same_content_runs_again(run: dict[str, Any]) -> None:
    trained = run["state"]["training"][0]
    item = {
        "recipe": run["state"]["config"]["recipes"][0],
        "datasetGroupArn": run["state"]["datasets"]["datasetGroupArn"],
        "contentHash": run["state"]["drop"]["contentHash"],
        "polling": run["state"]["config"]["polling"]["training"],
    }  # no "training" section: a new execution for the same content (e.g. a retry after another recipe failed)
    again = handler("train_solutions")(item)
    assert again["complete"] and again["solutionVersionArn"] == trained["solutionVersionArn"]
    versions = boto3.client("personalize").list_solution_versions(solutionArn=trained["solutionArn"])
    assert len(versions["solutionVersions"]) == 1


def test_evaluate_metrics_decides_writes_the_report_and_emits_emf(
    run: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    evaluation = run["state"]["evaluation"]
    assert sorted(evaluation["promoted"]) == ["personalized-ranking", "sims", "user-personalization"]
    bucket, key = evaluation["reportUri"].removeprefix("s3://").split("/", 1)
    assert key == "reports/d1-0123abcd/metrics.json"
    report = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert report["decisions"]["user-personalization"]["promote"] is True
    assert set(report["metrics"]["sims"]) >= {"coverage", "normalized_discounted_cumulative_gain_at_10"}

    capsys.readouterr()
    again = handler("evaluate_metrics")(run["state"])  # the campaigns now serve exactly these versions
    assert again["decisions"]["sims"]["reason"] == "already live: the campaign serves this very solution version"
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    per_recipe = {doc["Recipe"]: doc for doc in documents if "Recipe" in doc}
    assert set(per_recipe) == {"popularity-count", "user-personalization", "sims", "personalized-ranking"}
    sims = per_recipe["sims"]
    assert sims["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "AnimeRecommenderTests"
    assert sims["normalized_discounted_cumulative_gain_at_10"] == [
        run["state"]["evaluation"]["metrics"]["sims"]["normalized_discounted_cumulative_gain_at_10"]
    ]
    assert any(doc.get("RecipesPromoted") == [3.0] for doc in documents)


def test_deploy_campaigns_serves_the_promoted_versions_and_publishes_to_ssm(run: dict[str, Any]) -> None:
    deployment, client = run["state"]["deployment"], boto3.client("personalize")
    trained = {t["recipe"]: t for t in run["state"]["training"]}
    for recipe, arn in deployment["campaigns"].items():
        campaign = client.describe_campaign(campaignArn=arn)["campaign"]
        assert campaign["status"] == "ACTIVE"
        assert campaign["solutionVersionArn"] == trained[recipe]["solutionVersionArn"]
    up = client.describe_campaign(campaignArn=deployment["campaigns"]["user-personalization"])["campaign"]
    assert up["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.1"
    for key, arn in deployment["filters"].items():
        assert client.describe_filter(filterArn=arn)["filter"]["filterExpression"] == FILTER_EXPRESSIONS[key]

    published = deployment["published"]
    ssm = {
        p["Name"]: p["Value"]
        for p in boto3.client("ssm").get_parameters_by_path(Path="/anime-recs/", Recursive=True)["Parameters"]
    }
    assert ssm == published
    assert ssm["/anime-recs/campaigns/sims"] == deployment["campaigns"]["sims"]
    assert json.loads(ssm["/anime-recs/filters"]) == deployment["filters"]
    assert json.loads(ssm["/anime-recs/event-types"]) == ["RATING"]
    assert ssm["/anime-recs/catalog"] == f"s3://{BUCKET}/prepared/d1/catalog.json"
    assert ssm["/anime-recs/tracking-id"] == deployment["trackingId"]
    assert ssm["/anime-recs/datasets/items"] == run["state"]["datasets"]["datasets"]["items"]


def test_deploy_campaigns_updates_an_existing_campaign_to_a_newer_version(run: dict[str, Any]) -> None:
    client, state = boto3.client("personalize"), run["state"]
    sims = next(t for t in state["training"] if t["recipe"] == "sims")
    newer = client.create_solution_version(solutionArn=sims["solutionArn"])["solutionVersionArn"]
    poll(
        lambda: {
            "complete": client.describe_solution_version(solutionVersionArn=newer)["solutionVersion"]["status"]
            == "ACTIVE"
        }
    )
    training = [{**t, "solutionVersionArn": newer} if t["recipe"] == "sims" else t for t in state["training"]]
    updated = {**state, "training": training, "evaluation": {**state["evaluation"], "promoted": ["sims"]}}
    results = poll(lambda: handler("deploy_campaigns")(updated))
    campaign = client.describe_campaign(campaignArn=results[-1]["campaigns"]["sims"])["campaign"]
    assert campaign["solutionVersionArn"] == newer
    assert campaign["latestCampaignUpdate"]["status"] == "ACTIVE"
    assert set(results[-1]["campaigns"]) == {"sims"}  # the other campaigns were not touched


def test_notify_publishes_the_metrics_table_decisions_and_link(run: dict[str, Any]) -> None:
    [message] = run["messages"]
    assert message["Subject"] == "Anime recommender retrained (d1-0123abcd): 3 of 3 models promoted"
    body = message["Message"]
    assert "recipe                coverage  MRR@25  NDCG@5  NDCG@10" in body
    assert "user-personalization: PROMOTED - promote: no live campaign" in body
    # Personalize Local is this stack's Personalize: no AWS console to link to, the local console instead
    arn = run["state"]["drop"]["executionArn"]
    assert f"Execution: {arn} (local stack: `make console` lists the executions)" in body
    assert "console.aws.amazon.com" not in body
    assert run["state"]["notification"]["summary"] == message["Subject"]


def test_notify_on_failure_names_the_step_and_personalizes_reason() -> None:
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="t")["TopicArn"]
        inbox = sqs.create_queue(QueueName="q")["QueueUrl"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
        )
        cause = json.dumps(
            {
                "errorMessage": "importing the prepared data failed: import job x: CREATE FAILED (Bad header)",
                "errorType": "ResourceFailedError",
                "stackTrace": [],
            }
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TOPIC_ARN", topic)
            result = handler("notify")(
                {
                    "outcome": "FAILED",
                    "executionArn": "arn:aws:states:eu-west-1:1:execution:m:e",
                    "state": {
                        "failure": {"step": "Import data", "error": "ResourceFailedError", "cause": cause},
                        "drop": {"bucket": "b", "dropPrefix": "incoming/d/", "dropId": "d-1"},
                    },
                }
            )
        body = json.loads(sqs.receive_message(QueueUrl=inbox)["Messages"][0]["Body"])
    reason = "importing the prepared data failed: import job x: CREATE FAILED (Bad header)"
    assert result["summary"] == f"Import data failed: ResourceFailedError: {reason}"
    assert body["Subject"] == "Anime recommender retraining FAILED at Import data (d-1)"
    assert "Reason: importing the prepared data failed: import job x: CREATE FAILED (Bad header)" in body["Message"]
    link = "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/"
    assert f"Execution: {link}arn:aws:states:eu-west-1:1:execution:m:e" in body["Message"]  # on AWS


def test_cleanup_deletes_everything_in_dependency_order_and_tolerates_repeats(
    run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cleanup = handler("cleanup")
    client = boto3.client("personalize")
    assert cleanup({"stage": "campaigns"})["waitSeconds"] == 30  # the production wait between two polls
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "1")  # a local stack (template parameter PollIntervalSeconds)
    for stage in ("campaigns", "event-tracker", "filters", "solutions", "datasets", "schemas", "dataset-group"):
        results = poll(lambda stage=stage: cleanup({"stage": stage}))
        assert results[-1]["remaining"] == 0 and results[-1]["waitSeconds"] == 1
        assert cleanup({"stage": stage})["complete"] is True  # repeating a finished stage is harmless
    assert client.list_dataset_groups()["datasetGroups"] == []
    assert [s for s in client.list_schemas()["schemas"] if s["name"].startswith("anime-recs-")] == []
    with pytest.raises(ValueError, match="unknown cleanup stage 'everything'"):
        cleanup({"stage": "everything"})
