"""The parsed form of a filter expression (what :mod:`parser` builds and :mod:`evaluator` runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["INCLUDE", "EXCLUDE"]
Dataset = Literal["Items", "Interactions"]
Operator = Literal["IN", "NOT IN", "=", "!=", "<", "<=", ">", ">="]
Literal_ = str | float  # a quoted string or a number


@dataclass(frozen=True)
class Param:
    """A ``$NAME`` placeholder, filled from ``filterValues`` at request time."""

    name: str
    position: int


@dataclass(frozen=True)
class Wildcard:
    """``*`` in ``Interactions.EVENT_TYPE IN ("*")`` / ``IN (*)``: any event type."""


@dataclass(frozen=True)
class CurrentItemRef:
    """``CurrentItem.FIELD``: the item of a RELATED_ITEMS request."""

    field: str


Operand = tuple[Literal_, ...] | Param | Wildcard | CurrentItemRef


@dataclass(frozen=True)
class Condition:
    """``<dataset>.<field> <op> <operand>``."""

    dataset: Dataset
    field: str
    op: Operator
    operand: Operand
    position: int


@dataclass(frozen=True)
class BoolOp:
    """Conditions joined by AND or OR (AND binds tighter than OR)."""

    op: Literal["AND", "OR"]
    children: tuple[Node, ...]


Node = Condition | BoolOp


@dataclass(frozen=True)
class UserCondition:
    """One condition of an ``IF CurrentUser.FIELD …`` clause."""

    field: str
    op: Operator
    operand: tuple[Literal_, ...] | Param
    position: int


@dataclass(frozen=True)
class Expression:
    """One ``INCLUDE|EXCLUDE ItemID WHERE … [IF …]`` part of a filter."""

    action: Action
    dataset: Dataset
    where: Node
    if_conditions: tuple[UserCondition, ...]
    position: int


def conditions_of(node: Node) -> list[Condition]:
    """Every condition under ``node``, left to right."""
    if isinstance(node, Condition):
        return [node]
    return [c for child in node.children for c in conditions_of(child)]


def params_of(expression: Expression) -> list[Param]:
    """Every placeholder used by ``expression`` (WHERE and IF)."""
    operands = [c.operand for c in conditions_of(expression.where)] + [c.operand for c in expression.if_conditions]
    return [o for o in operands if isinstance(o, Param)]
