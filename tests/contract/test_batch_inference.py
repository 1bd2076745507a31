"""Contract: batch inference jobs through plain boto3 — JSON Lines from moto S3 in, ``<input>.out`` JSON Lines out,
each line parsed as a boto3 user would parse AWS's output
(https://docs.aws.amazon.com/personalize/latest/dg/batch-inference-job-output-examples.html)."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from personalize_local.models import batch_files, batch_runs
from testing.personalize_setup import DeployedRecommender, SmallDataset
from tests.contract.batch_helpers import finished, jsonl, output_lines
from tests.contract.conftest import Stack, Wire, deploy_on
from tests.contract.helpers import ROLE, poll_statuses, raises_code

RECIPES = ("aws-user-personalization", "aws-sims", "aws-personalized-ranking", "aws-popularity-count")
FILTERS = {"genre": "INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)"}
NO_EXPLORATION = {"itemExplorationConfig": {"explorationWeight": "0", "explorationItemAgeCutOff": "30"}}


@pytest.fixture(scope="module")
def deployed(stack: Stack, small: SmallDataset) -> DeployedRecommender:
    """The recipes trained and deployed once per module (campaigns give the real-time answers to compare with)."""
    configs = {"aws-user-personalization": NO_EXPLORATION}
    return deploy_on(stack, small.interactions_csv, small.items_csv, RECIPES, FILTERS, campaign_configs=configs)


def _run(wire: Wire, stack: Stack, version: str, lines: str, **extra: Any) -> tuple[dict, str]:
    """Upload ``lines``, run a job over them, wait; (its description, the output prefix)."""
    name = f"batch-{uuid.uuid4().hex[:8]}"
    source = stack.put(f"batch/{name}/input/users.json", lines)
    out = f"s3://{stack.bucket}/batch/{name}/output/"
    arn = wire.personalize.create_batch_inference_job(
        jobName=name,
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": out}},
        roleArn=ROLE,
        **extra,
    )["batchInferenceJobArn"]
    job = finished(lambda: wire.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])
    return job, f"batch/{name}/output/"


def _output(stack: Stack, prefix: str) -> list[dict]:
    """The output file a boto3 user downloads: ``users.json.out`` under the output folder, parsed line by line."""
    return output_lines(stack, prefix, "users.json")


def test_user_personalization_output_line_by_line(wire: Wire, stack: Stack, deployed: DeployedRecommender) -> None:
    version = deployed.solution_version_arns["aws-user-personalization"]
    users = ["u000", "u001", "u002", "u003", "u004"]
    inputs: list[Any] = [{"userId": u} for u in users]
    inputs.insert(2, "this is not json")
    inputs.insert(4, {"itemId": "i001"})  # no userId
    job, prefix = _run(wire, stack, version, jsonl(inputs), numResults=7, batchInferenceJobConfig=NO_EXPLORATION)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert job["numResults"] == 7 and job["batchInferenceJobMode"] == "BATCH_INFERENCE"
    lines = _output(stack, prefix)
    assert len(lines) == len(inputs)  # one output line per input line, in order
    for record, line in zip(inputs, lines, strict=True):
        assert set(line) == {"input", "output", "error"}
        if isinstance(record, dict) and "userId" in record:
            assert line["input"] == record and line["error"] is None
            output = line["output"]
            assert set(output) == {"recommendedItems", "scores"}
            live = wire.runtime.get_recommendations(
                campaignArn=deployed.campaign_arns["aws-user-personalization"], userId=record["userId"], numResults=7
            )["itemList"]
            assert output["recommendedItems"] == [i["itemId"] for i in live]
            assert output["scores"] == pytest.approx([i["score"] for i in live])
            assert output["scores"] == sorted(output["scores"], reverse=True)
        else:
            assert line["output"] is None and isinstance(line["error"], str) and line["error"]
    assert lines[2]["input"] == "this is not json" and "line 3" in lines[2]["error"]
    assert "userId" in lines[4]["error"] and lines[4]["input"] == {"itemId": "i001"}


def test_filter_values_per_line_and_missing_ones_are_line_errors(
    wire: Wire, stack: Stack, deployed: DeployedRecommender, small: SmallDataset
) -> None:
    version = deployed.solution_version_arns["aws-user-personalization"]
    inputs = [
        {"userId": "u000", "filterValues": {"GENRES": '"Drama"'}},
        {"userId": "u001", "filterValues": {"GENRES": '"Action"'}},
        {"userId": "u002"},  # INCLUDE placeholders must all be given
    ]
    job, prefix = _run(wire, stack, version, jsonl(inputs), filterArn=deployed.filter_arns["genre"])
    assert job["status"] == "ACTIVE" and job["filterArn"] == deployed.filter_arns["genre"]
    lines = _output(stack, prefix)
    assert lines[0]["output"]["recommendedItems"] and {small.genre_of[i] for i in
                                                       lines[0]["output"]["recommendedItems"]} == {"Drama"}  # fmt: skip
    assert {small.genre_of[i] for i in lines[1]["output"]["recommendedItems"]} == {"Action"}
    assert lines[2]["output"] is None and "GENRES" in lines[2]["error"]


def test_related_items_and_personalized_ranking(wire: Wire, stack: Stack, deployed: DeployedRecommender) -> None:
    sims = deployed.solution_version_arns["aws-sims"]
    job, prefix = _run(wire, stack, sims, jsonl([{"itemId": "i000"}, {"itemId": "i003"}]), numResults=5)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    for line in _output(stack, prefix):
        live = wire.runtime.get_recommendations(
            campaignArn=deployed.campaign_arns["aws-sims"], itemId=line["input"]["itemId"], numResults=5
        )["itemList"]
        assert line["output"] == {"recommendedItems": [i["itemId"] for i in live]}  # SIMS has no scores

    ranking = deployed.solution_version_arns["aws-personalized-ranking"]
    inputs = [{"userId": "u000", "itemList": ["i001", "i000", "i002", "unknown-item"]}]
    job, prefix = _run(wire, stack, ranking, jsonl(inputs))
    assert job["status"] == "ACTIVE", job.get("failureReason")
    (line,) = _output(stack, prefix)
    live = wire.runtime.get_personalized_ranking(
        campaignArn=deployed.campaign_arns["aws-personalized-ranking"], userId="u000", inputList=inputs[0]["itemList"]
    )["personalizedRanking"]
    assert line["output"]["recommendedItems"] == [i["itemId"] for i in live]
    assert sorted(line["output"]["recommendedItems"]) == sorted(inputs[0]["itemList"])
    assert line["output"]["scores"] == pytest.approx([i.get("score") for i in live])
    assert line["output"]["recommendedItems"][-1] == "unknown-item"  # an item the model never saw comes last


def test_popularity_count_has_no_scores(wire: Wire, stack: Stack, deployed: DeployedRecommender) -> None:
    version = deployed.solution_version_arns["aws-popularity-count"]
    job, prefix = _run(wire, stack, version, jsonl([{"userId": "u000"}, {"userId": "someone-new"}]), numResults=3)
    assert job["status"] == "ACTIVE"
    first, second = _output(stack, prefix)
    assert set(first["output"]) == {"recommendedItems"} and len(first["output"]["recommendedItems"]) == 3
    assert second["output"] == first["output"]  # the same most popular items for everyone


def test_bad_input_files_fail_the_job_naming_file_and_line(
    wire: Wire, stack: Stack, deployed: DeployedRecommender
) -> None:
    version = deployed.solution_version_arns["aws-user-personalization"]
    job, prefix = _run(wire, stack, version, "USER_ID\nu000\nu001\n")
    assert job["status"] == "CREATE FAILED"
    assert "users.json" in job["failureReason"] and "line 1" in job["failureReason"]
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=stack.bucket, Prefix=prefix)  # nothing written

    name = f"batch-{uuid.uuid4().hex[:8]}"
    missing = f"s3://{stack.bucket}/batch/{name}/no-such-file.json"
    arn = wire.personalize.create_batch_inference_job(
        jobName=name,
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": missing}},
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/batch/{name}/out/"}},
        roleArn=ROLE,
    )["batchInferenceJobArn"]
    poll_statuses(lambda: wire.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])
    failed = wire.personalize.list_batch_inference_jobs(solutionVersionArn=version)["batchInferenceJobs"]
    summary = next(j for j in failed if j["batchInferenceJobArn"] == arn)
    assert summary["status"] == "CREATE FAILED" and missing in summary["failureReason"]


def test_create_validates_and_list_paginates(wire: Wire, stack: Stack, deployed: DeployedRecommender) -> None:
    version = deployed.solution_version_arns["aws-user-personalization"]
    common = {
        "solutionVersionArn": version,
        "jobInput": {"s3DataSource": {"path": f"s3://{stack.bucket}/x.json"}},
        "jobOutput": {"s3DataDestination": {"path": f"s3://{stack.bucket}/out/"}},
        "roleArn": ROLE,
    }
    create = wire.personalize.create_batch_inference_job
    raises_code("InvalidInputException", create, jobName="b-mode", batchInferenceJobMode="THEME_GENERATION", **common)
    raises_code("InvalidInputException", create, jobName="b-num", numResults=501, **common)
    sims_common = {**common, "solutionVersionArn": deployed.solution_version_arns["aws-sims"]}
    raises_code("InvalidInputException", create, jobName="b-explore", batchInferenceJobConfig=NO_EXPLORATION,
                **sims_common)  # fmt: skip
    missing_version = version.replace("solution/", "solution/nope-")
    raises_code("ResourceNotFoundException", create, jobName="b-flt", filterArn=deployed.filter_arns["genre"] + "-gone",
                **common)  # fmt: skip
    raises_code("ResourceNotFoundException", create, jobName="b-nf", **{**common, "solutionVersionArn":
                                                                          missing_version})  # fmt: skip
    raises_code(
        "ResourceNotFoundException",
        wire.personalize.describe_batch_inference_job,
        batchInferenceJobArn=version.replace(":solution/", ":batch-inference-job/").split("/")[0] + "/nope",
    )

    stack.put("x.json", jsonl([{"userId": "u000"}]))
    names = [f"page-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    for name in names:
        create(jobName=name, **common)
    raises_code("ResourceAlreadyExistsException", create, jobName=names[0], **common)
    seen: list[str] = []
    token: str | None = None
    while True:
        page = wire.personalize.list_batch_inference_jobs(
            solutionVersionArn=version, maxResults=2, **({"nextToken": token} if token else {})
        )
        assert len(page["batchInferenceJobs"]) <= 2
        seen.extend(j["jobName"] for j in page["batchInferenceJobs"])
        token = page.get("nextToken")
        if not token:
            break
    assert set(names) <= set(seen) and len(seen) == len(set(seen))
    assert seen.index(names[2]) < seen.index(names[1]) < seen.index(names[0])  # newest first
    other = wire.personalize.list_batch_inference_jobs(solutionVersionArn=deployed.solution_version_arns["aws-sims"])
    assert not set(names) & {j["jobName"] for j in other["batchInferenceJobs"]}


def test_prefix_input_writes_one_out_file_per_input_file(
    wire: Wire, stack: Stack, deployed: DeployedRecommender
) -> None:
    version = deployed.solution_version_arns["aws-sims"]
    name = f"batch-{uuid.uuid4().hex[:8]}"
    stack.put(f"batch/{name}/in/a.json", jsonl([{"itemId": "i000"}]))
    stack.put(f"batch/{name}/in/b.jsonl", jsonl([{"itemId": "i001"}, {"itemId": "i002"}]))
    arn = wire.personalize.create_batch_inference_job(
        jobName=name,
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": f"s3://{stack.bucket}/batch/{name}/in/"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/batch/{name}/out"}},  # no trailing /
        roleArn=ROLE,
    )["batchInferenceJobArn"]
    seen = poll_statuses(lambda: wire.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)[
        "batchInferenceJob"])  # fmt: skip
    assert seen[-1] == "ACTIVE"
    s3 = boto3.client("s3")
    out = {
        o["Key"]: s3.get_object(Bucket=stack.bucket, Key=o["Key"])["Body"].read().decode().splitlines()
        for o in s3.list_objects_v2(Bucket=stack.bucket, Prefix=f"batch/{name}/out/")["Contents"]
    }
    assert {key: len(lines) for key, lines in out.items()} == {
        f"batch/{name}/out/a.json.out": 1,
        f"batch/{name}/out/b.jsonl.out": 2,
    }


def test_inputs_with_one_file_name_in_two_sub_folders_keep_both_outputs(
    wire: Wire, stack: Stack, deployed: DeployedRecommender
) -> None:
    version = deployed.solution_version_arns["aws-sims"]
    name = f"batch-{uuid.uuid4().hex[:8]}"
    stack.put(f"batch/{name}/in/monday/items.json", jsonl([{"itemId": "i000"}]))
    stack.put(f"batch/{name}/in/tuesday/items.json", jsonl([{"itemId": "i001"}, {"itemId": "i002"}]))
    arn = wire.personalize.create_batch_inference_job(
        jobName=name,
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": f"s3://{stack.bucket}/batch/{name}/in/"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/batch/{name}/out/"}},
        roleArn=ROLE,
    )["batchInferenceJobArn"]
    job = finished(lambda: wire.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])
    assert job["status"] == "ACTIVE"
    monday = output_lines(stack, f"batch/{name}/out/monday/", "items.json")
    tuesday = output_lines(stack, f"batch/{name}/out/tuesday/", "items.json")
    assert [line["input"]["itemId"] for line in monday] == ["i000"]
    assert [line["input"]["itemId"] for line in tuesday] == ["i001", "i002"]


def test_quotas_input_size_and_running_jobs(
    wire: Wire, stack: Stack, deployed: DeployedRecommender, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = deployed.solution_version_arns["aws-user-personalization"]
    monkeypatch.setattr(batch_files, "MAX_INPUT_BYTES", 20)
    job, _ = _run(wire, stack, version, jsonl([{"userId": "u000"}, {"userId": "u001"}]))
    assert job["status"] == "CREATE FAILED" and "users.json" in job["failureReason"]
    assert "too large" in job["failureReason"]

    monkeypatch.setattr(batch_runs, "MAX_RUNNING_JOBS", 0)
    raises_code(
        "LimitExceededException",
        wire.personalize.create_batch_inference_job,
        jobName=f"batch-{uuid.uuid4().hex[:8]}",
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": f"s3://{stack.bucket}/x.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/out/"}},
        roleArn=ROLE,
    )
