"""Dataset import: read the CSV files of an ``s3://`` data location through an ordinary boto3 S3 client, check the
header and every value against the dataset schema, and return one typed DataFrame.

Each object is downloaded to a temporary file and parsed in blocks of ``CHUNK_ROWS`` records, so the memory an
import needs is the typed result (about 60 bytes per interaction, strings kept in Arrow) plus one block — not the
file, its text columns and their copies at once (which needed ~250 bytes per row, 27 GB for the full Kaggle drop).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import boto3
import numpy as np
import pandas as pd
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from personalize_local.schemas import DatasetSchema, SchemaField

_S3_LOCATION = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<key>.*)$")
_ID_FIELDS = {"USER_ID", "ITEM_ID"}
MAX_ID_LENGTH = 256
MAX_CATEGORICAL_LENGTH = 1000
#: Records parsed and checked at a time.
CHUNK_ROWS = 1_000_000
COPY_BLOCK_BYTES = 8 * 1024 * 1024
#: An unreachable S3 endpoint fails the import within seconds instead of retrying for minutes.
_S3_CONFIG = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"})


class DataImportError(ValueError):
    """Why an import job fails; the message becomes the job's ``failureReason``."""


def read_data_location(location: str, schema: DatasetSchema, scratch_dir: Path | None = None) -> pd.DataFrame:
    """Every record under ``location`` (one object, or all objects of a ``s3://bucket/prefix/``), typed per schema.

    Each object is downloaded to a temporary file in ``scratch_dir`` (the system's temporary directory when None),
    removed as soon as the object is parsed or fails.
    """
    match = _S3_LOCATION.match(location)
    if not match:
        raise DataImportError(f"Personalize Local imports only s3:// locations, not {location!r}")
    bucket, key = match["bucket"], match["key"]
    s3 = boto3.session.Session().client("s3", config=_S3_CONFIG)
    try:
        keys = list_keys(s3, bucket, key) if key == "" or key.endswith("/") else [key]
        frames = [_read_object(s3, bucket, object_key, schema, scratch_dir) for object_key in keys]
    except s3.exceptions.NoSuchKey as exc:
        raise DataImportError(f"Input file s3://{bucket}/{key} does not exist") from exc
    except s3.exceptions.NoSuchBucket as exc:
        raise DataImportError(f"Bucket {bucket} does not exist") from exc
    except s3.exceptions.ClientError as exc:
        raise DataImportError(f"Cannot read {location}: {exc}") from exc
    except BotoCoreError as exc:  # no credentials, no connection: say where we looked and how to look elsewhere
        raise DataImportError(
            f"Cannot read {location} from the S3 endpoint {s3.meta.endpoint_url}: {exc}. Personalize Local reads "
            f"imports with its own environment's S3 settings: serve with --s3 (an embedded S3 endpoint) or set "
            f"AWS_ENDPOINT_URL_S3 and credentials before starting it"
        ) from exc
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Every object key under ``prefix`` (folders left out), sorted; DataImportError when there is none."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []) if not obj["Key"].endswith("/"))
    if not keys:
        raise DataImportError(f"No files found under s3://{bucket}/{prefix}")
    return sorted(keys)


def _read_object(s3: Any, bucket: str, key: str, schema: DatasetSchema, scratch_dir: Path | None) -> pd.DataFrame:
    with tempfile.TemporaryFile(prefix="personalize-local-import-", dir=scratch_dir) as local:
        # One GetObject streamed to disk (not download_fileobj: its ranged GETs make emulators such as moto
        # materialise the whole object once per range).
        shutil.copyfileobj(s3.get_object(Bucket=bucket, Key=key)["Body"], local, COPY_BLOCK_BYTES)
        local.seek(0)
        return parse_csv_stream(local, schema, source=f"s3://{bucket}/{key}")


def parse_csv(data: bytes, schema: DatasetSchema, source: str) -> pd.DataFrame:
    """Parse one CSV file held in memory; see ``parse_csv_stream``."""
    return parse_csv_stream(io.BytesIO(data), schema, source)


def parse_csv_stream(
    stream: IO[bytes], schema: DatasetSchema, source: str, chunk_rows: int = CHUNK_ROWS
) -> pd.DataFrame:
    """Parse one CSV file (header row of schema field names, ``\\`` escapes) into schema-typed columns.

    The records are read and checked ``chunk_rows`` at a time; the first block with a bad value fails the import,
    naming the file, the line and the column.
    """
    first_line = stream.readline()
    if not first_line.strip():
        raise DataImportError(f"{source}: not a readable CSV file: the file is empty: no header row")
    try:
        columns = _map_header(_header(first_line), schema, source)
        blocks = pd.read_csv(
            stream,
            header=None,
            names=columns,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            escapechar="\\",
            encoding="utf-8",
            chunksize=chunk_rows,
        )
        typed = [_typed_block(block, schema, source) for block in blocks]
    except pd.errors.ParserError as exc:
        raise DataImportError(f"{source}: not a readable CSV file: {_lines_of_the_file(str(exc))}") from exc
    except UnicodeDecodeError as exc:
        raise DataImportError(f"{source}: not a readable CSV file: {exc}") from exc
    return pd.concat(typed, ignore_index=True) if len(typed) > 1 else typed[0]


#: pandas' tokenizer counts from the first record it was given: "line N" of the records after the header, or the
#: zero-based "row N" of the records. The file's own line numbers (header = line 1) are what a user can open.
_PARSER_LINE = re.compile(r"\b(line|row) (\d+)")


def _lines_of_the_file(message: str) -> str:
    """A pandas parser message with its line/row numbers turned into the file's line numbers (header = line 1)."""

    def file_line(match: re.Match[str]) -> str:
        number = int(match.group(2))
        return f"line {number + 1 if match.group(1) == 'line' else number + 2}"

    return _PARSER_LINE.sub(file_line, message)


def _typed_block(block: pd.DataFrame, schema: DatasetSchema, source: str) -> pd.DataFrame:
    """One block of raw string records as schema-typed columns (absent nullable fields become missing)."""
    first_record = int(block.index[0]) if len(block) else 0
    out: dict[str, Any] = {}
    for f in schema.fields:
        if f.name in block.columns:
            out[f.name] = coerce_column(block[f.name], f, source, first_record)
        else:
            out[f.name] = empty_column(f, len(block))
    return pd.DataFrame(out)


def _header(first_line: bytes) -> list[str]:
    """The header row as written (pandas would rename a repeated column to ``NAME.1``)."""
    text = first_line.decode("utf-8", errors="replace").rstrip("\r\n")
    return next(csv.reader([text], escapechar="\\"), [])


def _map_header(header: list[str], schema: DatasetSchema, source: str) -> list[str]:
    by_upper = {name.upper(): name for name in schema.names}
    mapped: list[str] = []
    for column in header:
        name = by_upper.get(str(column).strip().upper())
        if name is None:
            raise DataImportError(
                f"{source}: header column {column!r} is not a field of the schema ({', '.join(schema.names)})"
            )
        if name in mapped:
            raise DataImportError(f"{source}: header column {column!r} appears twice")
        mapped.append(name)
    missing = [f.name for f in schema.fields if not f.nullable and f.name not in mapped]
    if missing:
        raise DataImportError(f"{source}: header lacks required column(s) {', '.join(missing)} of the schema")
    return mapped


def _fail(
    source: str, f: SchemaField, positions: np.ndarray, values: pd.Series, problem: str, first_record: int
) -> DataImportError:
    first = int(positions[0])
    start = first_record + 2  # line 1 is the header
    return DataImportError(
        f"{source}: line {start + first}, column {f.name}: {problem} (value {values.iloc[first]!r}); "
        f"{len(positions)} bad value(s) in this column in lines {start}-{start + len(values) - 1}"
    )


def coerce_column(values: pd.Series, f: SchemaField, source: str, first_record: int = 0) -> pd.Series:
    """Convert one column of strings to the field's type; DataImportError names the first bad line.

    ``first_record`` is the file's record number of ``values[0]`` (0 for the first record after the header).
    """
    values = values.reset_index(drop=True)
    empty = (values == "").to_numpy()
    if empty.any() and not f.nullable and f.base_type != "string":
        raise _fail(source, f, np.flatnonzero(empty), values, "a value is required", first_record)
    if f.base_type == "string":
        if f.name in _ID_FIELDS and empty.any():
            raise _fail(source, f, np.flatnonzero(empty), values, "an id is required", first_record)
        limit = MAX_ID_LENGTH if f.name in _ID_FIELDS else MAX_CATEGORICAL_LENGTH if f.categorical else None
        if limit is not None:
            too_long = (values.str.len() > limit).to_numpy()
            if too_long.any():
                raise _fail(
                    source, f, np.flatnonzero(too_long), values, f"longer than {limit} characters", first_record
                )
        result = values.astype("string")
        return result.mask(pd.Series(empty), pd.NA) if f.nullable else result
    if f.base_type in ("int", "long"):
        numbers = pd.to_numeric(values.mask(pd.Series(empty)), errors="coerce")
        bad = (numbers.isna().to_numpy() & ~empty) | (numbers.notna().to_numpy() & (numbers % 1 != 0).to_numpy())
        if bad.any():
            raise _fail(source, f, np.flatnonzero(bad), values, f"not an integer ({f.base_type})", first_record)
        return numbers.astype("Int64") if f.nullable else numbers.astype("int64")
    if f.base_type in ("float", "double"):
        numbers = pd.to_numeric(values.mask(pd.Series(empty)), errors="coerce")
        bad = numbers.isna().to_numpy() & ~empty
        if bad.any():
            raise _fail(source, f, np.flatnonzero(bad), values, f"not a number ({f.base_type})", first_record)
        return numbers.astype("float64")
    if f.base_type == "boolean":
        lowered = values.str.lower()
        bad = ~lowered.isin(["true", "false"]).to_numpy() & ~empty
        if bad.any():
            raise _fail(source, f, np.flatnonzero(bad), values, "not a boolean (true/false)", first_record)
        return lowered.map({"true": True, "false": False}).astype("boolean")
    raise DataImportError(f"{source}: column {f.name} has unsupported type {f.base_type}")


def empty_column(f: SchemaField, length: int) -> pd.Series:
    """A column of ``length`` missing values with the field's dtype (a nullable field absent from a file)."""
    if f.base_type in ("float", "double"):
        return pd.Series(np.full(length, np.nan), dtype="float64")
    dtype = {"string": "string", "int": "Int64", "long": "Int64", "boolean": "boolean"}[f.base_type]
    return pd.Series(pd.NA, index=pd.RangeIndex(length), dtype=dtype)
