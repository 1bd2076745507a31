"""Per-row validation rules: their ids and descriptions, and the log that counts them and keeps examples.

Every row a rule touches is counted, the first examples (file, line, column, value) go to report.json, and every
one of them is written to ``rejected.csv`` so an operator can find it; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from anime_recommender.prepare_data.records import Record


class RuleAction(StrEnum):
    """What happens to a row a rule fires on."""

    REJECTED = "rejected"  # the row is not written
    NULLED = "nulled"  # the row is kept, the offending value becomes null (items only)
    KEPT = "kept"  # the row is kept as is and only counted
    MERGED = "merged"  # the row is the same fact as a kept row from another file


@dataclass(frozen=True)
class Rule:
    """A per-row rule: a stable id (used in report.json and rejected.csv), what it checks, what it does."""

    id: str
    description: str
    action: RuleAction


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("blank_row", "the line is empty", RuleAction.REJECTED),
        Rule(
            "unclosed_quote",
            "a quoted field runs over a line break where none is allowed, or over too many lines; this line is "
            "rejected and reading resumes at the next line",
            RuleAction.REJECTED,
        ),
        Rule("nul_byte", "the row holds a NUL byte (binary data or a damaged file)", RuleAction.REJECTED),
        Rule("ragged_row", "the row has a different number of fields than the header", RuleAction.REJECTED),
        Rule("invalid_user_id", "user_id is not a non-negative integer below 10^18", RuleAction.REJECTED),
        Rule("invalid_anime_id", "the anime id is not a non-negative integer below 10^18", RuleAction.REJECTED),
        Rule("invalid_rating", "rating is not an integer", RuleAction.REJECTED),
        Rule(
            "rating_out_of_range",
            "rating is outside 0-10 (animelist.csv, 0 = not scored) or 1-10 (rating_complete.csv)",
            RuleAction.REJECTED,
        ),
        Rule("invalid_watching_status", "watching_status is not one of 1, 2, 3, 4, 6", RuleAction.REJECTED),
        Rule("unknown_anime", "anime_id is not a MAL_ID of anime.csv", RuleAction.REJECTED),
        Rule(
            "duplicate_pair",
            "the (user_id, anime_id) pair already appeared earlier in the same file; the first row is kept",
            RuleAction.REJECTED,
        ),
        Rule(
            "merged_overlap",
            "the (user_id, anime_id) pair is also in animelist.csv; the animelist.csv row is kept",
            RuleAction.MERGED,
        ),
        Rule(
            "duplicate_anime",
            "the MAL_ID already appeared earlier in the same file; the first row is kept",
            RuleAction.REJECTED,
        ),
        Rule("orphan_synopsis", "the synopsis row's MAL_ID is not in anime.csv", RuleAction.REJECTED),
        Rule("invalid_score", "Score is neither a number in 0-10 nor 'Unknown'; SCORE left empty", RuleAction.NULLED),
        Rule(
            "invalid_episodes",
            "Episodes is neither a non-negative integer nor 'Unknown'; EPISODES left empty",
            RuleAction.NULLED,
        ),
        Rule(
            "unparsed_date",
            "Aired or Premiered is neither 'Unknown' nor a date this step reads; the next source is used"
            " (Aired, then Premiered, then the fallback date)",
            RuleAction.NULLED,
        ),
        Rule(
            "categorical_truncated",
            "GENRES or STUDIOS was longer than Personalize's 1000 characters; trailing values were dropped",
            RuleAction.NULLED,
        ),
    )
}

REJECTED_COLUMNS = ("file", "line", "rule", "column", "value")
_PARKED_ACTIONS = frozenset({RuleAction.REJECTED, RuleAction.NULLED})  # rows written to rejected.csv


@dataclass
class _RuleTally:
    count: int = 0
    per_file: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)


class RuleLog:
    """Counts rule hits and keeps the first ``max_examples`` per rule (lowest line first).

    Rows of REJECTED and NULLED rules also go to ``sink`` (rejected.csv: file, line, rule, column, value); KEPT
    and MERGED rows are only counted (a full Kaggle drop merges 57 M rows, which are no one's problem).
    """

    def __init__(
        self, sink: BinaryIO | None = None, *, max_examples: int = 5, overrides: dict[str, RuleAction] | None = None
    ) -> None:
        self._sink = sink
        self._pending: list[pa.Table] | None = None
        if sink is not None:
            sink.write((",".join(REJECTED_COLUMNS) + "\n").encode())
        self._max_examples = max_examples
        self._actions = {rule_id: rule.action for rule_id, rule in RULES.items()} | (overrides or {})
        self._tallies: dict[str, _RuleTally] = {}

    def action(self, rule_id: str) -> RuleAction:
        """The action configured for a rule (``unknown_anime`` is REJECTED or KEPT depending on the options)."""
        return self._actions[rule_id]

    def record(
        self,
        rule_id: str,
        file: str,
        column: str | None,
        lines: np.ndarray | Sequence[int],
        values: Sequence[Any] | pa.Array | Callable[[np.ndarray], Sequence[Any]],
    ) -> None:
        """Log that ``rule_id`` fired on the rows at ``lines`` of ``file``.

        ``values`` are the offending values, one per line, or a function giving them for an index array (so that
        rules firing on millions of rows only render the few that are reported or parked).
        """
        lines = np.asarray(lines, dtype=np.int64)
        if lines.size == 0:
            return
        if rule_id not in RULES:
            raise KeyError(f"unknown rule {rule_id!r}")
        tally = self._tallies.setdefault(rule_id, _RuleTally())
        tally.count += int(lines.size)
        tally.per_file[file] = tally.per_file.get(file, 0) + int(lines.size)
        first = np.argsort(lines, kind="stable")[: self._max_examples]
        shown = _pick(values, first, lines.size)
        if isinstance(shown, (pa.Array, pa.ChunkedArray)):
            shown = shown.to_pylist()
        for index, value in zip(first, shown, strict=True):
            tally.examples.append({"file": file, "line": int(lines[index]), "column": column, "value": _text(value)})
        tally.examples.sort(key=lambda example: (example["file"], example["line"]))
        del tally.examples[self._max_examples :]
        if self._sink is not None and self._actions[rule_id] in _PARKED_ACTIONS:
            self._write(rule_id, file, column, lines, _pick(values, None, lines.size))

    def _write(self, rule_id: str, file: str, column: str | None, lines: np.ndarray, values: Any) -> None:
        size = int(lines.size)
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            texts = values.cast(pa.string())
        else:
            texts = pa.array([_text(value) for value in values], pa.string())
        table = pa.table(
            {
                "file": pa.array([file] * size, pa.string()),
                "line": pa.array(lines, pa.int64()),
                "rule": pa.array([rule_id] * size, pa.string()),
                "column": pa.array([column or ""] * size, pa.string()),
                "value": texts,
            }
        )
        if self._pending is not None:
            self._pending.append(table)
        else:
            self._flush([table])

    def _flush(self, tables: list[pa.Table]) -> None:
        if not tables:
            return
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        if len(tables) > 1:
            table = table.sort_by([("line", "ascending")])  # stable: one block's rows in line order
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        pacsv.write_csv(table, self._sink, write_options=options)

    @contextmanager
    def in_line_order(self) -> Iterator[None]:
        """Park the rows logged inside the block in line order (one input block's rules fire rule by rule)."""
        self._pending = []
        try:
            yield
            self._flush(self._pending)
        finally:
            self._pending = None

    def count(self, rule_id: str) -> int:
        """How many rows ``rule_id`` fired on so far."""
        tally = self._tallies.get(rule_id)
        return tally.count if tally else 0

    def rows_in(self, file: str, action: RuleAction) -> int:
        """How many rows of ``file`` rules with ``action`` fired on so far."""
        return sum(t.per_file.get(file, 0) for rule_id, t in self._tallies.items() if self._actions[rule_id] is action)

    def rejected_rows(self) -> int:
        """Rows not written because of a REJECTED rule."""
        return sum(t.count for rule_id, t in self._tallies.items() if self._actions[rule_id] is RuleAction.REJECTED)

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per fired rule: description, action, count and first examples (for report.json)."""
        return {
            rule_id: {
                "description": RULES[rule_id].description,
                "action": str(self._actions[rule_id]),
                "count": tally.count,
                "examples": list(tally.examples),
            }
            for rule_id, tally in sorted(self._tallies.items())
        }


def record_structural(log: RuleLog, file: str, names: Sequence[str], records: Sequence[Record]) -> None:
    """Log records that are not rows (blank, unclosed quote, NUL byte, ragged) under their rules."""
    groups: dict[tuple[str, str | None], list[Record]] = {}
    for record in records:
        if record.problem is None:
            continue
        column = names[record.column] if record.column is not None and record.column < len(names) else None
        groups.setdefault((record.problem, column), []).append(record)
    for (rule_id, column), hits in groups.items():
        log.record(rule_id, file, column, [hit.line for hit in hits], [hit.text for hit in hits])


def _pick(values: Any, index: np.ndarray | None, size: int) -> Any:
    """``values`` at ``index`` (all ``size`` of them when None), whatever form they were given in."""
    if callable(values):
        return values(np.arange(size) if index is None else index)
    if index is None:
        return values
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.take(pa.array(index, pa.int64())).to_pylist()
    return [values[int(i)] for i in index]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
