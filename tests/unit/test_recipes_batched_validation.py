"""The batched scoring helpers User-Personalization's validation uses give what the per-row functions give."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from personalize_local.idcodes import sorted_codes
from personalize_local.metrics import TestUser as HeldOutUser
from personalize_local.metrics import aggregate, choose_test_users, ndcg_personalize
from personalize_local.recipes.algorithms import ScoringCore
from personalize_local.recipes.building_blocks import top_k, top_k_rows
from personalize_local.recipes.sequence import (
    RECENT_EVENTS,
    RECENT_HALF_LIFE,
    SequenceComponents,
    next_item_scores,
    next_item_scores_many,
)
from personalize_local.recipes.user_personalization import (
    InferenceOptions,
    ValidationSet,
    _ndcg10_coverage,
    _ndcg_table,
    log_probabilities,
    log_probabilities_matrix,
    seen_matrix,
)
from tests.support.fuzzing import fuzz_settings

#: Few distinct values, so rows are full of ties; infinities at both ends.
TIED_SCORES = st.sampled_from([-np.inf, -1.0, 0.0, 0.5, 1.0, 2.0, np.inf])


@st.composite
def score_matrices(draw: st.DrawFn) -> np.ndarray:
    """Small (rows × items) score matrices with ties, -inf and +inf."""
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 80)))
    return draw(arrays(np.float64, shape, elements=TIED_SCORES | st.floats(-5, 5)))


@fuzz_settings(max_examples=200)
@given(scores=score_matrices(), k=st.integers(0, 45))
def test_top_k_rows_gives_each_rows_top_k(scores: np.ndarray, k: int) -> None:
    """Same positions in the same order as top_k per row, ties (lower position first) and infinities included."""
    batched = top_k_rows(scores, k)
    assert len(batched) == len(scores)
    for row, positions in zip(scores, batched, strict=True):
        expected = top_k(row, k)
        assert positions.dtype == expected.dtype
        np.testing.assert_array_equal(positions, expected)


def test_top_k_rows_mixes_full_and_short_rows() -> None:
    """A row with fewer finite scores than k is cut short like top_k's, the others come out whole."""
    scores = np.array([[3.0, 1.0, 3.0, 2.0], [-np.inf, 1.0, -np.inf, -np.inf], [0.0, 0.0, 0.0, 0.0]])
    assert [p.tolist() for p in top_k_rows(scores, 2)] == [[0, 2], [1], [0, 1]]


def _reference_log_probabilities(z: np.ndarray, seen: np.ndarray, repeat_share: float | None) -> np.ndarray:
    """The per-row formula before batching: each group's log-softmax over its own (compressed) items."""

    def over(mask: np.ndarray) -> np.ndarray:
        sub = z[mask]
        top = sub.max()
        return sub - (top + np.log(np.exp(sub - top).sum()))

    mask = np.zeros(len(z), dtype=bool)
    mask[seen] = True
    if repeat_share is None or not mask.any() or mask.all():
        return over(np.ones(len(z), dtype=bool))
    r = min(max(repeat_share, 1e-6), 1 - 1e-6)
    out = np.empty_like(z)
    out[mask] = np.log(r) + over(mask)
    out[~mask] = np.log1p(-r) + over(~mask)
    return out


@fuzz_settings(max_examples=100)
@given(
    logits=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 30)), elements=st.floats(-20, 20)),
    data=st.data(),
    repeat_share=st.none() | st.floats(0.0, 1.0),
)
def test_log_probabilities_matrix_matches_each_row(
    logits: np.ndarray, data: st.DataObject, repeat_share: float | None
) -> None:
    """Each row is log_probabilities of that row: the same floats for a plain log-softmax, up to the order the
    exponentials of a group are added in for the repeat mixture (the row function sums each group on its own, the
    matrix one the unseen items over whole rows with the seen ones at 0, and the seen ones in order). The row
    function is the per-group formula, float for float."""
    seen = data.draw(arrays(np.bool_, logits.shape))
    batched = log_probabilities_matrix(logits, seen, repeat_share)
    for row, mask, got in zip(logits, seen, batched, strict=True):
        positions = np.flatnonzero(mask)
        alone = log_probabilities(row, positions, repeat_share)
        np.testing.assert_array_equal(alone, _reference_log_probabilities(row, positions, repeat_share))
        if repeat_share is None or mask.all() or not mask.any():
            np.testing.assert_array_equal(got, alone)
        else:
            np.testing.assert_allclose(got, alone, rtol=1e-12, atol=1e-12)


def test_plain_log_softmax_is_bit_identical_to_the_per_row_formula() -> None:
    """Without the repeat mixture every item is summed, in the same order as the former per-row code."""
    logits = np.random.default_rng(3).normal(size=(4, 1000)) * 7
    seen = np.zeros(logits.shape, dtype=bool)
    got = log_probabilities_matrix(logits, seen, None)
    for row, expected in zip(got, logits, strict=True):
        np.testing.assert_array_equal(row, _reference_log_probabilities(expected, np.empty(0, np.int64), None))


def _reference_next_item_scores(transitions: sp.csr_matrix, history_codes: np.ndarray) -> np.ndarray:
    """next_item_scores as one history's sparse product (the formula before batching)."""
    recent = history_codes[-RECENT_EVENTS:][::-1]
    if len(recent) == 0:
        return np.zeros(transitions.shape[0], dtype=np.float64)
    weights = 0.5 ** (np.arange(len(recent)) / RECENT_HALF_LIFE)
    scores = np.asarray(transitions[recent].T @ weights).ravel().astype(np.float64)
    top = scores.max() if len(scores) else 0.0
    return scores / top if top > 0 else scores


def _transitions(n: int, seed: int) -> sp.csr_matrix:
    counts = sp.random(n, n, density=0.3, random_state=seed, dtype=np.float32).tocsr()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    return sp.diags((1.0 / totals).astype(np.float32)).dot(counts).tocsr().astype(np.float32)


@fuzz_settings(max_examples=60)
@given(
    n=st.integers(1, 12),
    seed=st.integers(0, 1000),
    lengths=st.lists(st.integers(0, 9), min_size=1, max_size=6),
    data=st.data(),
)
def test_next_item_scores_many_equals_each_history(n: int, seed: int, lengths: list[int], data: st.DataObject) -> None:
    """Bit-identical to one history at a time, repeated items and empty histories included."""
    transitions = _transitions(n, seed)
    histories = [np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))) for k in lengths]
    batched = next_item_scores_many(transitions, histories)
    assert batched.shape == (len(histories), n)
    for history, row in zip(histories, batched, strict=True):
        np.testing.assert_array_equal(row, _reference_next_item_scores(transitions, history))
        np.testing.assert_array_equal(row, next_item_scores(transitions, history))


def test_apply_many_equals_apply_per_row() -> None:
    """The batched sequence components add to each row what apply adds to it alone."""
    rng = np.random.default_rng(5)
    components = SequenceComponents(_transitions(8, 1), rng.normal(size=8))
    raw = rng.normal(size=(3, 8))
    histories = [np.array([1, 2, 1, 5]), np.array([], dtype=np.int64), np.array([7])]
    batched = components.apply_many(raw, histories, 0.3, 0.2)
    for r, history in enumerate(histories):
        np.testing.assert_array_equal(batched[r], components.apply(raw[r], history, 0.3, 0.2))
    assert components.apply_many(raw, histories, 0.0, 0.0) is raw


def test_seen_matrix_marks_each_history() -> None:
    seen = seen_matrix([np.array([2, 0, 2]), np.array([], dtype=np.int64)], 4)
    assert seen.tolist() == [[True, False, True, False], [False] * 4]


class _CountingCore(ScoringCore):
    """Scores = the history's weights times 10 (plus the position), counting score_batch calls."""

    kind = "counting"

    def __init__(self, n_items: int) -> None:
        self._n = n_items
        self.calls = 0

    def score_batch(self, histories: sp.csr_matrix) -> np.ndarray:
        self.calls += 1
        return (histories.toarray() * 10 + np.arange(self._n)).astype(np.float32)

    @property
    def n_items(self) -> int:
        return self._n

    def arrays(self) -> dict[str, np.ndarray]:
        return {}


def test_validation_set_scores_each_core_and_half_life_once() -> None:
    """Options that do not change the raw scores (repeat share, sequence weights) reuse them."""
    item_ids = np.array([f"i{k}" for k in range(5)], dtype=object)
    users = [HeldOutUser("u1", ["i1", "i2", "i1"], frozenset({"i3"})), HeldOutUser("u2", ["i4"], frozenset({"i0"}))]
    validation = ValidationSet(item_ids, users, np.zeros(5, dtype=bool))
    core, other = _CountingCore(5), _CountingCore(5)
    sequence = SequenceComponents(_transitions(5, 2), np.linspace(-1, 1, 5))
    first = validation.raw(core, InferenceOptions(8.0))
    assert not first.flags.writeable
    assert validation.raw(core, InferenceOptions(8.0, repeat_share=0.2)) is first
    lifted = validation.raw(core, InferenceOptions(8.0, transition_weight=0.5, late_lift_weight=0.1), sequence)
    expected = [sequence.apply(first[r], validation.histories[r], 0.5, 0.1) for r in range(len(users))]
    np.testing.assert_array_equal(lifted, np.stack(expected))
    validation.raw(core, InferenceOptions(0.0))
    assert core.calls == 2
    validation.raw(other, InferenceOptions(8.0))
    validation.raw(core, InferenceOptions(8.0))
    assert (core.calls, other.calls) == (3, 1)


def _reference_test_user_mask(user_column: pd.Series, seed: int) -> np.ndarray:
    """choose_test_users as it was: the permuted eligible ids matched back by object ``np.isin``."""
    codes, ids = sorted_codes(user_column)
    sizes = np.bincount(codes[codes >= 0], minlength=len(ids))
    eligible = ids[sizes >= 2]
    n_test = min(len(eligible), max(1, math.floor(0.1 * len(ids) + 0.5)))
    is_test_user = np.isin(ids, np.random.default_rng(seed).permutation(eligible)[:n_test])
    return (codes >= 0) & is_test_user[np.maximum(codes, 0)] if len(ids) else np.zeros(len(codes), dtype=bool)


@fuzz_settings(max_examples=100)
@given(users=st.lists(st.integers(0, 40).map(lambda u: f"user-{u}"), max_size=120), seed=st.integers(0, 5))
def test_choose_test_users_picks_the_same_users_as_by_id(users: list[str], seed: int) -> None:
    """Shuffling the eligible users' codes instead of their ids draws the same users (same shuffle, same length)."""
    column = pd.Series(users, dtype=object)
    np.testing.assert_array_equal(choose_test_users(column, seed), _reference_test_user_mask(column, seed))


@fuzz_settings(max_examples=60)
@given(
    logits=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 40)), elements=TIED_SCORES),
    data=st.data(),
)
def test_ndcg10_coverage_equals_aggregate_of_the_top_25_lists(logits: np.ndarray, data: st.DataObject) -> None:
    """The validation score is aggregate's NDCG@10 and coverage of the per-row top_k lists, to the last digit."""
    n_users, n_items = logits.shape
    logits = np.where(np.isposinf(logits), 3.0, logits)  # log-probabilities are never +inf
    item_ids = np.array([f"i{k:02d}" for k in range(n_items)], dtype=object)
    truths = [
        frozenset(data.draw(st.lists(st.sampled_from([*item_ids.tolist(), "unknown"]), min_size=1, max_size=8)))
        for _ in range(n_users)
    ]
    users = [HeldOutUser(f"u{r}", [], truth) for r, truth in enumerate(truths)]
    validation = ValidationSet(item_ids, users, np.zeros(n_items, dtype=bool))
    lists = [item_ids[top_k(row, 25)].tolist() for row in logits]
    expected = aggregate(lists, truths, n_items)
    assert _ndcg10_coverage(logits, validation) == (
        expected["normalized_discounted_cumulative_gain_at_10"],
        expected["coverage"],
    )


def test_ndcg_table_holds_ndcg_personalize_of_each_pattern() -> None:
    table = _ndcg_table()
    assert len(table) == 1024
    assert table[0b0000010010] == ndcg_personalize([False, True, False, False, True] + [False] * 5, 10)


def test_log_probabilities_of_an_empty_catalogue_is_empty() -> None:
    assert log_probabilities(np.empty(0), np.empty(0, np.int64), None).shape == (0,)
    assert log_probabilities_matrix(np.empty((2, 0)), np.empty((2, 0), dtype=bool), 0.5).shape == (2, 0)
