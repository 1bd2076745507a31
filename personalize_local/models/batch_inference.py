"""Batch inference jobs: CreateBatchInferenceJob, DescribeBatchInferenceJob, ListBatchInferenceJobs.

A job reads JSON Lines from S3, asks the solution version for every line exactly as GetRecommendations /
GetPersonalizedRanking would (the same models, filters and exploration), and writes one output line per input line,
in order, to ``<input file name>.out`` under the output path
(https://docs.aws.amazon.com/personalize/latest/dg/batch-inference-job-output-examples.html):
``{"input": {...}, "output": {"recommendedItems": [...], "scores": [...]}, "error": null}``. A bad line (not JSON,
no ``userId``, a missing filter value) gets ``"output": null`` and an ``"error"`` message and does not fail the job;
a file that cannot be read or is not JSON Lines at all fails the job (CREATE FAILED) with a ``failureReason`` naming
the file and line, and nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from personalize_local.exceptions import InvalidInputException
from personalize_local.models.batch_runs import (
    LineError,
    answer_files,
    check_capacity,
    check_paths,
    job_version,
    read_inputs,
    required_string,
    write_outputs,
)
from personalize_local.models.deployments import Deployments, event_filter, exploration_config
from personalize_local.models.domain import Page, Tracked, from_resource, to_body
from personalize_local.models.lifecycle import LABELS, Lifecycle
from personalize_local.models.serving import DEFAULT_NUM_RESULTS, MAX_NUM_RESULTS, Serving
from personalize_local.recipes import registry
from personalize_local.store import Resource

KIND = "batch-inference-job"
LABELS.setdefault(KIND, "batch inference job")  # so lookups name it and a restart resumes unfinished jobs

# Recipes without batch recommendations
# (https://docs.aws.amazon.com/personalize/latest/dg/batch-inference-job-output-examples.html).
NO_BATCH_RECIPES = ("aws-trending-now",)
BATCH_INFERENCE = "BATCH_INFERENCE"
THEME_GENERATION = "THEME_GENERATION"


@dataclass(kw_only=True)
class BatchInferenceJob(Tracked):
    """A batch inference job as DescribeBatchInferenceJob shows it."""

    job_name: str
    batch_inference_job_arn: str
    solution_version_arn: str
    job_input: dict[str, Any]
    job_output: dict[str, Any]
    role_arn: str
    num_results: int | None = None
    filter_arn: str | None = None
    batch_inference_job_config: dict[str, Any] | None = None
    batch_inference_job_mode: str = BATCH_INFERENCE
    theme_generation_config: dict[str, Any] | None = None


class BatchInferenceJobs:
    """CreateBatchInferenceJob, DescribeBatchInferenceJob, ListBatchInferenceJobs."""

    def __init__(self, lifecycle: Lifecycle, deployments: Deployments, serving: Serving) -> None:
        self.lifecycle = lifecycle
        self.deployments = deployments
        self.serving = serving
        lifecycle.register(KIND, create=self._run)

    def create_batch_inference_job(
        self,
        job_name: str,
        solution_version_arn: str,
        job_input: dict[str, Any],
        job_output: dict[str, Any],
        role_arn: str,
        filter_arn: str | None = None,
        num_results: int | None = None,
        batch_inference_job_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        batch_inference_job_mode: str | None = None,
        theme_generation_config: dict[str, Any] | None = None,
    ) -> BatchInferenceJob:
        """CreateBatchInferenceJob: checks the request now; the worker reads S3, infers and writes the output."""
        lc = self.lifecycle
        lc.check_name(job_name, "jobName")
        check_paths(job_input, job_output)
        if num_results is not None and not 1 <= num_results <= MAX_NUM_RESULTS:
            raise InvalidInputException(f"numResults must be between 1 and {MAX_NUM_RESULTS}, got {num_results}")
        mode = batch_inference_job_mode or BATCH_INFERENCE
        with lc.lock:
            version = lc.get_active("solution-version", solution_version_arn)
            recipe = registry.get_recipe(version.internal["recipe"])
            self._check_recipe(recipe.name, recipe.recipe_type, mode, batch_inference_job_config)
            if filter_arn:
                flt = lc.get_active("filter", filter_arn)
                if flt.parent != version.body["dataset_group_arn"]:
                    raise InvalidInputException(
                        f"Filter {filter_arn} belongs to another dataset group than {solution_version_arn}"
                    )
            lc.ensure_unique_name(KIND, job_name)
            check_capacity(lc, KIND)
            job = BatchInferenceJob(
                job_name=job_name,
                batch_inference_job_arn=lc.arn(f"{KIND}/{job_name}"),
                solution_version_arn=version.arn,
                job_input=job_input,
                job_output=job_output,
                role_arn=role_arn,
                num_results=num_results,
                filter_arn=filter_arn or None,
                batch_inference_job_config=batch_inference_job_config or None,
                batch_inference_job_mode=mode,
                theme_generation_config=theme_generation_config,
            )
            resource = Resource(KIND, job.batch_inference_job_arn, job_name, version.arn, to_body(job))
            resource = lc.create(resource, tags)
        return from_resource(BatchInferenceJob, resource)

    @staticmethod
    def _check_recipe(name: str, recipe_type: str, mode: str, config: dict[str, Any] | None) -> None:
        if name in NO_BATCH_RECIPES:
            raise InvalidInputException(f"You can't get batch recommendations with the {name} recipe")
        if recipe_type not in ("USER_PERSONALIZATION", "RELATED_ITEMS", "PERSONALIZED_RANKING"):
            raise InvalidInputException(
                f"Solution versions of {recipe_type} recipes ({name}) make user segments: use CreateBatchSegmentJob"
            )
        if mode == THEME_GENERATION:
            # Themes need a Similar-Items solution version and a generative model
            # (https://docs.aws.amazon.com/personalize/latest/dg/themed-batch-recommendations.html); Personalize
            # Local has no such model, so it refuses them as AWS refuses them for other recipes.
            raise InvalidInputException(
                f"batchInferenceJobMode THEME_GENERATION needs a solution version of the aws-similar-items recipe "
                f"with theme generation, which Personalize Local does not provide (this one is {name})"
            )
        config = config or {}
        if config.get("item_exploration_config"):
            if recipe_type != "USER_PERSONALIZATION" or name == "aws-popularity-count":
                raise InvalidInputException(f"itemExplorationConfig applies to User-Personalization, not {name}")
            exploration_config(config)
        if config.get("ranking_influence"):
            raise InvalidInputException("rankingInfluence is not supported by Personalize Local")

    def describe_batch_inference_job(self, batch_inference_job_arn: str) -> BatchInferenceJob:
        """DescribeBatchInferenceJob."""
        return from_resource(BatchInferenceJob, self.lifecycle.get(KIND, batch_inference_job_arn))

    def list_batch_inference_jobs(
        self, solution_version_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[BatchInferenceJob]:
        """ListBatchInferenceJobs (newest first), optionally of one solution version."""
        parent = ("solution-version", solution_version_arn)
        return self.lifecycle.list_page(KIND, BatchInferenceJob, next_token, max_results, parent)

    # ------------------------------------------------------------------ the job
    def _run(self, resource: Resource) -> None:
        job = from_resource(BatchInferenceJob, resource)
        version = job_version(self.lifecycle, job.solution_version_arn)
        files = read_inputs(job.job_input)
        deployment = self.deployments.build(
            version.arn,
            version.internal["recipe"],
            version.body["dataset_group_arn"],
            job.batch_inference_job_config or {},
            event_filter(version.body.get("event_type"), version.body.get("solution_config") or {}),
        )
        # Serving answers for the job's ARN as it does for a campaign's while the job runs.
        self.deployments.remember(job.batch_inference_job_arn, deployment)
        try:
            outputs = answer_files(files, lambda record: self._infer(job, deployment.recipe_type, record))
        finally:
            self.deployments.forget(job.batch_inference_job_arn)
        write_outputs(job.job_output, outputs)

    def _infer(self, job: BatchInferenceJob, recipe_type: str, record: dict[str, Any]) -> dict[str, Any]:
        """The ``output`` of one input record, by recipe type
        (https://docs.aws.amazon.com/personalize/latest/dg/batch-data-upload.html)."""
        filter_values = record.get("filterValues")
        if filter_values is not None and not (
            isinstance(filter_values, dict) and all(isinstance(v, str) for v in filter_values.values())
        ):
            raise LineError('filterValues must be an object of strings, e.g. {"GENRE": "\\"Comedy\\""}')
        common = {"filter_arn": job.filter_arn, "filter_values": filter_values}
        arn = job.batch_inference_job_arn
        if recipe_type == "PERSONALIZED_RANKING":
            user_id = required_string(record, "userId")
            item_list = record.get("itemList")
            if not isinstance(item_list, list) or not all(isinstance(i, str) and i for i in item_list):
                raise LineError("itemList must be a list of item ids (strings)")
            entries = self.serving.get_personalized_ranking(arn, item_list, user_id, **common).personalized_ranking
        else:
            n = job.num_results or DEFAULT_NUM_RESULTS
            if recipe_type == "RELATED_ITEMS":
                request = {"item_id": required_string(record, "itemId")}
            else:
                request = {"user_id": required_string(record, "userId")}
            entries = self.serving.get_recommendations(campaign_arn=arn, num_results=n, **request, **common).item_list
        output: dict[str, Any] = {"recommendedItems": [entry.item_id for entry in entries]}
        if any(entry.score is not None for entry in entries):
            output["scores"] = [entry.score for entry in entries]
        return output
