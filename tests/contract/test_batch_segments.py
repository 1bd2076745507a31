"""Contract: batch segment jobs through plain boto3 — Item-Affinity JSON Lines from moto S3 in, ``<input>.out`` out,
each line parsed as a boto3 user would parse AWS's output
(https://docs.aws.amazon.com/personalize/latest/dg/batch-segment-job-output-examples.html)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import boto3
import pytest

from personalize_local.models import batch_runs, batch_segments
from testing.personalize_setup import DeployedRecommender, SmallDataset, wait_active
from tests.contract.batch_helpers import finished, jsonl, output_lines
from tests.contract.conftest import ENDPOINT_VARIABLES, Stack, Wire, deploy_on
from tests.contract.helpers import ROLE, poll_statuses, raises_code


@pytest.fixture(scope="module")
def deployed(stack: Stack, small: SmallDataset) -> DeployedRecommender:
    """The small two-taste dataset with a SIMS campaign, plus solution versions of both segmentation recipes."""
    deployed = deploy_on(stack, small.interactions_csv, small.items_csv, ("aws-sims",))
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.setenv(name, stack.pl.endpoint_url)
        personalize = boto3.client("personalize")
        for recipe in ("aws-item-affinity", "aws-item-attribute-affinity"):
            solution = personalize.create_solution(
                name=f"{recipe}-{uuid.uuid4().hex[:6]}",
                datasetGroupArn=deployed.dataset_group_arn,
                recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
            )["solutionArn"]
            wait_active(lambda s=solution: personalize.describe_solution(solutionArn=s)["solution"], solution)
            version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
            wait_active(
                lambda v=version: personalize.describe_solution_version(solutionVersionArn=v)["solutionVersion"],
                version,
            )
            deployed.solution_version_arns[recipe] = version
    return deployed


def _create(wire: Wire, stack: Stack, version: str, lines: str, **extra: Any) -> tuple[str, str]:
    """Upload ``lines`` and create a job over them; (its ARN, the output prefix)."""
    name = f"segments-{uuid.uuid4().hex[:8]}"
    source = stack.put(f"segments/{name}/input/items.json", lines)
    arn = wire.personalize.create_batch_segment_job(
        jobName=name,
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/segments/{name}/output/"}},
        roleArn=ROLE,
        **extra,
    )["batchSegmentJobArn"]
    return arn, f"segments/{name}/output/"


def _run(wire: Wire, stack: Stack, version: str, lines: str, **extra: Any) -> tuple[dict, str]:
    """Create a job, wait for it to finish; (its description, the output prefix)."""
    arn, prefix = _create(wire, stack, version, lines, **extra)
    return finished(
        lambda: wire.personalize.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"]
    ), prefix


def _output(stack: Stack, prefix: str) -> list[dict]:
    """``items.json.out`` under the output folder, parsed line by line."""
    return output_lines(stack, prefix, "items.json")


def test_item_affinity_segments_come_from_the_taste_group(
    wire: Wire, stack: Stack, deployed: DeployedRecommender, small: SmallDataset
) -> None:
    version = deployed.solution_version_arns["aws-item-affinity"]
    items = ["i000", "i001", "i002", "i003"]  # Action, Drama, Action, Drama
    inputs: list[Any] = [{"itemId": i} for i in items]
    inputs.insert(1, "not json")
    inputs.insert(3, {"itemId": "never-seen"})
    inputs.insert(4, {"userId": "u000"})  # no itemId
    job, prefix = _run(wire, stack, version, jsonl(inputs), numResults=20)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert job["numResults"] == 20 and job["solutionVersionArn"] == version and "filterArn" not in job
    lines = _output(stack, prefix)
    assert len(lines) == len(inputs)  # one output line per input line, in order
    for record, line in zip(inputs, lines, strict=True):
        assert set(line) == {"input", "output", "error"}
        if isinstance(record, dict) and record.get("itemId") in items:
            assert line["input"] == record and line["error"] is None
            users = line["output"]["recommendedUsers"]
            assert set(line["output"]) == {"recommendedUsers"}
            assert len(users) == len(set(users)) == 20 and set(users) <= set(small.taste_of)
            tastes = Counter(small.taste_of[u] for u in users)
            assert tastes[small.genre_of[record["itemId"]]] >= 16, tastes  # at least 80% from the item's taste group
        else:
            assert line["output"] is None and line["error"]
    assert "line 2" in lines[1]["error"] and lines[1]["input"] == "not json"
    assert "never-seen" in lines[3]["error"] and "itemId" in lines[4]["error"]


def test_item_attribute_affinity_segments_and_its_output_format(
    wire: Wire, stack: Stack, deployed: DeployedRecommender, small: SmallDataset
) -> None:
    version = deployed.solution_version_arns["aws-item-attribute-affinity"]
    inputs: list[Any] = [
        {"itemAttributes": 'ITEMS.genres = "Action"'},
        {"itemAttributes": 'ITEMS.GENRES = "Drama"'},
        {"itemAttributes": 'ITEMS.genres = "Action" AND ITEMS.genres = "Drama"'},  # no item is both
        {"itemAttributes": 'ITEMS.genres = "Action" OR ITEMS.genres = "Drama"'},  # OR is not supported
        {"itemAttributes": 'ITEMS.mood = "Happy"'},  # no such field
    ]
    job, prefix = _run(wire, stack, version, jsonl(inputs), numResults=20)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    lines = _output(stack, prefix)
    assert [line["itemAttributes"] for line in lines] == [r["itemAttributes"] for r in inputs]
    for line, genre in zip(lines[:2], ("Action", "Drama"), strict=True):
        assert set(line) == {"itemAttributes", "output", "error"} and line["error"] is None
        users = line["output"]["recommendedUsers"]
        assert len(users) == len(set(users)) == 20
        tastes = Counter(small.taste_of[u] for u in users)
        assert tastes[genre] >= 16, tastes
    assert all(line["output"] is None and line["error"] for line in lines[2:])
    assert "line 3" in lines[2]["error"] and "AND" in lines[3]["error"] and "MOOD" in lines[4]["error"]
    too_many = jsonl([{"itemAttributes": 'ITEMS.genres = "Action"'}] * 11)
    job, _ = _run(wire, stack, version, too_many)
    assert job["status"] == "CREATE FAILED" and "line 11" in job["failureReason"]


def test_default_num_results_and_list_and_describe(wire: Wire, stack: Stack, deployed: DeployedRecommender) -> None:
    version = deployed.solution_version_arns["aws-item-affinity"]
    job, prefix = _run(wire, stack, version, jsonl([{"itemId": "i004"}]))
    assert job["status"] == "ACTIVE" and "numResults" not in job
    (line,) = _output(stack, prefix)
    assert len(line["output"]["recommendedUsers"]) == 25  # batch inference's default; AWS documents none
    listed = wire.personalize.list_batch_segment_jobs(solutionVersionArn=version)["batchSegmentJobs"]
    assert job["batchSegmentJobArn"] in [j["batchSegmentJobArn"] for j in listed]
    other = deployed.solution_version_arns["aws-sims"]
    assert wire.personalize.list_batch_segment_jobs(solutionVersionArn=other)["batchSegmentJobs"] == []
    page = wire.personalize.list_batch_segment_jobs(maxResults=1)
    assert len(page["batchSegmentJobs"]) == 1 and page.get("nextToken")


def test_bad_input_file_fails_the_job_naming_file_and_line(
    wire: Wire, stack: Stack, deployed: DeployedRecommender
) -> None:
    version = deployed.solution_version_arns["aws-item-affinity"]
    job, prefix = _run(wire, stack, version, "not json\nstill not json\n")
    assert job["status"] == "CREATE FAILED"
    assert "items.json" in job["failureReason"] and "line 1" in job["failureReason"]
    too_many = jsonl([{"itemId": f"i{n % 40:03d}"} for n in range(batch_segments.MAX_LINES["aws-item-affinity"] + 1)])
    job, prefix = _run(wire, stack, version, too_many)
    assert job["status"] == "CREATE FAILED" and "line 501" in job["failureReason"]
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix).get("KeyCount", 0) == 0  # nothing half-written


def test_requests_aws_refuses(
    wire: Wire, stack: Stack, deployed: DeployedRecommender, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = deployed.solution_version_arns["aws-item-affinity"]
    source = stack.put("segments/refused/items.json", jsonl([{"itemId": "i000"}]))
    common = {
        "jobInput": {"s3DataSource": {"path": source}},
        "jobOutput": {"s3DataDestination": {"path": f"s3://{stack.bucket}/segments/refused/out/"}},
        "roleArn": ROLE,
    }
    create = wire.personalize.create_batch_segment_job
    raises_code("InvalidInputException", create, jobName="sims", solutionVersionArn=deployed.solution_version_arns[
        "aws-sims"], **common)  # fmt: skip
    raises_code("InvalidInputException", create, jobName="zero", solutionVersionArn=version, numResults=0, **common)
    bad_path = {**common, "jobInput": {"s3DataSource": {"path": "not-an-s3-path"}}}
    raises_code("InvalidInputException", create, jobName="path", solutionVersionArn=version, **bad_path)
    missing = version.rsplit("/", 1)[0] + "/no-such-version"
    raises_code("ResourceNotFoundException", create, jobName="gone", solutionVersionArn=missing, **common)
    arn, _ = _create(wire, stack, version, jsonl([{"itemId": "i000"}]))
    name = arn.rsplit("/", 1)[1]
    raises_code("ResourceAlreadyExistsException", create, jobName=name, solutionVersionArn=version, **common)
    raises_code(
        "ResourceNotFoundException",
        wire.personalize.describe_batch_segment_job,
        batchSegmentJobArn=arn.rsplit("/", 1)[0] + "/nothing",
    )
    poll_statuses(lambda: wire.personalize.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"])
    monkeypatch.setattr(batch_runs, "MAX_RUNNING_JOBS", 0)
    error = raises_code("LimitExceededException", create, jobName="limit", solutionVersionArn=version, **common)
    assert "batch segment jobs" in str(error)


def test_segmentation_versions_cannot_be_deployed_or_batch_inferred(
    wire: Wire, stack: Stack, deployed: DeployedRecommender
) -> None:
    version = deployed.solution_version_arns["aws-item-affinity"]
    raises_code("InvalidInputException", wire.personalize.create_campaign, name="segments", solutionVersionArn=version)
    source = stack.put("segments/inference/items.json", jsonl([{"itemId": "i000"}]))
    raises_code(
        "InvalidInputException",
        wire.personalize.create_batch_inference_job,
        jobName="segments-as-inference",
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": f"s3://{stack.bucket}/segments/inference/out/"}},
        roleArn=ROLE,
    )
    metrics = wire.personalize.get_solution_metrics(solutionVersionArn=version)
    assert metrics["solutionVersionArn"] == version and metrics.get("metrics", {}) == {}
