"""Evaluation of a parsed filter into a boolean mask over the candidate items (vectorised with numpy).

Semantics (reference §3.2):

* ``|`` joins expressions: mask = (union of INCLUDE matches, or everything without INCLUDE) minus the union of
  EXCLUDE matches.
* Categorical values separated by ``|`` match IN when *any* value is in the list and NOT IN when *none* is;
  matching is exact and case-sensitive. Null or missing metadata never matches any condition (IN, NOT IN or a
  comparison), and an item absent from the Items dataset has null metadata.
* ``Interactions.EVENT_TYPE`` looks at the user's most recent 100 events *per event type*; event types match
  case-insensitively; ``*`` matches any type.
* Placeholders: INCLUDE expressions need every value (FilterValueError naming the missing one); in an EXCLUDE
  expression a condition whose placeholder is omitted is dropped, and the expression is dropped when nothing is
  left (or when an IF condition's placeholder is omitted).
* ``IF CurrentUser.X …``: the expression applies only when the current user's row satisfies every condition
  (no Users row or a null value = not satisfied = the expression is not applied).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from personalize_local.filters.ast import (
    BoolOp,
    Condition,
    CurrentItemRef,
    Expression,
    Literal_,
    Node,
    Param,
    UserCondition,
    Wildcard,
)
from personalize_local.filters.context import FilterContext, FilterValueError, UserEvent

EVENTS_PER_TYPE = 100
_VALUE_RE = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^",]*?))\s*(?:,|$)')


# -- filterValues --------------------------------------------------------------------------------------------------
def parse_filter_value(name: str, raw: str) -> list[str]:
    """A ``filterValues`` entry (``"\\"Action\\",\\"Drama\\""`` or ``2005``) as a list of strings."""
    text = raw.strip()
    if not text:
        raise FilterValueError(f"filterValues[{name!r}] is empty")
    values: list[str] = []
    pos = 0
    while pos < len(text):
        match = _VALUE_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterValueError(f"filterValues[{name!r}] is malformed at character {pos}: {raw!r}")
        quoted, bare = match.group(1), match.group(2)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else (bare or "").strip()
        if quoted is None and ('"' in value or not value):
            raise FilterValueError(f"filterValues[{name!r}] is malformed at character {pos}: {raw!r}")
        values.append(value)
        pos = match.end()
    if text.endswith(","):
        raise FilterValueError(f"filterValues[{name!r}] ends with a comma: {raw!r}")
    return values


def _number(name: str, values: Sequence[Literal_]) -> float:
    if len(values) != 1:
        raise FilterValueError(f"filterValues[{name!r}] must be one number for a comparison, got {len(values)} values")
    try:
        return float(values[0])
    except ValueError:
        raise FilterValueError(f"filterValues[{name!r}] must be a number for a comparison, got {values[0]!r}") from None


# -- the items table, aligned to the candidate items and cached ------------------------------------------------------
class _Column:
    """One Items column aligned to ``item_ids``: null mask, numeric view, and token incidence for any-match."""

    def __init__(self, values: pd.Series) -> None:
        self.null = (values.isna() | (values.astype("string") == "")).to_numpy(dtype=bool)
        self.numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        self.is_numeric = pd.api.types.is_numeric_dtype(values.dtype)
        text = values.astype("string").fillna("")
        exploded = text.str.split("|").explode()
        codes, uniques = pd.factorize(exploded.to_numpy(dtype=object))
        rows = np.repeat(np.arange(len(values)), text.str.count(r"\|").to_numpy(dtype=np.int64) + 1)
        keep = (codes >= 0) & ~self.null[rows]
        self.tokens = np.asarray(uniques, dtype=object)
        self.incidence = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], codes[keep])),
            shape=(len(values), len(self.tokens)),
        )
        self._token_index = {t: i for i, t in enumerate(self.tokens.tolist())}

    def any_in(self, values: Sequence[Literal_]) -> np.ndarray:
        """Rows where any token equals one of ``values`` (numbers compared numerically on numeric columns)."""
        if self.is_numeric:
            numbers = []
            for v in values:
                try:
                    numbers.append(float(v))
                except ValueError:
                    continue
            return np.isin(self.numeric, numbers) & ~self.null
        wanted = np.zeros(len(self.tokens), dtype=np.float32)
        for v in values:
            key = _format_literal(v)
            i = self._token_index.get(key)
            if i is not None:
                wanted[i] = 1.0
        return (self.incidence @ wanted) > 0

    def none_in(self, values: Sequence[Literal_]) -> np.ndarray:
        """Non-null rows where no token is in ``values``."""
        return ~self.any_in(values) & ~self.null

    def compare(self, op: str, value: float) -> np.ndarray:
        """Numeric comparison; nulls and non-numbers never match."""
        col = self.numeric
        with np.errstate(invalid="ignore"):
            result = {
                "=": col == value,
                "!=": col != value,
                "<": col < value,
                "<=": col <= value,
                ">": col > value,
                ">=": col >= value,
            }[op]
        return result & ~np.isnan(col)


def _format_literal(value: Literal_) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


class _ItemTable:
    """The Items dataset aligned to one candidate array; columns prepared lazily and kept."""

    def __init__(self, items: pd.DataFrame | None, item_ids: np.ndarray) -> None:
        self.item_ids = item_ids
        self.lookup = {item: i for i, item in enumerate(item_ids.tolist())}
        if items is not None and "ITEM_ID" in items.columns:
            items = items.set_index(items["ITEM_ID"].astype(str))
        self.items = items
        self.columns: dict[str, _Column] = {}
        self.lock = threading.Lock()

    def column(self, name: str) -> _Column | None:
        """The aligned column ``name``; None when the Items dataset has no such column."""
        found = self.columns.get(name)
        if found is not None:
            return found
        if self.items is None or name not in self.items.columns:
            return None
        series = self.items[name]
        if not series.index.is_unique:
            series = series[~series.index.duplicated(keep="last")]
        built = _Column(series.reindex(self.item_ids.astype(str)))
        with self.lock:
            self.columns.setdefault(name, built)
        return self.columns[name]


_TABLES: OrderedDict[tuple[int, int], tuple[object, object, _ItemTable]] = OrderedDict()
_TABLES_LOCK = threading.Lock()
_MAX_TABLES = 16


def _table(context: FilterContext) -> _ItemTable:
    key = (id(context.items), id(context.item_ids))
    with _TABLES_LOCK:
        hit = _TABLES.get(key)
        if hit is not None and hit[0] is context.items and hit[1] is context.item_ids:
            _TABLES.move_to_end(key)
            return hit[2]
    table = _ItemTable(context.items, np.asarray(context.item_ids, dtype=object))
    with _TABLES_LOCK:
        _TABLES[key] = (context.items, context.item_ids, table)
        while len(_TABLES) > _MAX_TABLES:
            _TABLES.popitem(last=False)
    return table


# -- evaluation ----------------------------------------------------------------------------------------------------
class _Request:
    """One evaluation: the context, the aligned items, the parsed filterValues."""

    def __init__(self, context: FilterContext, filter_values: Mapping[str, str]) -> None:
        self.context = context
        self.table = _table(context)
        self.n = len(context.item_ids)
        self.raw_values = filter_values
        self._values: dict[str, list[str]] = {}
        self._events: dict[str, list[UserEvent]] | None = None

    def values(self, param: Param) -> list[str] | None:
        if param.name not in self.raw_values:
            return None
        if param.name not in self._values:
            self._values[param.name] = parse_filter_value(param.name, str(self.raw_values[param.name]))
        return self._values[param.name]

    def recent_events(self) -> dict[str, list[UserEvent]]:
        """The user's events grouped by lower-cased event type, the most recent 100 of each."""
        if self._events is None:
            by_type: dict[str, list[UserEvent]] = defaultdict(list)
            for event in self.context.user_events:
                by_type[event.event_type.lower()].append(event)
            self._events = {}
            for event_type, events in by_type.items():
                events = sorted(events, key=lambda e: e.timestamp)  # stable: ties keep arrival order
                self._events[event_type] = events[-EVENTS_PER_TYPE:]
        return self._events


def _items_mask(request: _Request, item_ids: set[str]) -> np.ndarray:
    mask = np.zeros(request.n, dtype=bool)
    lookup = request.table.lookup
    positions = [lookup[i] for i in item_ids if i in lookup]
    mask[positions] = True
    return mask


def _condition(request: _Request, cond: Condition, action: str) -> np.ndarray | None:
    """Mask of items matching ``cond``; None when the condition is dropped (omitted EXCLUDE placeholder)."""
    operand = cond.operand
    if isinstance(operand, Param):
        values = request.values(operand)
        if values is None:
            if action == "INCLUDE":
                raise FilterValueError(
                    f"filterValues must contain a value for ${operand.name}: it is used by an INCLUDE expression"
                )
            return None
        literals: Sequence[Literal_] = values
    elif isinstance(operand, CurrentItemRef):
        current = request.context.current_item
        if current is None:
            raise FilterValueError("This filter uses CurrentItem, which is only available with an itemId request")
        raw = current.get(operand.field)
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw == "":
            return np.zeros(request.n, dtype=bool)
        literals = str(raw).split("|") if isinstance(raw, str) else [raw]  # type: ignore[list-item]
    elif isinstance(operand, Wildcard):
        literals = ["*"]
    else:
        literals = operand

    if cond.dataset == "Interactions":
        return _interactions_condition(request, cond.op, literals)
    column = request.table.column(cond.field)
    if column is None:
        return np.zeros(request.n, dtype=bool)
    if cond.op == "IN":
        return column.any_in(literals)
    if cond.op == "NOT IN":
        return column.none_in(literals)
    if cond.op in ("=", "!=") and not _all_numeric(literals):
        return column.any_in(literals) if cond.op == "=" else column.none_in(literals)
    name = operand.name if isinstance(operand, Param) else f"{cond.dataset}.{cond.field}"
    return column.compare(cond.op, _number(name, literals))


def _all_numeric(values: Sequence[Literal_]) -> bool:
    try:
        for v in values:
            float(v)
    except ValueError:
        return False
    return True


def _interactions_condition(request: _Request, op: str, literals: Sequence[Literal_]) -> np.ndarray:
    wanted = {str(v).lower() for v in literals}
    events = request.recent_events()
    if "*" in wanted:
        types = set(events) if op == "IN" else set()
    else:
        types = {t for t in events if (t in wanted) == (op == "IN")}
    return _items_mask(request, {e.item_id for t in types for e in events[t]})


def _node(request: _Request, node: Node, action: str) -> np.ndarray | None:
    if isinstance(node, Condition):
        return _condition(request, node, action)
    assert isinstance(node, BoolOp)
    masks = [m for m in (_node(request, child, action) for child in node.children) if m is not None]
    if not masks:
        return None
    combine = np.logical_and if node.op == "AND" else np.logical_or
    return combine.reduce(masks)


def _user_condition(request: _Request, cond: UserCondition, action: str) -> bool | None:
    """Whether the current user satisfies ``cond``; None when an EXCLUDE placeholder is omitted."""
    if isinstance(cond.operand, Param):
        values = request.values(cond.operand)
        if values is None:
            if action == "INCLUDE":
                raise FilterValueError(
                    f"filterValues must contain a value for ${cond.operand.name}: it is used by an INCLUDE expression"
                )
            return None
        literals: Sequence[Literal_] = values
    else:
        literals = cond.operand
    user = request.context.user
    raw = None if user is None else user.get(cond.field)
    if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw == "":
        return False
    column = _Column(pd.Series([raw]))
    if cond.op == "IN":
        return bool(column.any_in(literals)[0])
    if cond.op == "NOT IN":
        return bool(column.none_in(literals)[0])
    if cond.op in ("=", "!=") and not _all_numeric(literals):
        return bool((column.any_in(literals) if cond.op == "=" else column.none_in(literals))[0])
    name = cond.operand.name if isinstance(cond.operand, Param) else f"CurrentUser.{cond.field}"
    return bool(column.compare(cond.op, _number(name, literals))[0])


def _expression(request: _Request, expression: Expression) -> np.ndarray | None:
    """Items matched by ``expression``; None when the expression is not applied."""
    applies = True
    for cond in expression.if_conditions:
        satisfied = _user_condition(request, cond, expression.action)
        if satisfied is None or not satisfied:
            applies = False
    where = _node(request, expression.where, expression.action)
    return where if applies else None


def evaluate(expressions: Sequence[Expression], context: FilterContext, filter_values: Mapping[str, str]) -> np.ndarray:
    """Boolean mask over ``context.item_ids`` for a filter's parsed ``expressions`` (semantics: the module doc)."""
    request = _Request(context, filter_values)
    include: np.ndarray | None = None
    exclude = np.zeros(request.n, dtype=bool)
    for expression in expressions:
        matched = _expression(request, expression)
        if matched is None:
            continue
        if expression.action == "INCLUDE":
            include = matched if include is None else include | matched
        else:
            exclude |= matched
    allowed = np.ones(request.n, dtype=bool) if include is None else include
    return allowed & ~exclude
