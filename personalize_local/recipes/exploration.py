"""Item exploration for User-Personalization (``campaignConfig.itemExplorationConfig``).

AWS does not publish its mechanics; the emulation here is explicit and deterministic:

* An item is *explorable* when its age is at most ``explorationItemAgeCutOff`` days, counted back from the latest
  interaction in the training data. Age comes from ``CREATION_TIMESTAMP`` of the Items dataset; without one, from
  the item's first interaction; an item with neither counts as brand new (reference §1.4).
* ``explorationWeight`` is the share of the returned list given to explorable items: position ``p`` (0-based)
  holds an exploration item when ``floor((p + 1) * w) > floor(p * w)``, so w = 0.3 puts them at positions 3, 6,
  9, … and w = 0 turns exploration off. Explorable items the model already ranks in the list stay where they are.
* Explorable items are ordered by how well their categorical metadata matches the user's history (cosine
  similarity of the items' one-hot metadata), then by the model's own score, then by recency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from personalize_local.recipes.text import is_textual, item_table, l2_normalise_rows, string_columns

DAY_SECONDS = 86400.0


def item_creation_times(
    item_ids: np.ndarray, interactions: pd.DataFrame, items: pd.DataFrame | None
) -> tuple[np.ndarray, float]:
    """Creation time (epoch seconds, float64) per item, and the latest interaction time."""
    latest = float(interactions["TIMESTAMP"].max()) if len(interactions) else 0.0
    codes, uniques = pd.factorize(interactions["ITEM_ID"])
    first = pd.Series(interactions["TIMESTAMP"].to_numpy(dtype=np.float64)).groupby(codes).min()
    first = first[first.index >= 0]
    first.index = pd.Index(np.asarray(pd.Index(uniques).astype(str), dtype=object)[first.index.to_numpy()])
    created = pd.Series(np.nan, index=pd.Index(item_ids.astype(str)))
    if items is not None and "CREATION_TIMESTAMP" in items.columns:
        declared = pd.to_numeric(items["CREATION_TIMESTAMP"], errors="coerce")
        declared.index = items["ITEM_ID"].astype(str)
        declared = declared[~declared.index.duplicated(keep="last")]
        created = declared.reindex(created.index)
    created = created.fillna(first.reindex(created.index)).fillna(latest)
    return created.to_numpy(dtype=np.float64), latest


def item_features(item_ids: np.ndarray, items: pd.DataFrame | None) -> sp.csr_matrix | None:
    """Row-normalised one-hot matrix (items × ``COLUMN=value`` tokens) of the categorical string columns."""
    table = item_table(item_ids, items)
    if table is None:
        return None
    blocks = []
    for column in string_columns(table):
        if is_textual(table[column]):
            continue
        block = one_hot(table[column].astype("string"))
        if block.shape[1]:
            blocks.append(block)
    if not blocks:
        return None
    return l2_normalise_rows(sp.hstack(blocks)).astype(np.float32)


def one_hot(values: pd.Series) -> sp.csr_matrix:
    """Sparse (rows × distinct tokens) indicator matrix of ``|``-separated values (missing values: empty rows)."""
    tokens = values.reset_index(drop=True).str.split("|").explode()
    present = (tokens.notna() & (tokens != "")).to_numpy(dtype=bool)
    rows = tokens.index.to_numpy(dtype=np.int64)[present]
    codes, uniques = pd.factorize(tokens[present])
    matrix = sp.csr_matrix((np.ones(len(codes), dtype=np.float32), (rows, codes)), shape=(len(values), len(uniques)))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def exploration_positions(num_results: int, weight: float) -> list[int]:
    """Positions (0-based) of a ``num_results`` list reserved for exploration items at ``weight``."""
    return [p for p in range(num_results) if np.floor((p + 1) * weight) > np.floor(p * weight)]


def rank_explorable(
    candidates: np.ndarray,
    features: sp.csr_matrix | None,
    history: np.ndarray,
    logits: np.ndarray,
    created: np.ndarray,
) -> np.ndarray:
    """``candidates`` (positions) ordered by metadata match with ``history``, then model score, then recency."""
    if len(candidates) == 0:
        return candidates
    match = np.zeros(len(candidates), dtype=np.float64)
    if features is not None and len(history):
        profile = np.asarray(features[history].sum(axis=0)).ravel()
        norm = np.linalg.norm(profile)
        if norm > 0:
            match = np.asarray(features[candidates] @ (profile / norm)).ravel()
    order = np.lexsort((-created[candidates], -logits[candidates], -np.round(match, 6)))
    return candidates[order]


def merge(exploit: list[int], explore: list[int], num_results: int, weight: float) -> list[int]:
    """Interleave exploration items into the exploitation list at :func:`exploration_positions`."""
    slots = set(exploration_positions(num_results, weight))
    out: list[int] = []
    exploit_iter, explore_iter = iter(exploit), iter(explore)
    for p in range(num_results):
        source = explore_iter if p in slots else exploit_iter
        item = next(source, None)
        if item is None:
            item = next(exploit_iter if p in slots else explore_iter, None)
        if item is None:
            break
        out.append(item)
    return out
