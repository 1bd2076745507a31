"""The S3 side of batch jobs: read the JSON Lines input files of ``jobInput.s3DataSource.path`` and write one
``<input file name>.out`` per input file under ``jobOutput.s3DataDestination.path``, through an ordinary boto3 S3
client as the dataset importer does (so ``AWS_ENDPOINT_URL_S3`` or moto apply).

The input path is one file (``s3://bucket/folder/users.json``) or, ending with ``/``, every file under that prefix;
the output path is a folder and each output file is named after its input file with ``.out`` appended
(https://docs.aws.amazon.com/personalize/latest/dg/creating-batch-inference-job.html). AWS's page shows input files
directly under the prefix; a file in a sub-folder of the prefix keeps its sub-folder under the output path
(``in/a/users.json`` -> ``out/a/users.json.out``), so two inputs with one file name never overwrite each other."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import boto3

from personalize_local.importer import DataImportError, list_keys

# Batch inference quotas (https://docs.aws.amazon.com/personalize/latest/dg/limits.html).
MAX_INPUT_FILES = 1000
MAX_INPUT_BYTES = 1024**3  # "Maximum size of batch inference job input: 1 GB" (all files together)
MAX_RECORDS_PER_FILE = 50_000_000

_S3_PATH = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.*)$")


class BatchFileError(Exception):
    """Why a batch job fails on its input or output files; the message becomes the job's ``failureReason``."""


@dataclass(frozen=True)
class InputLine:
    """One non-blank line of an input file: its 1-based line number and its text."""

    number: int
    text: str


@dataclass(frozen=True)
class InputFile:
    """One input file: where it is, its non-blank lines and its size in bytes."""

    uri: str
    name: str
    lines: list[InputLine]
    size: int


def split_s3_path(path: str, what: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://bucket/key`` path; ValueError naming ``what`` otherwise."""
    match = _S3_PATH.match(path or "")
    if not match:
        raise ValueError(f"{what} must be an s3://bucket/key path, got {path!r}")
    return match["bucket"], match["key"]


def _client() -> Any:
    return boto3.session.Session().client("s3")


def read_input_files(path: str) -> list[InputFile]:
    """Every input file of ``path`` with its non-blank lines; BatchFileError naming the file when one cannot be read.

    A file with no line that is a JSON object is not JSON Lines at all: BatchFileError naming its first line.
    """
    bucket, key = split_s3_path(path, "jobInput.s3DataSource.path")
    s3 = _client()
    try:
        under_prefix = key == "" or key.endswith("/")
        keys = list_keys(s3, bucket, key) if under_prefix else [key]
        if len(keys) > MAX_INPUT_FILES:
            raise BatchFileError(f"{path} holds {len(keys)} input files; a batch job reads at most {MAX_INPUT_FILES}")
        files: list[InputFile] = []
        for object_key in keys:
            name = object_key[len(key) :] if under_prefix else key.rsplit("/", 1)[-1]
            files.append(_read(s3, bucket, object_key, name, MAX_INPUT_BYTES - sum(f.size for f in files)))
        return files
    except DataImportError as exc:  # no files under the prefix
        raise BatchFileError(str(exc)) from None
    except s3.exceptions.NoSuchKey as exc:
        raise BatchFileError(f"Input file s3://{bucket}/{key} does not exist") from exc
    except s3.exceptions.NoSuchBucket as exc:
        raise BatchFileError(f"Input bucket {bucket} does not exist") from exc
    except s3.exceptions.ClientError as exc:
        raise BatchFileError(f"Cannot read the input {path}: {exc}") from exc


def _read(s3: Any, bucket: str, key: str, name: str, budget: int) -> InputFile:
    """One input file named ``name`` (its key under the input prefix); ``budget``: the bytes the job may still read
    (the 1 GB input quota)."""
    uri = f"s3://{bucket}/{key}"
    response = s3.get_object(Bucket=bucket, Key=key)
    size = int(response["ContentLength"])
    if size > budget:
        response["Body"].close()
        raise BatchFileError(f"{uri}: the input is too large: a batch job reads at most {MAX_INPUT_BYTES} bytes in all")
    raw = response["Body"].read()
    lines: list[InputLine] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise BatchFileError(f"{uri}: line {number} is not UTF-8 text ({exc.reason})") from None
        if text:
            lines.append(InputLine(number, text))
            if len(lines) > MAX_RECORDS_PER_FILE:
                raise BatchFileError(f"{uri}: line {number}: more than {MAX_RECORDS_PER_FILE} records in one file")
    if not lines:
        raise BatchFileError(f"{uri}: the file has no input lines (JSON Lines: one JSON object per line)")
    if not any(_is_object(line.text) for line in lines):
        raise BatchFileError(
            f"{uri}: not a JSON Lines file: line {lines[0].number} (and every other line) is not a JSON object"
        )
    return InputFile(uri, name, lines, size)


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def write_output_files(path: str, outputs: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Write each input file's output lines to ``<path>/<input file name>.out``; the URIs written.

    BatchFileError naming the destination when the bucket cannot be written.
    """
    bucket, prefix = split_s3_path(path, "jobOutput.s3DataDestination.path")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    s3 = _client()
    written = []
    for name, lines in outputs.items():
        key = f"{prefix}{name}.out"
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
        except s3.exceptions.NoSuchBucket as exc:
            raise BatchFileError(f"Output bucket {bucket} does not exist") from exc
        except s3.exceptions.ClientError as exc:
            raise BatchFileError(f"Cannot write the output s3://{bucket}/{key}: {exc}") from exc
        written.append(f"s3://{bucket}/{key}")
    return written
