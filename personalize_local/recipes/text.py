"""Item metadata as matrices: the Items table aligned to a model's items, textual columns, TF-IDF.

A *textual* column is a string column whose values average more than :data:`TEXTUAL_MEAN_LENGTH` characters or
:data:`TEXTUAL_MEAN_WORDS` words (the Items schema's ``"textual": true`` flag is not part of the training data; for
anime, the synopsis; categorical values such as ``Action|Comedy`` or a studio name have one to three words). TF-IDF is
computed with scipy sparse matrices: lower-cased word tokens (:data:`TOKEN`), English stop words removed,
sub-linear term frequency ``1 + log(tf)``, smoothed inverse document frequency ``log((1 + n) / (1 + df)) + 1`` and
L2-normalised rows (the conventions of scikit-learn's ``TfidfVectorizer`` with ``sublinear_tf=True``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

TEXTUAL_MEAN_LENGTH = 200
TEXTUAL_MEAN_WORDS = 10
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: A short English stop-word list (articles, pronouns, auxiliaries, prepositions, conjunctions).
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "else",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "having",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "these",
        "those",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "they",
        "them",
        "their",
        "theirs",
        "we",
        "us",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "not",
        "no",
        "nor",
        "so",
        "too",
        "very",
        "can",
        "will",
        "would",
        "should",
        "could",
        "may",
        "might",
        "must",
        "just",
        "than",
        "also",
        "only",
        "own",
        "same",
        "such",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "any",
        "all",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "there",
        "here",
        "out",
        "up",
        "down",
        "off",
        "again",
        "further",
        "once",
        "s",
        "t",
    ]
)
SKIP_COLUMNS = frozenset({"ITEM_ID", "CREATION_TIMESTAMP"})


def item_table(item_ids: np.ndarray, items: pd.DataFrame | None) -> pd.DataFrame | None:
    """The Items rows in ``item_ids`` order (last row per id wins; missing items are all-NaN rows)."""
    if items is None or "ITEM_ID" not in items.columns:
        return None
    table = items.drop_duplicates("ITEM_ID", keep="last")
    table.index = pd.Index(table["ITEM_ID"].astype(str).to_numpy(dtype=object))
    return table.reindex(item_ids.astype(str))


def string_columns(table: pd.DataFrame) -> list[str]:
    """Non-numeric metadata columns of ``table`` (ITEM_ID and CREATION_TIMESTAMP excluded)."""
    return [c for c in table.columns if c not in SKIP_COLUMNS and not pd.api.types.is_numeric_dtype(table[c])]


def is_textual(values: pd.Series) -> bool:
    """Whether a string column holds free text rather than categories (long values, or many words per value)."""
    text = values.astype("string")
    length = text.str.len().mean(skipna=True)
    words = text.str.count(r"\s+").mean(skipna=True) + 1
    return bool(pd.notna(length) and (length > TEXTUAL_MEAN_LENGTH or words > TEXTUAL_MEAN_WORDS))


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` without stop words."""
    return [t for t in TOKEN.findall(text.lower()) if t not in STOP_WORDS]


def tfidf(texts: pd.Series) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows (documents × vocabulary) of ``texts`` (missing text: an empty row)."""
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for r, text in enumerate(texts.fillna("").astype(str).tolist()):
        for token in tokens(text):
            rows.append(r)
            cols.append(vocabulary.setdefault(token, len(vocabulary)))
    counts = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
        shape=(len(texts), len(vocabulary)),
    )
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=len(vocabulary))
    idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    return l2_normalise_rows(counts).astype(np.float32)


def l2_normalise_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """``matrix`` with every non-zero row scaled to unit L2 norm (zero rows stay zero)."""
    matrix = sp.csr_matrix(matrix)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms).dot(matrix).tocsr()
