"""Batch segment jobs: CreateBatchSegmentJob, DescribeBatchSegmentJob, ListBatchSegmentJobs
(https://docs.aws.amazon.com/personalize/latest/dg/creating-batch-seg-job.html).

A job takes a solution version of a USER_SEGMENTATION recipe, reads JSON Lines from S3 and writes one line per
input line to ``<input file name>.out``, users sorted by how likely they are to interact with the item(s)
(https://docs.aws.amazon.com/personalize/latest/dg/batch-segment-job-output-examples.html):

- Item-Affinity: ``{"itemId": "105"}`` per line, at most 500 items
  (https://docs.aws.amazon.com/personalize/latest/dg/item-affinity-recipe.html); output
  ``{"input": {"itemId": "105"}, "output": {"recommendedUsers": [...]}, "error": null}``.
- Item-Attribute-Affinity: ``{"itemAttributes": "ITEMS.genres = \"Comedy\""}`` per line, at most 10 queries
  (https://docs.aws.amazon.com/personalize/latest/dg/item-attribute-affinity-recipe.html); output
  ``{"itemAttributes": "...", "output": {"recommendedUsers": [...]}, "error": null}`` (no ``input`` wrapper).

The S3 side and the per-line error handling are batch inference's
(:mod:`personalize_local.models.batch_runs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from personalize_local.exceptions import InvalidInputException
from personalize_local.models.batch_files import InputFile
from personalize_local.models.batch_runs import (
    LineError,
    answer_files,
    check_capacity,
    check_paths,
    echo_input,
    job_version,
    read_inputs,
    required_string,
    write_outputs,
)
from personalize_local.models.domain import Page, Tracked, from_resource, to_body
from personalize_local.models.lifecycle import LABELS, CreateFailed, Lifecycle
from personalize_local.models.model_cache import ModelCache
from personalize_local.models.serving import DEFAULT_NUM_RESULTS
from personalize_local.recipes import registry
from personalize_local.recipes.base import TrainedModel
from personalize_local.recipes.item_attribute_affinity import ItemAttributeAffinityModel
from personalize_local.store import Resource

KIND = "batch-segment-job"
LABELS.setdefault(KIND, "batch segment job")  # so lookups name it and a restart resumes unfinished jobs

#: "The maximum number of users per segment is 5 million" (CreateBatchSegmentJob's numResults,
#: https://docs.aws.amazon.com/personalize/latest/dg/API_CreateBatchSegmentJob.html). AWS documents no default;
#: Personalize Local uses batch inference's (25).
MAX_USERS_PER_SEGMENT = 5_000_000
#: Lines per job: "a maximum of 500 items" (Item-Affinity), "a maximum of 10 queries" (Item-Attribute-Affinity).
MAX_LINES = {"aws-item-affinity": 500, "aws-item-attribute-affinity": 10}


@dataclass(kw_only=True)
class BatchSegmentJob(Tracked):
    """A batch segment job as DescribeBatchSegmentJob shows it."""

    job_name: str
    batch_segment_job_arn: str
    solution_version_arn: str
    job_input: dict[str, Any]
    job_output: dict[str, Any]
    role_arn: str
    num_results: int | None = None
    filter_arn: str | None = None


class BatchSegmentJobs:
    """CreateBatchSegmentJob, DescribeBatchSegmentJob, ListBatchSegmentJobs."""

    def __init__(self, lifecycle: Lifecycle, models: ModelCache) -> None:
        self.lifecycle = lifecycle
        self.models = models
        lifecycle.register(KIND, create=self._run)

    def create_batch_segment_job(
        self,
        job_name: str,
        solution_version_arn: str,
        job_input: dict[str, Any],
        job_output: dict[str, Any],
        role_arn: str,
        filter_arn: str | None = None,
        num_results: int | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> BatchSegmentJob:
        """CreateBatchSegmentJob: checks the request now; the worker reads S3, segments and writes the output."""
        lc = self.lifecycle
        lc.check_name(job_name, "jobName")
        check_paths(job_input, job_output)
        if num_results is not None and not 1 <= num_results <= MAX_USERS_PER_SEGMENT:
            raise InvalidInputException(f"numResults must be between 1 and {MAX_USERS_PER_SEGMENT}, got {num_results}")
        if filter_arn:
            # Segment filters are UserID expressions (https://docs.aws.amazon.com/personalize/latest/dg/filter-batch.html),
            # which Personalize Local's filters do not support yet (CreateFilter accepts ItemID expressions only).
            raise InvalidInputException(
                "filterArn: user segment filters are UserID filter expressions, which Personalize Local lacks"
            )
        with lc.lock:
            version = lc.get_active("solution-version", solution_version_arn)
            recipe = registry.get_recipe(version.internal["recipe"])
            if recipe.recipe_type != "USER_SEGMENTATION":
                raise InvalidInputException(
                    f"Batch segment jobs need a solution version of a USER_SEGMENTATION recipe; {solution_version_arn} "
                    f"is {recipe.name} ({recipe.recipe_type}): use CreateBatchInferenceJob"
                )
            lc.ensure_unique_name(KIND, job_name)
            check_capacity(lc, KIND)
            job = BatchSegmentJob(
                job_name=job_name,
                batch_segment_job_arn=lc.arn(f"{KIND}/{job_name}"),
                solution_version_arn=version.arn,
                job_input=job_input,
                job_output=job_output,
                role_arn=role_arn,
                num_results=num_results,
            )
            resource = Resource(KIND, job.batch_segment_job_arn, job_name, version.arn, to_body(job))
            resource = lc.create(resource, tags)
        return from_resource(BatchSegmentJob, resource)

    def describe_batch_segment_job(self, batch_segment_job_arn: str) -> BatchSegmentJob:
        """DescribeBatchSegmentJob."""
        return from_resource(BatchSegmentJob, self.lifecycle.get(KIND, batch_segment_job_arn))

    def list_batch_segment_jobs(
        self, solution_version_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[BatchSegmentJob]:
        """ListBatchSegmentJobs (newest first), optionally of one solution version."""
        parent = ("solution-version", solution_version_arn)
        return self.lifecycle.list_page(KIND, BatchSegmentJob, next_token, max_results, parent)

    # ------------------------------------------------------------------ the job
    def _run(self, resource: Resource) -> None:
        job = from_resource(BatchSegmentJob, resource)
        version = job_version(self.lifecycle, job.solution_version_arn)
        recipe = version.internal["recipe"]
        files = read_inputs(job.job_input)
        _check_sizes(files, recipe)
        model = self.models.load(version.arn)
        n = job.num_results or DEFAULT_NUM_RESULTS
        if isinstance(model, ItemAttributeAffinityModel):
            outputs = answer_files(files, lambda record: _by_attributes(model, record, n), _echo_attributes)
        else:
            outputs = answer_files(files, lambda record: _by_item(model, record, n))
        write_outputs(job.job_output, outputs)


def _check_sizes(files: list[InputFile], recipe: str) -> None:
    """CreateFailed naming the file and line past the recipe's limit on input lines."""
    limit = MAX_LINES[recipe]
    seen = 0
    for f in files:
        for line in f.lines:
            seen += 1
            if seen > limit:
                raise CreateFailed(f"{f.uri}: line {line.number}: this recipe's batch segment jobs take {limit} lines")


def _users(model: TrainedModel, items: list[str], num_results: int) -> dict[str, Any]:
    try:
        users = model.segment(items, num_results)
    except KeyError as exc:
        raise LineError(exc.args[0]) from None
    return {"recommendedUsers": [user for user, _ in users]}


def _by_item(model: TrainedModel, record: dict[str, Any], num_results: int) -> dict[str, Any]:
    """The ``output`` of one Item-Affinity input record."""
    return _users(model, [required_string(record, "itemId")], num_results)


def _by_attributes(model: ItemAttributeAffinityModel, record: dict[str, Any], num_results: int) -> dict[str, Any]:
    """The ``output`` of one Item-Attribute-Affinity input record."""
    try:
        items = model.items_matching(required_string(record, "itemAttributes"))
    except KeyError as exc:
        raise LineError(exc.args[0]) from None
    except ValueError as exc:
        raise LineError(str(exc)) from None
    return _users(model, items, num_results)


def _echo_attributes(record: Any) -> dict[str, Any]:
    """Item-Attribute-Affinity output lines start with the query itself, not an ``input`` object."""
    if isinstance(record, dict) and "itemAttributes" in record:
        return {"itemAttributes": record["itemAttributes"]}
    return echo_input(record)
