"""Filter grammar: what parses, and what CreateFilter rejects (with the position of the problem)."""

from __future__ import annotations

import pytest

from anime_recommender.contracts.filters import FILTER_EXPRESSIONS
from personalize_local.filters import FilterSyntaxError, parse_filter
from personalize_local.filters.ast import BoolOp, Condition, CurrentItemRef, Param, Wildcard

PIPELINE_FILTERS = FILTER_EXPRESSIONS


@pytest.mark.parametrize("name", sorted(PIPELINE_FILTERS))
def test_pipeline_filters_parse(name: str) -> None:
    parsed = parse_filter(PIPELINE_FILTERS[name])
    assert {"YEAR_FROM", "YEAR_TO", "WATCHED_EVENT_TYPES"} <= parsed.parameters
    assert parsed.uses_interactions
    assert parsed.required_parameters == parsed.parameters - {"YEAR_FROM", "YEAR_TO", "WATCHED_EVENT_TYPES"}


@pytest.mark.parametrize(
    ("expression", "check"),
    [
        # IN / NOT IN with value lists (strings and numbers)
        (
            'INCLUDE ItemID WHERE Items.GENRES IN ("Action", "Slice of Life")',
            lambda w: w.operand == ("Action", "Slice of Life"),
        ),
        ('EXCLUDE ItemID WHERE Items.TYPE NOT IN ("TV")', lambda w: w.op == "NOT IN"),
        ("INCLUDE ItemID WHERE Items.YEAR IN (2005, 2006)", lambda w: w.operand == (2005.0, 2006.0)),
        # every comparison operator
        *[
            (f"INCLUDE ItemID WHERE Items.SCORE {op} 7.5", lambda w, op=op: w.op == op and w.operand == (7.5,))
            for op in ("=", "!=", "<", "<=", ">", ">=")
        ],
        ('INCLUDE ItemID WHERE Items.TYPE = "Movie"', lambda w: w.operand == ("Movie",)),
        # placeholders
        ("INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)", lambda w: w.operand == Param("GENRES", 38)),
        ("INCLUDE ItemID WHERE Items.YEAR >= $FROM", lambda w: isinstance(w.operand, Param)),
        # AND binds tighter than OR
        (
            'INCLUDE ItemID WHERE Items.A IN ("1") OR Items.B IN ("2") AND Items.C IN ("3")',
            lambda w: isinstance(w, BoolOp) and w.op == "OR" and w.children[1].op == "AND",
        ),
        # Interactions, wildcard both spellings, case-insensitive keywords
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")', lambda w: w.operand == Wildcard()),
        ("exclude ItemID where Interactions.EVENT_TYPE in (*)", lambda w: w.operand == Wildcard()),
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("click")', lambda w: w.op == "NOT IN"),
        # CurrentItem references
        ("INCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES", lambda w: w.operand == CurrentItemRef("GENRES")),
        ("INCLUDE ItemID WHERE Items.SCORE < CurrentItem.SCORE", lambda w: w.operand == CurrentItemRef("SCORE")),
        # escaped quote inside a string
        (r'INCLUDE ItemID WHERE Items.TITLE IN ("say \"hi\"")', lambda w: w.operand == ('say "hi"',)),
    ],
)
def test_grammar_accepts(expression: str, check) -> None:
    (parsed,) = parse_filter(expression).expressions
    assert check(parsed.where)


def test_if_current_user_clause() -> None:
    parsed = parse_filter(
        'EXCLUDE ItemID WHERE Items.GENRES IN ($G) IF CurrentUser.AGE > 18 AND CurrentUser.TIER IN ("gold")'
    )
    (expression,) = parsed.expressions
    assert [(c.field, c.op) for c in expression.if_conditions] == [("AGE", ">"), ("TIER", "IN")]
    assert parsed.uses_current_user and parsed.user_fields == {"AGE", "TIER"}


def test_pipe_joins_expressions_in_order() -> None:
    parsed = parse_filter(
        'INCLUDE ItemID WHERE Items.A IN ("x") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("c")'
    )
    assert [(e.action, e.dataset) for e in parsed.expressions] == [("INCLUDE", "Items"), ("EXCLUDE", "Interactions")]
    assert isinstance(parsed.expressions[0].where, Condition)


@pytest.mark.parametrize(
    ("expression", "position", "fragment"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ('KEEP ItemID WHERE Items.A IN ("x")', 0, "INCLUDE or EXCLUDE"),
        ('INCLUDE UserID WHERE Users.A IN ("x")', 8, "UserID filters are not supported"),
        ('INCLUDE ItemID Items.A IN ("x")', 15, "Expected WHERE"),
        ('INCLUDE ItemID WHERE Stuff.A IN ("x")', 21, "Unknown dataset"),
        ('INCLUDE ItemID WHERE Users.AGE IN ("x")', 21, "IF CurrentUser"),
        ('INCLUDE ItemID WHERE Interactions.ITEM_ID IN ("x")', 21, "Only Interactions.EVENT_TYPE"),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE = "x"', 45, "only IN and NOT IN"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") AND Interactions.EVENT_TYPE IN ("c")', 42, "cannot mix"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") OR Interactions.EVENT_TYPE IN ("c")', 41, "cannot mix"),
        ("EXCLUDE ItemID WHERE Items.GENRES NOT IN ($GENRES)", 42, "Placeholders are not allowed with NOT_IN"),
        ("INCLUDE ItemID WHERE Items.GENRES IN (*)", 38, "only allowed in Interactions.EVENT_TYPE"),
        ('INCLUDE ItemID WHERE Items.YEAR < "2005"', 34, "needs a number or a placeholder"),
        ('INCLUDE ItemID WHERE Items.A IN ("x)', 33, "Unterminated string"),
        ("INCLUDE ItemID WHERE Items.A IN (#)", 33, "Invalid input symbol"),
        ('INCLUDE ItemID WHERE Items.A IN ("x", $P)', 38, "only value"),
        ('INCLUDE ItemID WHERE Items.A IN ("x"', 36, "Expected ')'"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") EXTRA', 38, "'|' or end of expression"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") |', 39, "INCLUDE or EXCLUDE"),
        ('INCLUDE ItemID WHERE Items.A LIKE ("x")', 29, "IN, NOT IN or a comparison"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF Items.B = 1', 41, "must use CurrentUser"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF CurrentUser.B = 1 OR CurrentUser.C = 2', 59, "joined with AND"),
        ("INCLUDE ItemID WHERE Items.A NOT IN CurrentItem.A", 36, "cannot be used with NOT IN"),
        ("INCLUDE ItemID WHERE Items.A IN ($X) IF CurrentUser.B = CurrentItem.B", 56, "only be compared with Items"),
    ],
)
def test_grammar_rejects_with_position(expression: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(expression)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert f"position {position}" in str(caught.value)


def test_length_and_distinct_field_limits() -> None:
    too_long = 'INCLUDE ItemID WHERE Items.A IN ("' + "x" * 2500 + '")'
    with pytest.raises(FilterSyntaxError, match="maximum is 2500"):
        parse_filter(too_long)
    eleven = " AND ".join(f'Items.F{i} IN ("x")' for i in range(11))
    with pytest.raises(FilterSyntaxError, match="at most 10 distinct"):
        parse_filter("INCLUDE ItemID WHERE " + eleven)
    ten = " AND ".join(f'Items.F{i} IN ("x")' for i in range(10))
    assert len(parse_filter("INCLUDE ItemID WHERE " + ten).item_fields) == 10
