"""Personalize Local: the data a dataset group trains and serves on (bulk + streamed + put records)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from personalize_local.models.groupdata import (
    BulkHistories,
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


def test_events_carry_timestamp_item_type_and_value_with_nan_as_none() -> None:
    index = HistoryIndex(BULK, [])
    assert index.events("u1") == [(10, "a", "RATING", 3.0), (20, "b", "RATING", 9.0), (30, "c", "WATCH", None)]
    assert index.events("u2") == [(5, "x", "WATCH", None)]
    assert all(type(e[0]) is int and type(e[1]) is str and type(e[2]) is str for e in index.events("u1"))
    assert index.events("nobody") == [] and index.user_events("nobody") == []


def test_events_is_a_copy() -> None:
    index = HistoryIndex(BULK, [_event("u1", "live", 99)])
    index.events("u1").clear()
    index.events("u2").clear()
    assert len(index.events("u1")) == 4 and len(index.events("u2")) == 1


def test_equal_timestamps_keep_file_order_and_live_events_go_after_them() -> None:
    bulk = pd.DataFrame(
        {"USER_ID": ["u", "v", "u", "u"], "ITEM_ID": ["late", "other", "tie-1", "tie-2"], "TIMESTAMP": [9, 1, 5, 5]}
    )
    index = HistoryIndex(bulk, [_event("u", "live-tie", 5), _event("u", "live-first", 1)])
    assert index.items("u") == ["live-first", "tie-1", "tie-2", "live-tie", "late"]
    index.add(_event("u", "live-last", 10))
    assert index.items("u") == ["live-first", "tie-1", "tie-2", "live-tie", "late", "live-last"]
    assert index.items("v") == ["other"]


def test_missing_event_type_and_value_columns() -> None:
    bulk = pd.DataFrame({"USER_ID": ["u", "u"], "ITEM_ID": ["a", "b"], "TIMESTAMP": [2, 1]})
    index = HistoryIndex(bulk, [])
    assert index.events("u") == [(1, "b", "", None), (2, "a", "", None)]
    assert index.items("u", keep=lambda e: e[3] is None) == ["b", "a"]


def test_numeric_looking_ids_are_looked_up_as_strings() -> None:
    bulk = pd.DataFrame({"USER_ID": [7, 42, 7], "ITEM_ID": [100, 200, 300], "TIMESTAMP": [1, 2, 3]})
    index = HistoryIndex(bulk, [_event("42", "live", 5)])
    assert index.items("7") == ["100", "300"]
    assert index.items("42") == ["200", "live"]
    assert index.items("007") == [] and index.items("7.0") == []
    mixed = pd.DataFrame(
        {"USER_ID": pd.Series([1, "1", "01"], dtype=object), "ITEM_ID": ["a", "b", "c"], "TIMESTAMP": [3, 2, 1]}
    )
    index = HistoryIndex(mixed, [])
    assert index.items("1") == ["b", "a"]  # 1 and "1" are the same user, as they were with astype(str)
    assert index.items("01") == ["c"]


def test_keep_sees_event_types_and_values_of_bulk_and_live_events() -> None:
    index = HistoryIndex(BULK, [_event("u1", "live-high", 15, "RATING", 8.0), _event("u1", "live-low", 16, "RATING")])
    keep = lambda e: e[2].lower() == "rating" and e[3] is not None and e[3] >= 5  # noqa: E731
    assert index.items("u1", keep=keep) == ["live-high", "b"]
    assert index.items("u2", keep=keep) == []


def test_shuffled_bulk_of_many_users_matches_a_pandas_reference() -> None:
    """More than 65,536 users in shuffled rows: the two-digit counting sort and the per-user timestamp order."""
    rng = np.random.default_rng(3)
    n_rows, n_users = 200_000, 90_000
    bulk = pd.DataFrame(
        {
            "USER_ID": pd.Series([f"user-{u}" for u in rng.integers(0, n_users, n_rows)], dtype="str"),
            "ITEM_ID": pd.Series([f"item-{i}" for i in rng.integers(0, 500, n_rows)], dtype="str"),
            "TIMESTAMP": rng.integers(0, 50, n_rows),  # many ties: file order must break them
            "EVENT_TYPE": rng.choice(["RATING", "WATCHING"], n_rows),
            "EVENT_VALUE": np.where(rng.random(n_rows) < 0.3, np.nan, rng.integers(1, 11, n_rows)),
        }
    )
    assert bulk["USER_ID"].nunique() > 0x10000  # user codes need both 16-bit digits
    histories = BulkHistories(bulk)
    assert len(histories) == n_rows
    reference = bulk.sort_values("TIMESTAMP", kind="stable").groupby("USER_ID", sort=False)
    for user in rng.choice(bulk["USER_ID"].unique(), 300, replace=False):
        rows = reference.get_group(user)
        expected = [
            (int(t), i, e, None if np.isnan(v) else float(v))
            for t, i, e, v in zip(
                rows["TIMESTAMP"], rows["ITEM_ID"], rows["EVENT_TYPE"], rows["EVENT_VALUE"], strict=True
            )
        ]
        assert histories.events(user) == expected
        assert histories.items(user) == [e[1] for e in expected]


def test_concurrent_adds_and_reads_lose_no_event() -> None:
    index = HistoryIndex(BULK, [])
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for k in range(200):
                index.add(_event("u1", f"w{worker}-{k}", 100 + k))
                assert index.items("u1")[:3] == ["a", "b", "c"]
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    events = index.events("u1")
    assert len(events) == 3 + 4 * 200
    assert [e[0] for e in events] == sorted(e[0] for e in events)


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
