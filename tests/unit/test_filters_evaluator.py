"""Filter semantics: one test per rule, on a small hand-made catalogue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personalize_local.filters import FilterContext, FilterValueError, UserEvent, parse_filter
from personalize_local.filters.evaluator import EVENTS_PER_TYPE, parse_filter_value

ITEMS = pd.DataFrame(
    {
        "ITEM_ID": ["1", "2", "3", "4", "5"],
        "GENRES": ["Action|Drama", "Comedy", "Slice of Life|Comedy", None, "action"],
        "STUDIOS": ["Bones", "Madhouse", "Bones", "Sunrise", "Madhouse"],
        "YEAR": [1999.0, 2005.0, 2010.0, np.nan, 2020.0],
    }
).set_index("ITEM_ID", drop=False)
IDS = np.array(["1", "2", "3", "4", "5", "6"], dtype=object)  # "6" is not in the Items dataset: null metadata


def allowed(expression: str, values: dict[str, str] | None = None, **context) -> list[str]:
    ctx = FilterContext(IDS, context.pop("items", ITEMS), **context)
    mask = parse_filter(expression).evaluate(ctx, values or {})
    assert mask.dtype == bool and mask.shape == IDS.shape
    return IDS[mask].tolist()


def test_include_in_matches_any_of_the_pipe_separated_values() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")') == ["2", "3"]
    assert allowed('INCLUDE ItemID WHERE Items.GENRES IN ("Drama", "Slice of Life")') == ["1", "3"]


def test_matching_is_exact_and_case_sensitive() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.GENRES IN ("Action")') == ["1"]  # not "action"
    assert allowed('INCLUDE ItemID WHERE Items.GENRES IN ("Slice")') == []


def test_exclude_in_removes_matches() -> None:
    assert allowed('EXCLUDE ItemID WHERE Items.STUDIOS IN ("Bones")') == ["2", "4", "5", "6"]


def test_not_in_matches_when_no_value_is_listed_and_null_never_matches() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.GENRES NOT IN ("Comedy")') == ["1", "5"]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("=", ["2"]),
        ("!=", ["1", "3", "5"]),
        ("<", ["1"]),
        ("<=", ["1", "2"]),
        (">", ["3", "5"]),
        (">=", ["2", "3", "5"]),
    ],
)
def test_comparisons_are_numeric_and_null_never_matches(op: str, expected: list[str]) -> None:
    assert allowed(f"INCLUDE ItemID WHERE Items.YEAR {op} 2005") == expected


def test_equality_with_a_string() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.STUDIOS = "Madhouse"') == ["2", "5"]
    assert allowed('INCLUDE ItemID WHERE Items.STUDIOS != "Madhouse"') == ["1", "3", "4"]


def test_numeric_in_list() -> None:
    assert allowed("INCLUDE ItemID WHERE Items.YEAR IN (1999, 2020)") == ["1", "5"]


def test_and_or_within_one_dataset_with_and_binding_tighter() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.STUDIOS IN ("Bones") AND Items.YEAR > 2000') == ["3"]
    assert allowed('INCLUDE ItemID WHERE Items.STUDIOS IN ("Sunrise") OR Items.YEAR > 2015') == ["4", "5"]
    expression = 'INCLUDE ItemID WHERE Items.STUDIOS IN ("Sunrise") OR Items.STUDIOS IN ("Bones") AND Items.YEAR < 2000'
    assert allowed(expression) == ["1", "4"]


def test_unknown_field_is_null_and_matches_nothing() -> None:
    assert allowed('INCLUDE ItemID WHERE Items.NOPE IN ("x")') == []
    assert allowed('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")', items=None) == []


def test_pipe_is_union_of_includes_minus_union_of_excludes_in_any_order() -> None:
    parts = [
        'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")',
        'INCLUDE ItemID WHERE Items.STUDIOS IN ("Bones")',
        "EXCLUDE ItemID WHERE Items.YEAR > 2008",
    ]
    assert allowed(" | ".join(parts)) == ["1", "2"]
    assert allowed(" | ".join(reversed(parts))) == ["1", "2"]
    assert allowed("EXCLUDE ItemID WHERE Items.YEAR < 2000 | EXCLUDE ItemID WHERE Items.YEAR > 2015") == [
        "2",
        "3",
        "4",
        "6",
    ]


def _events(*triples: tuple[str, str, int]) -> list[UserEvent]:
    return [UserEvent(item, event_type, ts) for item, event_type, ts in triples]


def test_interactions_event_types_match_case_insensitively() -> None:
    events = _events(("1", "RATING", 1), ("2", "Completed", 2), ("3", "DROPPED", 3))
    expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("rating", "COMPLETED")'
    assert allowed(expression, user_events=events) == ["3", "4", "5", "6"]
    assert allowed('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("dropped")', user_events=events) == ["3"]


def test_interactions_wildcard_and_not_in() -> None:
    events = _events(("1", "RATING", 1), ("6", "WATCHING", 2))
    assert allowed('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")', user_events=events) == ["2", "3", "4", "5"]
    assert allowed('INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("rating")', user_events=events) == ["6"]
    assert allowed("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($T)", {"T": '"*"'}, user_events=events) == [
        "2",
        "3",
        "4",
        "5",
    ]


def test_interactions_look_at_the_most_recent_100_events_per_type() -> None:
    ids = np.array([f"i{k}" for k in range(EVENTS_PER_TYPE + 2)], dtype=object)
    events = [UserEvent(f"i{k}", "RATING", 1000 + k) for k in range(EVENTS_PER_TYPE + 1)]  # i0 is the oldest
    events.append(UserEvent("i0", "watching", 5))  # another type keeps its own 100
    ctx = FilterContext(ids, None, events)
    rating = parse_filter('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("RATING")').evaluate(ctx, {})
    assert ids[rating].tolist() == ["i0", f"i{EVENTS_PER_TYPE + 1}"]  # i0's rating fell out of the window
    both = parse_filter('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")').evaluate(ctx, {})
    assert ids[both].tolist() == [f"i{EVENTS_PER_TYPE + 1}"]


def test_include_placeholders_are_required() -> None:
    with pytest.raises(FilterValueError, match=r"\$GENRES"):
        allowed("INCLUDE ItemID WHERE Items.GENRES IN ($GENRES) | EXCLUDE ItemID WHERE Items.YEAR < $FROM")


def test_omitted_exclude_placeholders_drop_that_part() -> None:
    expression = "EXCLUDE ItemID WHERE Items.YEAR < $FROM | EXCLUDE ItemID WHERE Items.YEAR > $TO"
    assert allowed(expression) == IDS.tolist()
    assert allowed(expression, {"TO": "2006"}) == ["1", "2", "4", "6"]
    assert allowed(expression, {"FROM": '"2005"', "TO": '"2010"'}) == ["2", "3", "4", "6"]
    both = "EXCLUDE ItemID WHERE Items.STUDIOS IN ($S) AND Items.YEAR > $TO"
    assert allowed(both, {"S": '"Bones"'}) == ["2", "4", "5", "6"]  # only the supplied condition applies


def test_placeholder_values_use_the_wire_format() -> None:
    assert parse_filter_value("G", '"Action","Slice of Life"') == ["Action", "Slice of Life"]
    assert parse_filter_value("G", r'"say \"hi\"", "x"') == ['say "hi"', "x"]
    assert parse_filter_value("Y", "2005") == ["2005"]
    assert allowed("INCLUDE ItemID WHERE Items.GENRES IN ($G)", {"G": '"Drama","Comedy"'}) == ["1", "2", "3"]


@pytest.mark.parametrize("raw", ["", '"unterminated', '"a",', '"a" "b"', 'a"b'])
def test_malformed_filter_values_are_rejected(raw: str) -> None:
    with pytest.raises(FilterValueError):
        allowed("INCLUDE ItemID WHERE Items.GENRES IN ($G)", {"G": raw})


def test_comparison_placeholder_must_be_one_number() -> None:
    with pytest.raises(FilterValueError, match="one number"):
        allowed("INCLUDE ItemID WHERE Items.YEAR > $Y", {"Y": '"1","2"'})
    with pytest.raises(FilterValueError, match="must be a number"):
        allowed("INCLUDE ItemID WHERE Items.YEAR > $Y", {"Y": '"soon"'})


def test_if_current_user_applies_the_expression_only_when_true() -> None:
    expression = 'EXCLUDE ItemID WHERE Items.GENRES IN ("Comedy") IF CurrentUser.AGE < 18'
    assert allowed(expression, user={"AGE": 12}) == ["1", "4", "5", "6"]
    assert allowed(expression, user={"AGE": 30}) == IDS.tolist()
    assert allowed(expression, user=None) == IDS.tolist()
    tier = 'INCLUDE ItemID WHERE Items.STUDIOS IN ("Bones") IF CurrentUser.TIER IN ($TIERS)'
    assert allowed(tier, {"TIERS": '"gold"'}, user={"TIER": "gold|silver"}) == ["1", "3"]
    with pytest.raises(FilterValueError, match=r"\$TIERS"):
        allowed(tier, user={"TIER": "gold"})


def test_current_item_references() -> None:
    current = {"GENRES": "Comedy|Romance", "YEAR": 2010}
    assert allowed("INCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES", current_item=current) == ["2", "3"]
    assert allowed("INCLUDE ItemID WHERE Items.YEAR < CurrentItem.YEAR", current_item=current) == ["1", "2"]
    with pytest.raises(FilterValueError, match="CurrentItem"):
        allowed("INCLUDE ItemID WHERE Items.YEAR < CurrentItem.YEAR")
