"""The one-ahead background producer used by both passes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anime_recommender.prepare_data.prefetch import prefetched


def test_order_is_preserved() -> None:
    assert list(prefetched(iter(range(1000)), depth=3)) == list(range(1000))


def test_producer_error_reaches_the_consumer_after_the_good_items() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("bad block")

    seen = []
    with pytest.raises(ValueError, match="bad block"):
        for item in prefetched(items()):
            seen.append(item)
    assert seen == [1, 2]


def test_consumer_leaving_early_closes_the_producer() -> None:
    closed = []

    def items() -> Iterator[int]:
        try:
            yield from range(10_000)
        finally:
            closed.append(True)

    stream = prefetched(items())
    assert next(stream) == 0
    stream.close()
    assert closed == [True]
