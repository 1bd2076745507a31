"""Personalize Local: CSV import checks (header against schema, typed values, where a bad value is)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from personalize_local.importer import DataImportError, parse_csv, parse_csv_stream
from personalize_local.schemas import parse_schema

SCHEMA = parse_schema(
    json.dumps(
        {
            "type": "record",
            "name": "Items",
            "fields": [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRES", "type": ["null", "string"], "categorical": True},
                {"name": "YEAR", "type": ["null", "int"]},
                {"name": "SCORE", "type": ["null", "double"]},
                {"name": "ADULT", "type": ["null", "boolean"]},
                {"name": "SYNOPSIS", "type": ["null", "string"], "textual": True},
            ],
        }
    )
)


def test_values_are_typed_and_empty_nullable_values_become_missing() -> None:
    csv = (
        b'item_id,GENRES,YEAR,SCORE,ADULT,SYNOPSIS\ni1,Action|Drama,2001,8.5,false,"He said \\"hi\\", twice"\ni2,,,,,\n'
    )
    frame = parse_csv(csv, SCHEMA, "s3://b/items.csv")
    assert list(frame.columns) == ["ITEM_ID", "GENRES", "YEAR", "SCORE", "ADULT", "SYNOPSIS"]
    assert frame.loc[0, "GENRES"] == "Action|Drama" and frame.loc[0, "YEAR"] == 2001
    assert frame.loc[0, "SCORE"] == 8.5 and bool(frame.loc[0, "ADULT"]) is False
    assert frame.loc[0, "SYNOPSIS"] == 'He said "hi", twice'
    assert pd.isna(frame.loc[1, "GENRES"]) and pd.isna(frame.loc[1, "YEAR"]) and pd.isna(frame.loc[1, "SCORE"])


def test_missing_nullable_columns_are_filled() -> None:
    frame = parse_csv(b"ITEM_ID,GENRES\ni1,Comedy\n", SCHEMA, "src")
    assert frame["YEAR"].isna().all() and frame["SYNOPSIS"].isna().all()


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (b"ITEM_ID,COLOUR\ni1,red\n", "header column 'COLOUR' is not a field"),
        (b"GENRES\nAction\n", "lacks required column(s) ITEM_ID"),
        (b"ITEM_ID,ITEM_ID\ni1,i1\n", "appears twice"),
        (b"ITEM_ID,YEAR\ni1,2001\ni2,two thousand\ni3,x\n", "line 3, column YEAR: not an integer (int)"),
        (b"ITEM_ID,YEAR\ni1,2001.5\n", "not an integer"),
        (b"ITEM_ID,SCORE\ni1,high\n", "line 2, column SCORE: not a number"),
        (b"ITEM_ID,ADULT\ni1,maybe\n", "not a boolean"),
        (b"ITEM_ID,GENRES\n,Action\n", "an id is required"),
        (b"ITEM_ID,GENRES\ni1," + b"x" * 1001 + b"\n", "longer than 1000 characters"),
        (b"ITEM_ID\n" + b"i" * 257 + b"\n", "longer than 256"),
    ],
)
def test_bad_files_fail_with_file_line_and_column(csv: bytes, message: str) -> None:
    with pytest.raises(DataImportError) as info:
        parse_csv(csv, SCHEMA, "s3://bucket/items.csv")
    assert message in str(info.value) and "s3://bucket/items.csv" in str(info.value)


def test_error_counts_every_bad_value_of_the_column() -> None:
    with pytest.raises(DataImportError, match="2 bad value"):
        parse_csv(b"ITEM_ID,YEAR\ni1,a\ni2,b\ni3,3\n", SCHEMA, "src")


def test_a_file_read_in_blocks_gives_the_same_frame_as_one_block() -> None:
    rows = b"".join(b"i%d,Genre%d,%d,%d.5,true,text %d\n" % (n, n % 3, 2000 + n, n, n) for n in range(7))
    csv = b"ITEM_ID,GENRES,YEAR,SCORE,ADULT,SYNOPSIS\n" + rows
    whole = parse_csv_stream(io.BytesIO(csv), SCHEMA, "src", chunk_rows=100)
    in_blocks = parse_csv_stream(io.BytesIO(csv), SCHEMA, "src", chunk_rows=3)
    pd.testing.assert_frame_equal(in_blocks, whole)
    assert in_blocks["ITEM_ID"].tolist() == [f"i{n}" for n in range(7)] and in_blocks["YEAR"].iloc[6] == 2006


def test_a_bad_value_in_a_later_block_names_its_line_in_the_file() -> None:
    csv = b"ITEM_ID,YEAR\n" + b"".join(b"i%d,%d\n" % (n, 2000 + n) for n in range(7)) + b"i7,later\n"
    with pytest.raises(DataImportError) as info:
        parse_csv_stream(io.BytesIO(csv), SCHEMA, "s3://b/items.csv", chunk_rows=3)
    message = str(info.value)
    assert "line 9, column YEAR: not an integer" in message and "'later'" in message
    assert "in lines 8-9" in message  # the block that was checked: records 7 and 8 of the file


def test_an_empty_file_is_not_a_readable_csv() -> None:
    with pytest.raises(DataImportError, match="not a readable CSV file: the file is empty"):
        parse_csv(b"", SCHEMA, "s3://b/items.csv")


def test_a_header_only_file_gives_no_records() -> None:
    frame = parse_csv(b"ITEM_ID,YEAR\n", SCHEMA, "src")
    assert len(frame) == 0 and list(frame.columns) == [f.name for f in SCHEMA.fields]


@pytest.mark.parametrize("chunk_rows", [1, 2, 1000])
@pytest.mark.parametrize(
    ("csv", "line"),
    [
        (b"ITEM_ID,YEAR\ni1,1\ni2,2\ni3,3,4\n", "line 4"),  # one field too many on the file's 4th line
        (b"ITEM_ID,YEAR\ni1,1\ni2,2\ni3,3\ni4,4,4\ni5,5\n", "line 5"),
        (b'ITEM_ID,YEAR\ni1,1\ni2,"2\ni3,3\n', "line 3"),  # the unclosed quote opens on line 3
    ],
)
def test_an_unparsable_record_is_named_by_its_line_in_the_file(csv: bytes, line: str, chunk_rows: int) -> None:
    with pytest.raises(DataImportError) as info:
        parse_csv_stream(io.BytesIO(csv), SCHEMA, "s3://bucket/items.csv", chunk_rows=chunk_rows)
    message = str(info.value)
    assert message.startswith("s3://bucket/items.csv: not a readable CSV file:")
    assert f"{line}," in message or message.endswith(line), message
