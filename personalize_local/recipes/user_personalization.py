"""``aws-user-personalization`` and ``aws-personalized-ranking``: a personalised model with softmax scores.

Training ("choosing the algorithm", as Personalize does internally):

1. Users outside the [min, max]_user_history_length_percentile band are left out.
2. Validation users are drawn from the training users with Personalize's protocol (10% of them, at most
   :data:`MAX_VALIDATION_USERS`, newest 10% of a validation user's interactions as truth) — the evaluation's test
   users are never seen here. The other training users are the fit users; above
   :data:`SELECTION_MAX_INTERACTIONS` interactions a seeded sample of them (about that many interactions).
3. Candidates are fitted on the fit users: EASE at two regularisation strengths when the catalogue is small
   enough (≤ 20k items and memory allows), and iALS (``implicit``) with ``hidden_dimension`` factors. Each is
   scored on the validation users with and without two inference options: recency weighting of the history
   (only when ``recency_mask`` is true; half-life ``bptt`` events) and demotion of items the user already has
   (by the repeat rate observed in the data). The widest coverage within :data:`NDCG_TOLERANCE` of the best
   NDCG@10 wins.
4. Sequence levers, because AWS's User-Personalization is HRNN-based — a recurrent model over the ordered history
   that "takes ordered user histories and automatically weights them"
   (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-hrnn.html; User-Personalization "improves upon
   and unifies the functionality offered by the HRNN recipes",
   https://docs.aws.amazon.com/personalize/latest/dg/legacy-user-personalization-recipes.html): the next-item
   transition weight (:data:`TRANSITION_GRID`), then — after the softmax temperature is fitted on the validation
   users (maximum likelihood of their truth items) — the late-interaction lift weight (:data:`LATE_LIFT_GRID`) and
   the inverse-propensity discount β (:data:`POPULARITY_PENALTY_GRID`, log-scores minus ``β·log(1 + count)``)
   together. Each lever is chosen by :func:`choose_lever`: coverage is bought only with validation NDCG@10 above
   :data:`ACCURACY_FLOOR` × the best plain candidate's, otherwise the most accurate setting wins when it gains at
   least :data:`LEVER_MIN_GAIN`. The sequence components are tried only with at least
   :data:`MIN_SEQUENCE_VALIDATION_USERS` validation users. The winner is then refitted on all training users (see
   :mod:`~personalize_local.recipes.sequence` for the components): an iALS winner starts from the item factors it
   was fitted with on the fit users and runs :data:`REFIT_ITERATIONS` sweeps (EASE is closed form and fits anew).
   Everything chosen is recorded in ``hyperparameters`` (``local_*``).

Serving: scores are a softmax over the full catalogue (they sum to 1). Users are always scored from their history
(bulk + live events, folded in without retraining); a user without known history gets the popularity
distribution. Items without training interactions rank after every known item unless exploration surfaces them.
Recommendations do not remove items the user already has (Personalize does not either; use a filter) — the
learned repeat demotion only lowers them when the data says users rarely repeat.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from personalize_local.metrics import TOP_K, TestUser, choose_test_users, ndcg_personalize, test_users_of
from personalize_local.recipes import hyperparameters as hp
from personalize_local.recipes.algorithms import (
    CoOccurrence,
    EaseCore,
    IalsCore,
    ScoringCore,
    co_occurrence,
    ease_feasible,
    load_core,
)
from personalize_local.recipes.base import (
    ExplorationConfig,
    HyperParameter,
    Recipe,
    RecipeType,
    Scored,
    TrainedModel,
    TrainingData,
)
from personalize_local.recipes.building_blocks import (
    ROW_BLOCK,
    InteractionMatrix,
    ItemLookup,
    item_index,
    item_universe,
    load_model,
    row_blocks,
    save_model,
    sparse_arrays,
    sparse_from_arrays,
    top_k,
    top_k_rows,
    trim_users,
)
from personalize_local.recipes.context import ContextModel
from personalize_local.recipes.exploration import (
    DAY_SECONDS,
    exploration_positions,
    item_creation_times,
    item_features,
    merge,
    rank_explorable,
)
from personalize_local.recipes.sequence import SequenceComponents, next_item_scores_many

HRNN_HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    HyperParameter("hidden_dimension", "int", "149", 32, 256),
    HyperParameter("bptt", "int", "32", 2, 32),
    HyperParameter("recency_mask", "bool", "True"),
    HyperParameter("min_user_history_length_percentile", "float", "0.0", 0.0, 1.0, tunable=False),
    HyperParameter("max_user_history_length_percentile", "float", "0.99", 0.0, 1.0, tunable=False),
)

#: EASE (λ as a multiple of the mean Gram diagonal, degree-normalisation exponent γ); iALS (regularization, alpha,
#: iterations) with ``hidden_dimension`` factors. Larger catalogues try fewer EASE settings (each is an inversion).
EASE_SETTINGS = ((1.0, 0.5), (4.0, 0.5), (4.0, 0.25), (4.0, 0.0))
EASE_SETTINGS_LARGE = ((1.0, 0.5), (4.0, 0.25))
EASE_LARGE_ITEMS = 4000
IALS_SETTINGS = ((1.0, 16.0, 15),)
IALS_SETTINGS_LARGE = ((1.0, 16.0, 15), (1.0, 4.0, 15))
#: Sweeps of an iALS fit on all training users that starts from item factors fitted on part of them: the final fit
#: of a training starts from the winning candidate's factors (fitted on the fit users, or their sample), the served
#: model of a solution version from the evaluation model's (:meth:`UserPersonalizationRecipe.train_served`, 90% of
#: the same users). On a 1/4 full-size slice 3 sweeps from the sample's factors reach the from-scratch fit's
#: NDCG@10 (15 sweeps from random factors) at a quarter of its time (docs/recipes-and-metrics.md).
REFIT_ITERATIONS = 4
#: The served model reuses the evaluation's choices only when at least this many validation users made them. On
#: fewer, one validation user moves NDCG@10 by a percent or more and the choice itself is noisy (on an 80-user data
#: set the 72 evaluation users' 7 validation users chose iALS where all 80 users' 8 chose EASE, and a drama fan's
#: top 10 went from 10 dramas to 6); training then costs seconds anyway, so it validates again on all users.
REUSE_MIN_VALIDATION_USERS = 1000
#: Among candidates whose validation NDCG@10 is within this share of the best, the widest coverage wins.
NDCG_TOLERANCE = 0.02
#: The levers added to the chosen candidate (sequence components, popularity penalty) trade accuracy for
#: coverage only while the validation NDCG@10 stays at least this multiple of the best plain candidate's (see
#: :func:`choose_lever`): a margin over what a tuned EASE / iALS reaches that validation noise does not eat.
ACCURACY_FLOOR = 1.10
#: Below that floor a lever is turned on only when it raises the validation NDCG@10 by at least this share.
LEVER_MIN_GAIN = 0.01
#: The sequence components are tried only with at least this many validation users: on fewer, one user's list
#: moves NDCG@10 by 5% or more, and a component would be switched on by what a handful of histories end with.
MIN_SEQUENCE_VALIDATION_USERS = 20
MAX_VALIDATION_USERS = 2000
#: Candidates are compared on a seeded sample of the fit users holding about this many interactions (all of them
#: below it): at full size (58M ratings) each candidate then fits in seconds instead of the final fit's minutes.
SELECTION_MAX_INTERACTIONS = 5_000_000
RECENCY_FLOOR = 0.2
#: Transition weights tried by sequence-aware recipes, as multiples of the validation scores' standard deviation.
TRANSITION_GRID = (0.25, 0.5, 1.0, 2.0)
#: Late-interaction lift weights tried, in the same units.
LATE_LIFT_GRID = (0.25, 0.5, 1.0, 2.0, 4.0)
TEMPERATURE_GRID = np.logspace(-2.5, 1.0, 22)
#: Inverse-propensity strengths β tried after calibration (see :func:`popularity_discount`); 0 always competes.
POPULARITY_PENALTY_GRID = (0.0, 0.05, 0.1, 0.2, 0.3)
#: The batch methods (``recommend_many``, ``rank_unseen_many``: the offline metrics) score as many users together as
#: fit one (users × catalogue) float64 matrix in this many bytes (at least one user): 59 users at 17.5k items, 524 at
#: 2,000. A block holds a few such matrices at once, whatever the number of users. Larger blocks were no faster on a
#: 1/16 slice of the full-size data (each step is a pass over the block, which then no longer stays in cache).
USER_BLOCK_BYTES = 8 * 2**20


@dataclass(frozen=True)
class InferenceOptions:
    """How a history becomes scores.

    ``recency_half_life``: history weights halve every that many events back (0 = all events weigh the same).
    ``repeat_share``: None = one softmax over every item; a number r = a mixture in which the user's own items
    share probability r and all other items share 1 - r (each group keeps the model's softmax inside it). With r
    at the data's repeat rate, a catalogue nobody re-rates ranks a user's own items after everything else.
    ``transition_weight``: see :mod:`personalize_local.recipes.sequence`.
    """

    recency_half_life: float = 0.0
    repeat_share: float | None = None
    #: Weight, in raw-score units, of the next-item transition component (0 = off).
    transition_weight: float = 0.0
    #: β of the inverse-propensity discount: after calibration every item's log-probability drops by
    #: ``β · log(1 + training users of the item)`` (0 = off; see :func:`popularity_discount`).
    popularity_penalty: float = 0.0
    #: Weight, in raw-score units, of the late-interaction lift (0 = off; see
    #: :func:`~personalize_local.recipes.sequence.late_interaction_lift`).
    late_lift_weight: float = 0.0


K = TypeVar("K")


def history_weights(n: int, half_life: float) -> np.ndarray:
    """Weights of a history of ``n`` events, oldest first (1 for the newest)."""
    if half_life <= 0:
        return np.ones(n, dtype=np.float32)
    age = np.arange(n - 1, -1, -1, dtype=np.float64)
    return np.maximum(RECENCY_FLOOR, 0.5 ** (age / half_life)).astype(np.float32)


def collapse(positions: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique positions with the weight of their most recent occurrence."""
    rev_pos, rev_w = positions[::-1], weights[::-1]
    unique, first = np.unique(rev_pos, return_index=True)
    return unique, rev_w[first]


def histories_matrix(lookup: ItemLookup, histories: Sequence[Sequence[str]], n_items: int, half_life: float):
    """CSR (users × items) of weighted histories plus each row's known positions."""
    indptr, indices, data, rows = [0], [], [], []
    for history in histories:
        codes = lookup.codes(history)
        pos, w = collapse(codes, history_weights(len(codes), half_life))
        indices.append(pos)
        data.append(w)
        rows.append(pos)
        indptr.append(indptr[-1] + len(pos))
    matrix = sp.csr_matrix(
        (
            np.concatenate(data) if data else np.empty(0, np.float32),
            np.concatenate(indices) if indices else np.empty(0, np.int64),
            np.array(indptr),
        ),
        shape=(len(histories), n_items),
    )
    return matrix, rows


def fix_cold(raw: np.ndarray, cold: np.ndarray) -> np.ndarray:
    """Items without training interactions get the row minimum of the known items (rank last)."""
    if cold.any() and (~cold).any():
        raw = raw.copy()
        floor = raw[..., ~cold].min(axis=-1, keepdims=True)
        raw[..., cold] = np.broadcast_to(floor, raw[..., cold].shape)
    return raw


MIN_REPEAT_SHARE = 1e-6


def _log_normalisers(z: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Per row of ``z`` (along its last axis), ``max + log Σ exp(z - max)``; ``scratch``: an array of z's shape to
    work in (``z`` itself when it may be overwritten)."""
    top = z.max(axis=-1, keepdims=True)
    np.subtract(z, top, out=scratch)
    return top + np.log(np.exp(scratch, out=scratch).sum(axis=-1, keepdims=True))


def log_probabilities_matrix(logits: np.ndarray, seen: np.ndarray | None, repeat_share: float | None) -> np.ndarray:
    """:func:`log_probabilities` of every row of ``logits`` (rows × items); ``seen``: boolean (rows × items) mask of
    each row's own items (may be None without ``repeat_share``). A row whose seen items are none or all gets the plain
    log-softmax."""
    z = np.asarray(logits, dtype=np.float64)
    out = np.empty_like(z)
    for block in row_blocks(len(z)):
        _log_probabilities_block(z[block], None if seen is None else seen[block], repeat_share, out[block])
    return out


def log_probability_rows(z: np.ndarray, positions: Sequence[np.ndarray], repeat_share: float | None) -> np.ndarray:
    """:func:`log_probabilities` of every row of ``z`` (float64, rows × items) with that row's own item
    ``positions``, float for float: without the repeat mixture a block of rows at a time
    (:func:`log_probabilities_matrix`, the same floats), with it row by row (the matrix version adds each group's
    exponentials up in another order: its last bits may differ, and a list built from them could break a tie
    differently from what serving returns)."""
    if repeat_share is None:
        return log_probabilities_matrix(z, None, None)
    out = np.empty_like(z)
    for row, seen in enumerate(positions):
        out[row] = log_probabilities(z[row], seen, repeat_share)
    return out


def _log_probabilities_block(
    z: np.ndarray, seen: np.ndarray | None, repeat_share: float | None, out: np.ndarray
) -> None:
    """Write :func:`log_probabilities_matrix` of a few rows ``z`` (float64) into ``out`` (their shape, not ``z``)."""
    if z.shape[1] == 0:
        return
    if repeat_share is None or seen is None:
        mixed = np.zeros(len(z), dtype=bool)
    else:
        mixed = seen.any(axis=1) & ~seen.all(axis=1)
    if not mixed.any():
        np.subtract(z, _log_normalisers(z, out), out=out)  # as _log_softmax, without the scratch array
    elif mixed.all():
        _repeat_mixture(z, seen, repeat_share, out)
    else:
        for rows, mixture in ((np.flatnonzero(~mixed), False), (np.flatnonzero(mixed), True)):
            part = np.empty((len(rows), z.shape[1]))
            _log_probabilities_block(z[rows], seen[rows], repeat_share if mixture else None, part)
            out[rows] = part


def _repeat_mixture(z: np.ndarray, seen: np.ndarray, repeat_share: float, out: np.ndarray) -> None:
    """Write the repeat mixture (see :class:`InferenceOptions`) of rows ``z`` that each have seen and unseen items into
    ``out``: each group's log-softmax plus the log of its share. The seen items (few) are normalised on their own."""
    own_share, other_share = _log_shares(repeat_share)
    row, col = np.nonzero(seen)  # every row has some, so row i's values start at starts[i]
    own = z[row, col]
    starts = np.r_[0, np.flatnonzero(np.diff(row)) + 1]
    top = np.maximum.reduceat(own, starts)
    seen_norm = top + np.log(np.add.reduceat(np.exp(own - top[row]), starts))
    np.copyto(out, z)
    out[row, col] = -np.inf
    unseen_norm = _log_normalisers(out, out)
    np.subtract(z, unseen_norm, out=out)
    out += other_share
    out[row, col] = own_share + (own - seen_norm[row])


def log_probabilities(logits: np.ndarray, seen: np.ndarray, repeat_share: float | None) -> np.ndarray:
    """Log-probabilities over the catalogue: a plain log-softmax, or the repeat mixture (see InferenceOptions).

    ``seen``: the positions of the user's own items. What :func:`log_probabilities_matrix` gives for one row, from
    the same helpers, without its batching overhead (serving scores one user at a time).
    """
    z = logits.astype(np.float64)
    mask = np.zeros(len(z), dtype=bool)
    mask[seen] = True
    if repeat_share is None or not mask.any() or mask.all():
        return _log_softmax(z)
    own_share, other_share = _log_shares(repeat_share)
    out = np.empty_like(z)
    out[mask] = own_share + _log_softmax(z[mask])
    out[~mask] = other_share + _log_softmax(z[~mask])
    return out


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """Log-softmax of ``z`` (float64) along its last axis (an empty catalogue stays empty)."""
    return z - _log_normalisers(z, np.empty_like(z)) if z.shape[-1] else z.copy()


def _log_shares(repeat_share: float) -> tuple[float, float]:
    """Log of the probability the repeat mixture gives the user's own items and the others (clamped away from 0)."""
    r = min(max(repeat_share, MIN_REPEAT_SHARE), 1 - MIN_REPEAT_SHARE)
    return np.log(r), np.log1p(-r)


def popularity_discount(train_counts: np.ndarray, beta: float) -> np.ndarray | None:
    """Per-item log-score discount ``β · log(1 + count)`` (inverse propensity with propensity ∝ count^β).

    Items without training interactions get the largest discount, so they still rank after every trained item.
    None when β is 0.
    """
    if beta <= 0:
        return None
    discount = beta * np.log1p(train_counts.astype(np.float64))
    if len(discount):
        discount[train_counts == 0] = discount.max()
    return discount


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax along the last axis (float64)."""
    z = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class UserPersonalizationModel(TrainedModel):
    """A scoring core (EASE or iALS) plus temperature, inference options and exploration data."""

    recipe_type: ClassVar[RecipeType] = "USER_PERSONALIZATION"
    #: Score of ``rank`` input items that were not in training (appended last). Personalized-Ranking: "If an item
    #: wasn't present during the latest training, it receives a score of 0"
    #: (https://docs.aws.amazon.com/personalize/latest/dg/rankings.html); the v2 models return no score.
    untrained_rank_score: ClassVar[float | None] = 0.0

    def __init__(
        self,
        item_ids: np.ndarray,
        core: ScoringCore,
        temperature: float,
        options: InferenceOptions,
        train_counts: np.ndarray,
        created: np.ndarray,
        latest: float,
        features: sp.csr_matrix | None,
        hyperparameters: Mapping[str, str],
        transitions: sp.csr_matrix | None = None,
        context_model: ContextModel | None = None,
        late_lift: np.ndarray | None = None,
    ) -> None:
        self._item_ids = item_ids
        self.core = core
        self.temperature = temperature
        self.options = options
        self.train_counts = train_counts
        self.cold = train_counts == 0
        self.created = created
        self.latest = latest
        self.features = features
        self.hyperparameters = dict(hyperparameters)
        self._lookup = ItemLookup(item_ids)
        self._prior = np.log(train_counts.astype(np.float64) + 1.0)
        self._discount = popularity_discount(train_counts, options.popularity_penalty)
        self.transitions = transitions
        self.late_lift = late_lift
        self.sequence = SequenceComponents(transitions, late_lift)
        self.context_model = context_model

    @property
    def item_ids(self) -> np.ndarray:
        """Every item (sorted ids), in mask order."""
        return self._item_ids

    def with_options(self, options: InferenceOptions) -> UserPersonalizationModel:
        """The same trained model served with other inference ``options`` (e.g. another popularity penalty)."""
        return type(self)(
            self._item_ids,
            self.core,
            self.temperature,
            options,
            self.train_counts,
            self.created,
            self.latest,
            self.features,
            self.hyperparameters,
            self.transitions,
            self.context_model,
            self.late_lift,
        )

    def logits(
        self, history: Sequence[str], context: Mapping[str, str] | None = None, repeat_mixture: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log-probabilities over the catalogue for ``history`` (oldest first) and the known history positions.

        ``context`` adds the context model's log-lift (see :mod:`~personalize_local.recipes.context`);
        ``repeat_mixture=False`` leaves out the demotion of the user's own items (ranking orders by taste alone).
        """
        codes = self._lookup.codes(history)
        lift = self.context_model.lift(context) if self.context_model is not None else None
        if len(codes) == 0:
            return self._prior_logits(lift), codes
        positions, weights = self._weighted(codes)
        raw = self.sequence.apply(
            fix_cold(self.core.score_one(positions, weights), self.cold).astype(np.float64),
            codes,
            self.options.transition_weight,
            self.options.late_lift_weight,
        )
        z = self._calibrated(raw, lift)
        return log_probabilities(z, positions, self.options.repeat_share if repeat_mixture else None), positions

    def logits_many(self, histories: Sequence[np.ndarray], repeat_mixture: bool = True) -> np.ndarray:
        """:meth:`logits` (without context) of each history, given as its known item positions
        (``ItemLookup.codes``), as one (histories × items) matrix: the same floats, row by row.

        The steps are :meth:`logits`' own on a block of rows — each history's core scores (``score_one``: the
        batched ``score_batch`` adds up in another order, so its last bits differ), then the cold floor, sequence
        components, calibration and log-probabilities of all rows together (:func:`fix_cold`,
        :meth:`SequenceComponents.apply_many`, :func:`log_probability_rows`, all tested equal to their one-row
        forms). Serving keeps the one-row path (a 1-row block costs more per request).
        """
        known = [row for row, codes in enumerate(histories) if len(codes)]
        if len(known) < len(histories) or not known:  # rows without known history: the prior, the others over it
            out = np.tile(self._prior_logits(None), (len(histories), 1))
            if known:
                out[known] = self.logits_many([histories[row] for row in known], repeat_mixture)
            return out
        codes = list(histories)
        weighted = [self._weighted(history) for history in codes]
        raw = fix_cold(np.stack([self.core.score_one(p, w) for p, w in weighted]), self.cold).astype(np.float64)
        raw = self.sequence.apply_many(raw, codes, self.options.transition_weight, self.options.late_lift_weight)
        z = self._calibrated(raw, None)
        del raw
        repeat_share = self.options.repeat_share if repeat_mixture else None
        return log_probability_rows(z, [positions for positions, _ in weighted], repeat_share)

    def _weighted(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A history's distinct known positions and their recency weights (:func:`collapse`,
        :func:`history_weights`)."""
        return collapse(codes, history_weights(len(codes), self.options.recency_half_life))

    def _calibrated(self, raw: np.ndarray, lift: np.ndarray | None) -> np.ndarray:
        """Raw scores (one row or rows × items, float64) over the temperature, plus the context ``lift``, minus the
        popularity discount: the logits the softmax normalises."""
        z = raw / self.temperature if lift is None else raw / self.temperature + lift
        if self._discount is not None:
            z -= self._discount  # z is a new array: the same floats as z - discount
        return z

    def _prior_logits(self, lift: np.ndarray | None) -> np.ndarray:
        """Log-probabilities of a user without known history: the popularity prior (plus the context ``lift``)."""
        prior = self._prior if lift is None else self._prior + lift
        return log_probabilities(prior, np.empty(0, dtype=np.int64), None)

    def _user_blocks(self, n_users: int) -> Iterator[slice]:
        """Blocks of users the batch methods score together (see :data:`USER_BLOCK_BYTES`)."""
        return row_blocks(n_users, max(1, USER_BLOCK_BYTES // (8 * max(1, len(self._item_ids)))))

    def recommend_many(self, histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        """:meth:`recommend`'s ids (no filter, exploration or context) of each history, a block of users at a time:
        :meth:`logits_many` and :func:`top_k_rows` (the lists and tie-break of :func:`top_k`)."""
        out: list[list[str]] = []
        for block in self._user_blocks(len(histories)):
            logits = self.logits_many([self._lookup.codes(history) for history in histories[block]])
            out += [self._item_ids[positions].tolist() for positions in top_k_rows(logits, k)]
        return out

    def recommend(
        self,
        history: Sequence[str],
        num_results: int,
        allowed: np.ndarray | None = None,
        exploration: ExplorationConfig | None = None,
        context: Mapping[str, str] | None = None,
    ) -> list[Scored]:
        """Top items by softmax score among ``allowed``, with exploration items interleaved when configured."""
        logits, positions = self.logits(history, context)
        probs = np.exp(logits)
        picked = top_k(logits, num_results, allowed).tolist()
        if exploration is not None and exploration.weight > 0 and num_results > 0:
            picked = self._explore(picked, logits, positions, num_results, allowed, exploration)
        return [(self._item_ids[p], float(probs[p])) for p in picked]

    def _explore(
        self,
        exploit: list[int],
        logits: np.ndarray,
        history: np.ndarray,
        num_results: int,
        allowed: np.ndarray | None,
        exploration: ExplorationConfig,
    ) -> list[int]:
        cutoff = self.latest - exploration.item_age_cutoff_days * DAY_SECONDS
        eligible = self.created >= cutoff
        if allowed is not None:
            eligible &= allowed
        eligible[history] = False
        eligible[exploit] = False
        candidates = rank_explorable(np.flatnonzero(eligible), self.features, history, logits, self.created)
        n_slots = len(exploration_positions(num_results, exploration.weight))
        return merge(exploit, candidates[:n_slots].tolist(), num_results, exploration.weight)

    def rank(
        self, history: Sequence[str], input_list: Sequence[str], context: Mapping[str, str] | None = None
    ) -> list[Scored]:
        """``input_list`` by the user's taste, softmax over its trained items (sums to 1).

        Items the model was not trained on (unknown ids and items without training interactions) follow in input
        order with :attr:`untrained_rank_score`. The repeat demotion of GetRecommendations does not apply: a
        ranking orders the caller's list by taste, whether or not the user already has some of its items.
        """
        unique = pd.unique(np.asarray(list(map(str, input_list)), dtype=object))  # first occurrence order
        positions = item_index(self._item_ids, unique)
        known = positions >= 0
        known[known] = ~self.cold[positions[known]]
        logits, _ = self.logits(history, context, repeat_mixture=False)
        known_logits = logits[positions[known]]
        probs = softmax(known_logits) if len(known_logits) else known_logits
        order = np.argsort(-known_logits, kind="stable")
        ranked: list[Scored] = list(zip(unique[known][order].tolist(), probs[order].tolist(), strict=True))
        ranked += [(u, self.untrained_rank_score) for u in unique[~known].tolist()]
        return ranked

    def rank_unseen(self, history: Sequence[str], k: int) -> list[str]:
        """:meth:`rank`'s first ``k`` over the catalogue minus ``history``, from one score vector: the trained
        unseen items by taste (ties by catalogue position, as ``rank``'s stable sort of catalogue-ordered input),
        then the untrained unseen ones in catalogue order."""
        logits, _ = self.logits(history, repeat_mixture=False)
        unseen = np.ones(len(self._item_ids), dtype=bool)
        unseen[self._lookup.codes(history)] = False
        return self._untrained_after(top_k(logits, k, unseen & ~self.cold), unseen, k)

    def rank_unseen_many(self, histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        """:meth:`rank_unseen` of each history, a block of users at a time: :meth:`logits_many` without the repeat
        mixture, seen and untrained items masked out as :func:`top_k`'s ``allowed`` does, :func:`top_k_rows`."""
        out: list[list[str]] = []
        for block in self._user_blocks(len(histories)):
            codes = [self._lookup.codes(history) for history in histories[block]]
            logits = self.logits_many(codes, repeat_mixture=False)
            unseen = ~seen_matrix(codes, len(self._item_ids))
            logits[~unseen | self.cold] = -np.inf
            out += [self._untrained_after(picked, unseen[row], k) for row, picked in enumerate(top_k_rows(logits, k))]
        return out

    def _untrained_after(self, picked: np.ndarray, unseen: np.ndarray, k: int) -> list[str]:
        """The ids of ``picked`` (trained unseen items, best first), then the untrained ``unseen`` ones in catalogue
        order up to ``k`` items (:meth:`rank` puts them last, in input order)."""
        if len(picked) < k:
            picked = np.concatenate([picked, np.flatnonzero(unseen & self.cold)[: k - len(picked)]])
        return self._item_ids[picked].tolist()

    def save(self, directory: Path) -> None:
        """Write the core, the calibration and the exploration data."""
        arrays = {
            "item_ids": self._item_ids,
            "train_counts": self.train_counts,
            "created": self.created,
            **self.core.arrays(),
        }
        if self.late_lift is not None:
            arrays["late_lift"] = self.late_lift
        for name, matrix in (("features", self.features), ("transitions", self.transitions)):
            if matrix is not None:
                arrays.update(sparse_arrays(name, matrix))
        if self.context_model is not None:
            arrays.update(self.context_model.arrays())
        meta = {
            "kind": self.core.kind,
            "temperature": self.temperature,
            "recency_half_life": self.options.recency_half_life,
            "repeat_share": self.options.repeat_share,
            "transition_weight": self.options.transition_weight,
            "late_lift_weight": self.options.late_lift_weight,
            "popularity_penalty": self.options.popularity_penalty,
            "latest": self.latest,
            "hyperparameters": self.hyperparameters,
        }
        save_model(directory, meta, arrays)

    @classmethod
    def load(cls, directory: Path) -> UserPersonalizationModel:
        """Read back :meth:`save`."""
        meta, a = load_model(directory)
        return cls(
            a["item_ids"],
            load_core(meta["kind"], a),
            float(meta["temperature"]),
            InferenceOptions(
                float(meta["recency_half_life"]),
                meta["repeat_share"],
                float(meta.get("transition_weight", 0.0)),
                float(meta.get("popularity_penalty", 0.0)),
                float(meta.get("late_lift_weight", 0.0)),
            ),
            a["train_counts"],
            a["created"],
            float(meta["latest"]),
            sparse_from_arrays("features", a),
            meta["hyperparameters"],
            sparse_from_arrays("transitions", a),
            ContextModel.from_arrays(a),
            a.get("late_lift"),
        )


class PersonalizedRankingModel(UserPersonalizationModel):
    """The same model, served through GetPersonalizedRanking."""

    recipe_type: ClassVar[RecipeType] = "PERSONALIZED_RANKING"


# -- training --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One algorithm configuration tried during training."""

    kind: str  # "ease" | "ials"
    ease_lambda: float = 0.0
    ease_degree_exponent: float = 0.0
    factors: int = 0
    regularization: float = 0.0
    alpha: float = 0.0
    iterations: int = 0

    def fit(self, matrix: sp.csr_matrix, seed: int, gram: CoOccurrence | None = None) -> ScoringCore:
        """Train this configuration on a binary (users × items) matrix (``gram``: its XᵀX, if already known)."""
        if self.kind == "ease":
            gram = co_occurrence(matrix) if gram is None else gram
            return EaseCore.fit(gram, self.ease_lambda, self.ease_degree_exponent)
        return IalsCore.fit(matrix, self.factors, self.regularization, self.alpha, self.iterations, seed)

    def refit(
        self, matrix: sp.csr_matrix, seed: int, start: ScoringCore, start_items: np.ndarray, item_ids: np.ndarray
    ) -> ScoringCore:
        """Train this configuration on ``matrix`` starting from ``start`` (a core of the same kind trained on
        ``start_items``): iALS runs :data:`REFIT_ITERATIONS` sweeps from ``start``'s item factors (items it does
        not know start from small random factors); EASE is closed form and fits from scratch."""
        if self.kind != "ials" or not isinstance(start, IalsCore):
            return self.fit(matrix, seed)
        positions = item_index(start_items, item_ids)
        known = positions >= 0
        initial = np.zeros((len(item_ids), self.factors), dtype=np.float32)
        if start.model.item_factors.shape[1] == self.factors:
            initial[known] = start.model.item_factors[positions[known]]
        return IalsCore.fit(
            matrix, self.factors, self.regularization, self.alpha, REFIT_ITERATIONS, seed, initial_item_factors=initial
        )

    @classmethod
    def recorded(cls, hyperparameters: Mapping[str, str]) -> Candidate | None:
        """The candidate :meth:`describe` recorded in ``hyperparameters`` (None when none is)."""
        try:
            if hyperparameters.get("local_algorithm") == "ease":
                return cls(
                    "ease",
                    ease_lambda=float(hyperparameters["local_ease_lambda_factor"]),
                    ease_degree_exponent=float(hyperparameters["local_ease_degree_exponent"]),
                )
            if hyperparameters.get("local_algorithm") == "ials":
                return cls(
                    "ials",
                    factors=int(hyperparameters["local_ials_factors"]),
                    regularization=float(hyperparameters["local_ials_regularization"]),
                    alpha=float(hyperparameters["local_ials_alpha"]),
                    iterations=int(hyperparameters["local_ials_iterations"]),
                )
        except (KeyError, ValueError):
            return None
        return None

    def describe(self) -> dict[str, str]:
        """The ``local_*`` hyperparameters recording this candidate."""
        if self.kind == "ease":
            return {
                "local_algorithm": "ease",
                "local_ease_lambda_factor": f"{self.ease_lambda:g}",
                "local_ease_degree_exponent": f"{self.ease_degree_exponent:g}",
            }
        return {
            "local_algorithm": "ials",
            "local_ials_factors": str(self.factors),
            "local_ials_regularization": f"{self.regularization:g}",
            "local_ials_alpha": f"{self.alpha:g}",
            "local_ials_iterations": str(self.iterations),
        }

    @property
    def label(self) -> str:
        """Short name, e.g. ``ease(λ=52)``."""
        if self.kind == "ease":
            return f"ease(lambda={self.ease_lambda:g},gamma={self.ease_degree_exponent:g})"
        return f"ials(f={self.factors},reg={self.regularization:g},alpha={self.alpha:g})"


def candidates_for(n_active_items: int, factors: int) -> list[Candidate]:
    """The configurations to try when ``n_active_items`` items have training interactions."""
    if ease_feasible(n_active_items):
        settings = EASE_SETTINGS if n_active_items <= EASE_LARGE_ITEMS else EASE_SETTINGS_LARGE
        out = [Candidate("ease", ease_lambda=lam, ease_degree_exponent=gamma) for lam, gamma in settings]
        out += [
            Candidate("ials", factors=factors, regularization=r, alpha=a, iterations=i) for r, a, i in IALS_SETTINGS
        ]
        return out
    return [
        Candidate("ials", factors=factors, regularization=r, alpha=a, iterations=i) for r, a, i in IALS_SETTINGS_LARGE
    ]


def selection_sample(matrix: sp.csr_matrix, seed: int, budget: int = SELECTION_MAX_INTERACTIONS) -> sp.csr_matrix:
    """A seeded random subset of the rows of ``matrix`` with about ``budget`` non-zeros (all rows below it)."""
    if matrix.nnz <= budget:
        return matrix
    order = np.random.default_rng(seed).permutation(matrix.shape[0])
    within = np.cumsum(matrix.getnnz(axis=1)[order]) <= budget
    return matrix[np.sort(order[within])]


def option_grid(params: Mapping[str, object], repeats: float) -> list[InferenceOptions]:
    """Inference options worth validating (see the module doc)."""
    half_lives = [0.0] + ([float(params["bptt"])] if params["recency_mask"] else [])
    return [InferenceOptions(h, s) for h in half_lives for s in (None, repeats)]


def seen_matrix(histories: Sequence[np.ndarray], n_items: int) -> np.ndarray:
    """Boolean (histories × items) mask of the item positions in each history."""
    seen = np.zeros((len(histories), n_items), dtype=bool)
    lengths = [len(h) for h in histories]
    if sum(lengths):
        seen[np.repeat(np.arange(len(histories)), lengths), np.concatenate(histories)] = True
    return seen


class ValidationSet:
    """The validation users and what scoring them again and again needs, each computed once.

    Raw scores depend only on the core, the recency half-life and the sequence weights: each (core, half-life)
    matrix is scored once and reused (only the latest core's are kept — each is users × items float64), and the
    histories' next-item scores once per transition matrix. The sequence weights are added on every request.
    """

    def __init__(
        self, item_ids: np.ndarray, users: list[TestUser], cold: np.ndarray, lookup: ItemLookup | None = None
    ) -> None:
        self.item_ids = item_ids
        self.users = users
        self.cold = cold
        #: ``lookup``: the training's own item lookup over ``item_ids``, when it has one already.
        self.lookup = ItemLookup(item_ids) if lookup is None else lookup
        #: Each user's known history positions, oldest first (repeats kept).
        self.histories = [self.lookup.codes(u.history) for u in users]
        #: (users × items) mask of each user's own items.
        self.seen = seen_matrix(self.histories, len(item_ids))
        #: Each user's truth item positions (those in the catalogue), in id order.
        self.truth_positions = [self.lookup.codes(sorted(u.truth)) for u in users]
        #: (users × items) mask of each user's truth items.
        self.truth = seen_matrix(self.truth_positions, len(item_ids))
        self._core: ScoringCore | None = None
        self._raw: dict[float, np.ndarray] = {}
        self._next: tuple[sp.csr_matrix, np.ndarray] | None = None

    def base_raw(self, core: ScoringCore, half_life: float) -> np.ndarray:
        """Read-only raw scores (users × items, cold items last) of ``core`` with recency ``half_life``."""
        if core is not self._core:
            self._core, self._raw = core, {}
        if half_life not in self._raw:
            matrix, _ = histories_matrix(self.lookup, [u.history for u in self.users], core.n_items, half_life)
            raw = fix_cold(core.score_batch(matrix), self.cold).astype(np.float64)
            raw.flags.writeable = False
            self._raw[half_life] = raw
        return self._raw[half_life]

    def next_item_scores(self, transitions: sp.csr_matrix) -> np.ndarray:
        """The histories' :func:`~personalize_local.recipes.sequence.next_item_scores_many` under ``transitions``."""
        if self._next is None or self._next[0] is not transitions:
            self._next = (transitions, next_item_scores_many(transitions, self.histories))
        return self._next[1]

    def raw(
        self, core: ScoringCore, options: InferenceOptions, sequence: SequenceComponents | None = None
    ) -> np.ndarray:
        """Raw scores (users × items) with the sequence components of ``options`` (read-only when there are none)."""
        raw = self.base_raw(core, options.recency_half_life)
        if sequence is None:
            return raw
        transitions_on = sequence.transitions is not None and options.transition_weight > 0
        next_scores = self.next_item_scores(sequence.transitions) if transitions_on else None
        return sequence.apply_many(
            raw, self.histories, options.transition_weight, options.late_lift_weight, next_scores
        )


def _log_probabilities_of(
    raw: np.ndarray, seen: np.ndarray, repeat_share: float | None, temperature: float, discount: np.ndarray | None
) -> np.ndarray:
    """Log-probabilities (see :func:`log_probabilities_matrix`) of ``raw / temperature - discount``, a block of rows
    at a time (the scaled scores are never all in memory at once)."""
    out = np.empty(raw.shape, dtype=np.float64)
    scratch = np.empty((min(ROW_BLOCK, len(raw)), raw.shape[1]), dtype=np.float64)
    for block in row_blocks(len(raw)):
        logits = scratch[: block.stop - block.start]
        np.divide(raw[block], temperature, out=logits)
        if discount is not None:
            logits -= discount
        _log_probabilities_block(logits, seen[block], repeat_share, out[block])
    return out


def _validation_logits(
    core: ScoringCore,
    validation: ValidationSet,
    options: InferenceOptions,
    temperature: float = 1.0,
    sequence: SequenceComponents | None = None,
    discount: np.ndarray | None = None,
) -> np.ndarray:
    raw = validation.raw(core, options, sequence)
    return _log_probabilities_of(raw, validation.seen, options.repeat_share, temperature, discount)


#: NDCG@k and coverage of validation are computed on lists as long as GetSolutionMetrics' (25), NDCG at 10.
NDCG_CUTOFF = 10


@functools.cache
def _ndcg_table() -> np.ndarray:
    """:func:`~personalize_local.metrics.ndcg_personalize` at :data:`NDCG_CUTOFF` of every relevance pattern of that
    length, indexed by the pattern's bits (bit j set: the item at rank j + 1 is a hit) — the same floats."""
    patterns = (np.arange(2**NDCG_CUTOFF)[:, None] >> np.arange(NDCG_CUTOFF)) & 1
    return np.array([ndcg_personalize(pattern.astype(bool), NDCG_CUTOFF) for pattern in patterns])


def _ndcg10_coverage(logits: np.ndarray, validation: ValidationSet) -> tuple[float, float]:
    """Validation NDCG@10 and coverage of each row's top-25 of ``logits``, the values
    :func:`~personalize_local.metrics.aggregate` gives (per-user NDCG looked up in :func:`_ndcg_table`, summed in user
    order, rounded to 4 decimals)."""
    lists = top_k_rows(logits, TOP_K)
    full = np.array([len(positions) >= NDCG_CUTOFF for positions in lists], dtype=bool)
    ndcg = np.zeros(len(lists))
    if full.any():
        rows = np.flatnonzero(full)
        first = np.stack([lists[r][:NDCG_CUTOFF] for r in rows.tolist()])
        hits = validation.truth[rows[:, None], first].astype(np.int64)
        ndcg[rows] = _ndcg_table()[hits @ (1 << np.arange(NDCG_CUTOFF))]
    for r in np.flatnonzero(~full).tolist():
        ndcg[r] = ndcg_personalize(validation.truth[r, lists[r]], NDCG_CUTOFF)
    total = 0.0
    for value in ndcg.tolist():  # in user order, as aggregate adds them up
        total += value
    n_items = len(validation.item_ids)
    recommended = len(np.unique(np.concatenate([np.empty(0, np.int64), *lists])))
    coverage = round(recommended / n_items, 4) if n_items else 0.0
    return round(total / max(1, len(lists)), 4), coverage


def choose(scores: dict[tuple[int, int], tuple[float, float]]) -> tuple[int, int]:
    """The (candidate, option) with the widest coverage among those within NDCG_TOLERANCE of the best NDCG@10."""
    best = max(ndcg for ndcg, _ in scores.values())
    close = [key for key, (ndcg, _) in scores.items() if ndcg >= best * (1 - NDCG_TOLERANCE)]
    return max(close, key=lambda key: (scores[key][1], scores[key][0]))


def choose_lever(tried: Mapping[K, tuple[float, float]], floor: float) -> K:
    """The setting of a quality lever to keep, from its validation (NDCG@10, coverage) per setting; the first
    setting of ``tried`` is the current one (the lever off).

    When some setting reaches ``floor`` (:data:`ACCURACY_FLOOR` × the best plain candidate's NDCG@10), accuracy
    above the floor is traded for breadth: the widest coverage among the settings at or above it wins. Otherwise
    there is no accuracy to spare: the most accurate setting wins if it beats the current one by at least
    :data:`LEVER_MIN_GAIN` (a smaller gain is validation noise, and the current setting stays).
    """
    current = next(iter(tried))
    best = max(tried, key=lambda key: (tried[key][0], tried[key][1]))
    if tried[best][0] >= floor:
        allowed = [key for key, (ndcg, _) in tried.items() if ndcg >= floor]
        return max(allowed, key=lambda key: (tried[key][1], tried[key][0]))
    return best if tried[best][0] >= tried[current][0] * (1 + LEVER_MIN_GAIN) else current


def fit_temperature(
    raw: np.ndarray, truth_positions: list[np.ndarray], seen: np.ndarray, repeat_share: float | None
) -> float:
    """Temperature maximising the mean log-softmax probability of the truth items (scale-relative grid).

    ``seen``: boolean (users × items) mask of each user's own items (see :func:`seen_matrix`).
    """
    scale = float(np.std(raw)) or 1.0
    best, best_ll = scale, -np.inf
    for factor in TEMPERATURE_GRID:
        t = scale * factor
        log_probs = _log_probabilities_of(raw, seen, repeat_share, t, None)
        ll = np.mean([np.mean(log_probs[r, pos]) for r, pos in enumerate(truth_positions) if len(pos)])
        if ll > best_ll:
            best, best_ll = t, ll
    return best


def trained_spread(raw: np.ndarray, cold: np.ndarray) -> float:
    """Standard deviation of raw scores over the trained items (1 when zero): the unit lever weights are given in,
    independent of how many never-interacted items the catalogue lists."""
    return float(np.std(raw[:, ~cold])) or 1.0


def choose_transition_weight(
    core: ScoringCore,
    validation: ValidationSet,
    option: InferenceOptions,
    sequence: SequenceComponents,
    base_score: tuple[float, float],
    floor: float,
    report: dict[str, list[float]],
) -> tuple[InferenceOptions, tuple[float, float]]:
    """``option`` with the transition weight (from :data:`TRANSITION_GRID`) that :func:`choose_lever` prefers.

    Weights are multiples of the standard deviation of the validation users' raw scores, so the grid means the
    same for EASE and iALS. Weight 0 (``option`` itself, scored ``base_score``) competes.
    """
    scale = trained_spread(validation.raw(core, option), validation.cold)
    tried = {option: base_score}
    for factor in TRANSITION_GRID:
        candidate = dataclasses.replace(option, transition_weight=factor * scale)
        logits = _validation_logits(core, validation, candidate, sequence=sequence)
        tried[candidate] = _ndcg10_coverage(logits, validation)
        report[f"transition={factor:g}sd"] = [round(v, 4) for v in tried[candidate]]
    best = choose_lever(tried, floor)
    return best, tried[best]


def choose_late_lift_and_penalty(
    core: ScoringCore,
    validation: ValidationSet,
    counts: np.ndarray,
    option: InferenceOptions,
    temperature: float,
    sequence: SequenceComponents,
    floor: float,
    report: dict[str, list[float]],
) -> tuple[InferenceOptions, tuple[float, float]]:
    """``option`` with the late-interaction lift weight (:data:`LATE_LIFT_GRID`, and 0) and the popularity penalty β
    (:data:`POPULARITY_PENALTY_GRID`) that :func:`choose_lever` prefers together on the calibrated validation scores
    of the ``validation`` users, and their (NDCG@10, coverage). Both move accuracy against coverage, so they are
    chosen jointly.

    ``counts``: the per-item counts the discount is computed from — those of the fit users, so the validation
    users' truth does not count towards popularity.
    """
    raw = validation.raw(core, option, sequence)
    scale = trained_spread(raw, validation.cold)
    lifts = (0.0, *LATE_LIFT_GRID) if sequence.late_lift is not None else (0.0,)
    tried: dict[tuple[float, float], tuple[float, float]] = {}
    for factor in lifts:
        lifted = raw + factor * scale * sequence.late_lift if factor > 0 else raw
        for beta in POPULARITY_PENALTY_GRID:
            discount = popularity_discount(counts, beta)
            logits = _log_probabilities_of(lifted, validation.seen, option.repeat_share, temperature, discount)
            tried[(factor * scale, beta)] = _ndcg10_coverage(logits, validation)
            report[f"late_lift={factor:g}sd|popularity_penalty={beta:g}"] = [
                round(v, 4) for v in tried[(factor * scale, beta)]
            ]
    late_weight, beta = choose_lever(tried, floor)
    return dataclasses.replace(option, late_lift_weight=late_weight, popularity_penalty=beta), tried[
        (late_weight, beta)
    ]


@dataclass(frozen=True)
class TrainingInputs:
    """What every training step reads: the item universe, the interaction matrix, the kept users (step 1 of the
    module doc) and their per-item counts."""

    params: Mapping[str, object]
    item_ids: np.ndarray
    lookup: ItemLookup
    full: InteractionMatrix
    keep: np.ndarray
    matrix: sp.csr_matrix
    counts: np.ndarray

    @property
    def cold(self) -> np.ndarray:
        """Items without interactions of a kept user."""
        return self.counts == 0

    @classmethod
    def of(cls, data: TrainingData, params: Mapping[str, object]) -> TrainingInputs:
        """Build the matrix of ``data`` and trim its users by the history-length percentiles of ``params``."""
        item_ids = item_universe(data)
        full = InteractionMatrix.build(data.interactions, item_ids)
        keep = trim_users(
            full,
            float(params["min_user_history_length_percentile"]),  # type: ignore[arg-type]
            float(params["max_user_history_length_percentile"]),  # type: ignore[arg-type]
        )
        matrix = full.matrix[keep]
        counts = np.asarray(matrix.getnnz(axis=0), dtype=np.int64)
        return cls(params, item_ids, ItemLookup(item_ids), full, keep, matrix, counts)


@dataclass(frozen=True)
class Selection:
    """What a training's validation chose: the candidate, the inference options, the softmax temperature (None
    when there were too few validation users: it then comes from the fitted core), the validation (NDCG@10,
    coverage) and every setting's validation score (``report``)."""

    winner: Candidate
    option: InferenceOptions
    temperature: float | None
    score: tuple[float, float]
    report: dict[str, list[float]]
    #: How many validation users chose it (0: none, defaults).
    users: int = 0
    #: The winner as fitted on the fit users (their sample) during validation; None when read back from a model.
    core: ScoringCore | None = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, model: TrainedModel) -> Selection | None:
        """The selection a trained model recorded, if it is worth reusing: None unless it is a User-Personalization
        model validated on at least :data:`REUSE_MIN_VALIDATION_USERS` users."""
        if not isinstance(model, UserPersonalizationModel):
            return None
        recorded = model.hyperparameters
        winner = Candidate.recorded(recorded)
        try:  # a record this code cannot read (another version's, or edited) is no selection: validate again
            report = json.loads(recorded.get("local_validation_candidates", "{}"))
            users = int(recorded.get("local_validation_users", "0"))
            score = (float(recorded["local_validation_ndcg_at_10"]), float(recorded["local_validation_coverage"]))
        except (KeyError, TypeError, ValueError):
            return None
        if not isinstance(report, dict) or not report or winner is None or users < REUSE_MIN_VALIDATION_USERS:
            return None
        return cls(winner, model.options, model.temperature, score, report, users)


def _histories(interactions: pd.DataFrame, limit: int) -> list[list[str]]:
    ordered = interactions.sort_values("TIMESTAMP", kind="mergesort")
    groups = ordered.groupby(ordered["USER_ID"].astype(str), sort=True)["ITEM_ID"]
    return [items.astype(str).tolist() for _, items in list(groups)[:limit]]


class UserPersonalizationRecipe(Recipe):
    """Personalised recommendations for a user, with exploration of new items."""

    name: ClassVar[str] = "aws-user-personalization"
    training_procedure: ClassVar[str | None] = "user-personalization"  # aws-personalized-ranking inherits it
    recipe_type: ClassVar[RecipeType] = "USER_PERSONALIZATION"
    description: ClassVar[str] = "Predicts items a user will interact with and performs exploration on cold items."
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = HRNN_HYPERPARAMETERS

    #: Whether training also tries the sequence components (next-item transitions, late-interaction lift): AWS's
    #: aws-user-personalization is HRNN-based, i.e. a sequence model, and so is v2.
    sequence_aware: ClassVar[bool] = True

    @classmethod
    def typed_parameters(cls, hyperparameters: Mapping[str, str]) -> dict[str, int | float | bool | str]:
        """The HRNN-style parameters training reads (``hidden_dimension``, ``bptt``, ``recency_mask``, percentiles)."""
        return hp.typed(UserPersonalizationRecipe, hyperparameters)

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> UserPersonalizationModel:
        """Validate candidates on held-out training users, keep the best, refit it on all training users."""
        inputs = TrainingInputs.of(data, self.typed_parameters(hyperparameters))
        return self._fit(data, hyperparameters, inputs, self._select(data, inputs, seed), seed)

    def train_served(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        seed: int = 0,
        evaluated: TrainedModel | None = None,
    ) -> UserPersonalizationModel:
        """The served model, starting from the evaluation model when there is one (see :class:`Selection`).

        ``evaluated`` was trained by this recipe on the evaluation's training users (90% of the users of ``data``),
        so its validation already chose the candidate, the inference options and the temperature: they are reused
        instead of validating again, and an iALS core starts from its item factors for :data:`REFIT_ITERATIONS`
        sweeps over all users instead of :data:`IALS_SETTINGS`' iterations from random factors. Without a model
        validated on at least :data:`REUSE_MIN_VALIDATION_USERS` users to start from, this is :meth:`train`.
        """
        selection = Selection.of(evaluated) if evaluated is not None else None
        if selection is None or evaluated is None:
            return self.train(data, hyperparameters, seed)
        inputs = TrainingInputs.of(data, self.typed_parameters(hyperparameters))
        return self._fit(data, hyperparameters, inputs, selection, seed, start=evaluated)

    def _select(self, data: TrainingData, inputs: TrainingInputs, seed: int) -> Selection:
        """Steps 2–4 of the module doc: the candidate, options and temperature the validation users prefer."""
        item_ids, lookup, full, keep, cold = inputs.item_ids, inputs.lookup, inputs.full, inputs.keep, inputs.cold
        candidates = candidates_for(int((~cold).sum()), int(inputs.params["hidden_dimension"]))
        events = int(full.events_per_user[keep].sum())
        options = option_grid(inputs.params, 1.0 - inputs.matrix.nnz / events if events else 0.0)

        kept_rows = np.flatnonzero(full.interactions_of(keep))  # positions, so the frame itself is never copied
        is_test = choose_test_users(data.interactions["USER_ID"].iloc[kept_rows], seed)
        val_users = test_users_of(data.interactions.iloc[kept_rows[is_test]][["USER_ID", "ITEM_ID", "TIMESTAMP"]])
        del kept_rows, is_test
        if len(val_users) > MAX_VALIDATION_USERS:
            rng = np.random.default_rng(seed)
            val_users = [val_users[i] for i in sorted(rng.choice(len(val_users), MAX_VALIDATION_USERS, replace=False))]
        if len(val_users) < 5:
            return Selection(candidates[0], options[0], None, (0.0, 0.0), {})
        report: dict[str, list[float]] = {}
        held_out = pd.Index(full.user_ids).isin([u.user_id for u in val_users])
        validation = ValidationSet(item_ids, val_users, cold, lookup)
        fit_matrix = selection_sample(full.matrix[keep & ~held_out], seed)
        scores: dict[tuple[int, int], tuple[float, float]] = {}
        cores: dict[int, ScoringCore] = {}
        fit_gram = co_occurrence(fit_matrix) if any(c.kind == "ease" for c in candidates) else None
        for ci, candidate in enumerate(candidates):
            cores[ci] = candidate.fit(fit_matrix, seed, fit_gram)
            for oi, option in enumerate(options):
                logits = _validation_logits(cores[ci], validation, option)
                scores[(ci, oi)] = _ndcg10_coverage(logits, validation)
                label = f"{candidate.label}|recency={option.recency_half_life:g}|repeat_share={option.repeat_share}"
                report[label] = [round(v, 4) for v in scores[(ci, oi)]]
            best_key = choose(scores)
            cores = {best_key[0]: cores[best_key[0]]} if best_key[0] in cores else cores
        chosen = choose(scores)
        chosen_score = scores[chosen]
        if chosen[0] not in cores:  # a later, better NDCG made an earlier (pruned) candidate the widest close one
            cores[chosen[0]] = candidates[chosen[0]].fit(fit_matrix, seed, fit_gram)
        del fit_gram
        option = options[chosen[1]]
        floor = ACCURACY_FLOOR * max(ndcg for ndcg, _ in scores.values())
        selected_core = cores[chosen[0]]
        fit_sequence = SequenceComponents()
        if self.sequence_aware and len(val_users) >= MIN_SEQUENCE_VALIDATION_USERS:
            fit_sequence = SequenceComponents.fit(
                data.interactions, item_ids, rows=full.interactions_of(keep & ~held_out), user_codes=full.rows
            )
            option, chosen_score = choose_transition_weight(
                selected_core, validation, option, fit_sequence, chosen_score, floor, report
            )
        raw = _validation_logits(
            selected_core,
            validation,
            dataclasses.replace(option, repeat_share=None, popularity_penalty=0.0),
            sequence=fit_sequence,
        )
        temperature = fit_temperature(raw, validation.truth_positions, validation.seen, option.repeat_share)
        del raw
        option, chosen_score = choose_late_lift_and_penalty(
            selected_core,
            validation,
            np.asarray(fit_matrix.getnnz(axis=0), dtype=np.int64),
            option,
            temperature,
            fit_sequence,
            floor,
            report,
        )
        return Selection(
            candidates[chosen[0]], option, temperature, chosen_score, report, len(val_users), selected_core
        )

    def _fit(
        self,
        data: TrainingData,
        hyperparameters: Mapping[str, str],
        inputs: TrainingInputs,
        selection: Selection,
        seed: int,
        start: TrainedModel | None = None,
    ) -> UserPersonalizationModel:
        """The served model: ``selection``'s candidate fitted on every kept user (from ``start``'s core when given),
        its sequence components, calibration, exploration and context data."""
        item_ids, full, keep, option = inputs.item_ids, inputs.full, inputs.keep, selection.option
        winner = selection.winner
        started_from = ""
        if isinstance(start, UserPersonalizationModel):
            core, started_from = winner.refit(inputs.matrix, seed, start.core, start.item_ids, item_ids), "evaluation"
        elif selection.core is not None:
            core = winner.refit(inputs.matrix, seed, selection.core, item_ids, item_ids)
            started_from = "validation-fit"
        else:
            core = winner.fit(inputs.matrix, seed)
        temperature = selection.temperature
        if temperature is None:  # too few users to validate: a temperature from the training users' scores
            sample, _ = histories_matrix(inputs.lookup, _histories(data.interactions, 200), len(item_ids), 0.0)
            temperature = max(1e-6, float(np.std(core.score_batch(sample)))) if sample.shape[0] else 1.0
        created, latest = item_creation_times(item_ids, data.interactions, data.items)
        sequence = SequenceComponents.fit(
            data.interactions,
            item_ids,
            transitions=option.transition_weight > 0,
            late_lift=option.late_lift_weight > 0,
            rows=full.interactions_of(keep),
            user_codes=full.rows,
        )
        recorded = {
            **hyperparameters,
            **winner.describe(),
            "local_temperature": f"{temperature:.6g}",
            "local_recency_half_life": f"{option.recency_half_life:g}",
            "local_repeat_share": "off" if option.repeat_share is None else f"{option.repeat_share:.4g}",
            "local_transition_weight": f"{option.transition_weight:.4g}",
            "local_late_lift_weight": f"{option.late_lift_weight:.4g}",
            "local_popularity_penalty": f"{option.popularity_penalty:g}",
            "local_validation_ndcg_at_10": f"{selection.score[0]:.4f}",
            "local_validation_coverage": f"{selection.score[1]:.4f}",
            "local_validation_candidates": json.dumps(selection.report, sort_keys=True),
            "local_validation_users": str(selection.users),
        }
        if started_from and winner.kind == "ials":
            recorded["local_ials_refit_iterations"] = str(REFIT_ITERATIONS)
            recorded["local_ials_start"] = started_from
        return self.model_class()(
            item_ids,
            core,
            temperature,
            option,
            inputs.counts,
            created,
            latest,
            item_features(item_ids, data.items),
            recorded,
            sequence.transitions if option.transition_weight > 0 else None,
            ContextModel.fit(data.interactions, item_ids),
            sequence.late_lift if option.late_lift_weight > 0 else None,
        )

    @classmethod
    def model_class(cls) -> type[UserPersonalizationModel]:
        """:class:`UserPersonalizationModel`."""
        return UserPersonalizationModel


class PersonalizedRankingRecipe(UserPersonalizationRecipe):
    """Reorders a list of items for a user."""

    name: ClassVar[str] = "aws-personalized-ranking"
    recipe_type: ClassVar[RecipeType] = "PERSONALIZED_RANKING"
    description: ClassVar[str] = "Reranks an input list of items for a given user."
    hyperparameters: ClassVar[tuple[HyperParameter, ...]] = HRNN_HYPERPARAMETERS

    @classmethod
    def model_class(cls) -> type[PersonalizedRankingModel]:
        """:class:`PersonalizedRankingModel`."""
        return PersonalizedRankingModel
