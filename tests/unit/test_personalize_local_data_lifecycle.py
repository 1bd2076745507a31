"""Unit: the rules of the data lifecycle parts — metric expressions and reports, schema replacement."""

from __future__ import annotations

import pandas as pd
import pytest

from personalize_local.exceptions import InvalidInputException
from personalize_local.models.dataset_updates import check_replacement
from personalize_local.models.metric_attributions import UNDEFINED_SOURCE, attribution_report, parse_expression
from personalize_local.schemas import DatasetSchema, SchemaField


@pytest.mark.parametrize(
    ("expression", "parsed"),
    [
        ("SAMPLECOUNT()", ("samplecount", None, None)),
        (" samplecount( ) ", ("samplecount", None, None)),
        ("SUM(Interactions.EVENT_VALUE)", ("sum", "Interactions", "EVENT_VALUE")),
        ("sum(items.price)", ("sum", "Items", "PRICE")),
    ],
)
def test_documented_expressions_parse(expression: str, parsed: tuple) -> None:
    assert parse_expression(expression) == parsed


@pytest.mark.parametrize("expression", ["COUNT()", "SUM()", "SUM(Users.AGE)", "SUM(Items.PRICE) + 1", "SAMPLECOUNT(x)"])
def test_other_expressions_are_invalid_input(expression: str) -> None:
    with pytest.raises(InvalidInputException, match="Invalid metric expression"):
        parse_expression(expression)


def test_report_groups_by_source_and_fifteen_minute_window() -> None:
    interactions = pd.DataFrame(
        {
            "ITEM_ID": ["a", "b", "a", "a"],
            "TIMESTAMP": [900, 1799, 1800, 1000],
            "EVENT_TYPE": ["Watch", "WATCH", "WATCH", "RATING"],
            "EVENT_VALUE": [None, None, None, 3.5],
            "EVENT_ATTRIBUTION_SOURCE": ["x", None, "x", "x"],
        }
    )
    items = pd.DataFrame({"ITEM_ID": ["a", "b"], "PRICE": [2.0, 5.0]})
    metrics = [
        {"event_type": "WATCH", "metric_name": "N", "expression": "SAMPLECOUNT()"},
        {"event_type": "WATCH", "metric_name": "P", "expression": "SUM(Items.PRICE)"},
    ]
    report = attribution_report(interactions, items, metrics)
    got = {(r.METRIC_NAME, r.EVENT_ATTRIBUTION_SOURCE, r.TIMESTAMP): r.VALUE for r in report.itertuples()}
    assert got == {
        ("N", "x", 900): 1.0,  # event types compare case-insensitively
        ("N", UNDEFINED_SOURCE, 900): 1.0,
        ("N", "x", 1800): 1.0,
        ("P", "x", 900): 2.0,
        ("P", UNDEFINED_SOURCE, 900): 5.0,
        ("P", "x", 1800): 2.0,
    }
    assert set(report["MATH_FUNCTION"]) == {"samplecount", "sum"}


def _schema(*fields: SchemaField) -> DatasetSchema:
    return DatasetSchema("Items", (SchemaField("ITEM_ID", "string", False), *fields))


GENRES = SchemaField("GENRES", "string", True, categorical=True)


def test_a_replacement_may_add_nullable_fields() -> None:
    check_replacement(_schema(GENRES), _schema(GENRES, SchemaField("PRICE", "float", True)))


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        (_schema(), "GENRES is missing"),
        (_schema(SchemaField("GENRES", "string", True)), "attributes of GENRES"),
        (_schema(SchemaField("GENRES", "int", True, categorical=True)), "attributes of GENRES"),
        (_schema(GENRES, SchemaField("PRICE", "float", False)), "support null data: PRICE"),
    ],
)
def test_a_replacement_keeps_every_field_unchanged(new: DatasetSchema, problem: str) -> None:
    with pytest.raises(InvalidInputException, match=problem):
        check_replacement(_schema(GENRES), new)
