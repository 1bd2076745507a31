"""What batch inference jobs and batch segment jobs share: checking the S3 paths of a request, and running a job
over its input files — read every file, answer each line (a bad line gets an ``error``, not a failed job), write
``<input file name>.out`` per input file
(https://docs.aws.amazon.com/personalize/latest/dg/recommendations-batch.html). A file that cannot be read or
written fails the job with a ``failureReason`` naming the file (and the line when one is at fault)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from personalize_local.exceptions import InvalidInputException, LimitExceededException, PersonalizeError
from personalize_local.models.batch_files import (
    BatchFileError,
    InputFile,
    InputLine,
    read_input_files,
    split_s3_path,
    write_output_files,
)
from personalize_local.models.lifecycle import CREATING, LABELS, CreateFailed, Lifecycle
from personalize_local.store import Resource

#: "Total number of pending or in progress batch inference jobs" per region (adjustable on AWS;
#: https://docs.aws.amazon.com/personalize/latest/dg/limits.html); batch segment jobs get the same limit.
MAX_RUNNING_JOBS = 5

#: Answers one input record (a JSON object) with its ``output``; raises LineError or PersonalizeError when it can't.
Answer = Callable[[dict[str, Any]], dict[str, Any]]
#: The leading field(s) of an output record, from the input record (or a line's raw text when it is not JSON).
Echo = Callable[[Any], dict[str, Any]]


def echo_input(record: Any) -> dict[str, Any]:
    """``{"input": record}``: how batch inference and Item-Affinity output lines start."""
    return {"input": record}


class LineError(Exception):
    """Why one input line has no output; the message goes in that line's ``error``."""


def check_paths(job_input: dict[str, Any], job_output: dict[str, Any]) -> None:
    """InvalidInputException unless ``jobInput`` and ``jobOutput`` hold s3://bucket/key paths."""
    for path, what in (
        (job_input["s3_data_source"]["path"], "jobInput.s3DataSource.path"),
        (job_output["s3_data_destination"]["path"], "jobOutput.s3DataDestination.path"),
    ):
        try:
            split_s3_path(path, what)
        except ValueError as exc:
            raise InvalidInputException(str(exc)) from None


def check_capacity(lifecycle: Lifecycle, kind: str) -> None:
    """LimitExceededException when :data:`MAX_RUNNING_JOBS` jobs of ``kind`` are pending or in progress."""
    if sum(1 for j in lifecycle.find(kind) if j.status in CREATING) >= MAX_RUNNING_JOBS:
        raise LimitExceededException(
            f"At most {MAX_RUNNING_JOBS} {LABELS[kind]}s can be pending or in progress; wait for one"
        )


def job_version(lifecycle: Lifecycle, solution_version_arn: str) -> Resource:
    """The solution version a running job uses; CreateFailed when it was deleted meanwhile."""
    version = lifecycle.store.get(solution_version_arn)
    if version is None:
        raise CreateFailed(f"Solution version {solution_version_arn} no longer exists")
    return version


def read_inputs(job_input: dict[str, Any]) -> list[InputFile]:
    """The job's input files; CreateFailed naming the file (and line) when they cannot be read."""
    try:
        return read_input_files(job_input["s3_data_source"]["path"])
    except BatchFileError as exc:
        raise CreateFailed(str(exc)) from None


def write_outputs(job_output: dict[str, Any], outputs: dict[str, list[dict[str, Any]]]) -> None:
    """Write each input file's output records; CreateFailed naming the destination when it cannot be written."""
    try:
        write_output_files(job_output["s3_data_destination"]["path"], outputs)
    except BatchFileError as exc:
        raise CreateFailed(str(exc)) from None


def answer_files(files: list[InputFile], answer: Answer, echo: Echo = echo_input) -> dict[str, list[dict[str, Any]]]:
    """Every input file's output records (by file name), one per line, in order."""
    return {f.name: [answer_line(line, answer, echo) for line in f.lines] for f in files}


def answer_line(line: InputLine, answer: Answer, echo: Echo = echo_input) -> dict[str, Any]:
    """``{**echo(input), "output": ..., "error": null}``, or ``"output": null`` and an ``error`` naming the line."""
    try:
        record = json.loads(line.text)
    except ValueError as exc:
        return {**echo_input(line.text), "output": None, "error": f"line {line.number}: not valid JSON: {exc}"}
    try:
        if not isinstance(record, dict):
            raise LineError("a line must be a JSON object")
        output = answer(record)
    except (LineError, PersonalizeError) as exc:
        message = exc.message if isinstance(exc, PersonalizeError) else str(exc)
        return {**echo(record), "output": None, "error": f"line {line.number}: {message}"}
    return {**echo(record), "output": output, "error": None}


def required_string(record: dict[str, Any], key: str) -> str:
    """``record[key]`` when it is a non-empty string; LineError otherwise."""
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise LineError(f"{key} is required (a non-empty string)")
    return value
