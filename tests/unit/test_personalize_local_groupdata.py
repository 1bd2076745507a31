"""Personalize Local: the data a dataset group trains and serves on (bulk + streamed + put records)."""

from __future__ import annotations

import pandas as pd

from personalize_local.models.groupdata import (
    HistoryIndex,
    events_frame,
    filter_events,
    property_column,
    records_frame,
)
from personalize_local.schemas import parse_schema


def _event(user: str, item: str | None, ts: int, event_type: str = "WATCH", value: float | None = None) -> dict:
    return {"user_id": user, "item_id": item, "timestamp": ts, "event_type": event_type, "event_value": value}


BULK = pd.DataFrame(
    {
        "USER_ID": ["u1", "u1", "u2", "u1"],
        "ITEM_ID": ["b", "a", "x", "c"],
        "TIMESTAMP": [20, 10, 5, 30],
        "EVENT_TYPE": ["RATING", "RATING", "WATCH", "WATCH"],
        "EVENT_VALUE": [9.0, 3.0, None, None],
    }
)


def test_property_keys_map_to_schema_columns() -> None:
    assert property_column("numberOfRatings") == "NUMBER_OF_RATINGS"
    assert property_column("genres") == "GENRES"
    assert property_column("CREATION_TIMESTAMP") == "CREATION_TIMESTAMP"


def test_history_is_bulk_plus_live_oldest_first_and_updates_in_place() -> None:
    index = HistoryIndex(BULK, [_event("u1", "live-1", 25)])
    assert index.items("u1") == ["a", "b", "live-1", "c"]
    index.add(_event("u1", "live-2", 40))
    index.add(_event("u1", None, 50))  # an event without an item is no interaction
    index.add(_event("new", "n1", 1))
    assert index.items("u1") == ["a", "b", "live-1", "c", "live-2"]
    assert index.items("new") == ["n1"] and index.items("nobody") == []
    assert index.items("u1", keep=lambda e: e[2] == "RATING" and (e[3] or 0) >= 5) == ["b"]
    events = index.user_events("u1")
    assert [(e.item_id, e.event_type, e.timestamp) for e in events][:2] == [("a", "RATING", 10), ("b", "RATING", 20)]


def test_empty_history() -> None:
    assert HistoryIndex(None, []).items("u1") == []


def test_streamed_events_as_interactions_keep_only_schema_columns() -> None:
    schema = parse_schema(
        '{"type": "record", "name": "Interactions", "fields": [{"name": "USER_ID", "type": "string"},'
        '{"name": "ITEM_ID", "type": "string"}, {"name": "TIMESTAMP", "type": "long"},'
        '{"name": "EVENT_TYPE", "type": "string"}, {"name": "DEVICE", "type": ["null", "string"]}]}'
    )
    rows = [
        {**_event("u1", "a", 7), "properties": {"device": "tv"}},
        _event("u1", None, 8),
    ]
    frame = events_frame(rows, schema)
    assert frame.to_dict("records") == [
        {"USER_ID": "u1", "ITEM_ID": "a", "TIMESTAMP": 7, "EVENT_TYPE": "WATCH", "DEVICE": "tv"}
    ]


def test_put_records_replace_bulk_rows_with_the_same_id() -> None:
    bulk = pd.DataFrame({"ITEM_ID": ["i1", "i2"], "GENRES": ["Action", "Drama"]})
    merged = records_frame(bulk, [("i2", {"genres": "Comedy"}), ("i3", {"genres": "Horror"})], "Items")
    assert merged is not None
    assert dict(zip(merged["ITEM_ID"], merged["GENRES"], strict=True)) == {
        "i1": "Action",
        "i2": "Comedy",
        "i3": "Horror",
    }
    assert records_frame(bulk, [], "Items") is bulk
    alone = records_frame(None, [("u1", {"ageGroup": "adult"})], "Users")
    assert alone is not None and alone.to_dict("records") == [{"USER_ID": "u1", "AGE_GROUP": "adult"}]


def test_solution_event_filter() -> None:
    assert filter_events(BULK, "rating", None)["ITEM_ID"].tolist() == ["b", "a"]
    assert filter_events(BULK, None, 5.0)["ITEM_ID"].tolist() == ["b"]
    assert len(filter_events(BULK, None, None)) == 4
