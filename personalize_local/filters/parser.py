"""Tokenizer and recursive-descent parser for Personalize filter expressions (reference §3.1).

Grammar (keywords are case-insensitive; dataset names as documented; field and parameter names are exact)::

    filter     := expression ( "|" expression )*
    expression := ("INCLUDE" | "EXCLUDE") "ItemID" "WHERE" or_expr [ "IF" user_cond ( "AND" user_cond )* ]
    or_expr    := and_expr ( "OR" and_expr )*
    and_expr   := condition ( "AND" condition )*
    condition  := field ("IN" | "NOT IN") ( "(" valuelist ")" | CurrentItem.FIELD )
                | field cmp ( number | string | $PARAM | CurrentItem.FIELD )
    field      := "Items." NAME | "Interactions.EVENT_TYPE"
    valuelist  := value ( "," value )* | $PARAM | "*"
    user_cond  := "CurrentUser." NAME ( "IN" "(" valuelist ")" | cmp ( number | string | $PARAM ) )
    cmp        := "=" | "!=" | "<" | "<=" | ">" | ">="

Rules enforced here (CreateFilter rejects them on AWS): one dataset per expression, only ``EVENT_TYPE`` of
Interactions and only with IN / NOT IN, ``*`` only for event types, no placeholder with NOT IN, ordering
comparisons need a number, a placeholder or a CurrentItem field, at most 2500 characters and 10 distinct fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from personalize_local.filters.ast import (
    BoolOp,
    Condition,
    CurrentItemRef,
    Expression,
    Literal_,
    Node,
    Operand,
    Param,
    UserCondition,
    Wildcard,
    conditions_of,
    params_of,
)
from personalize_local.filters.context import FilterContext, FilterSyntaxError
from personalize_local.filters.evaluator import evaluate

MAX_EXPRESSION_LENGTH = 2500
MAX_DISTINCT_FIELDS = 10

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<param>\$[A-Za-z0-9_]+)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<punct>[(),|*])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"INCLUDE", "EXCLUDE", "WHERE", "IN", "NOT", "AND", "OR", "IF", "ITEMID", "USERID", "ACTIONID"}
_CMP_OPS = ("=", "!=", "<", "<=", ">", ">=")
_DATASETS = {"items": "Items", "interactions": "Interactions"}


@dataclass(frozen=True)
class Token:
    """One lexical token with its 0-based character offset."""

    kind: str  # string | number | param | op | punct | ident | keyword | eof
    text: str
    position: int

    @property
    def upper(self) -> str:
        """The text upper-cased (keywords are case-insensitive)."""
        return self.text.upper()


def tokenize(expression: str) -> list[Token]:
    """Split ``expression`` into tokens; FilterSyntaxError at the first character that starts no token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN_RE.match(expression, pos)
        if match is None:
            if expression[pos] == '"':
                raise FilterSyntaxError("Unterminated string literal", pos)
            raise FilterSyntaxError(f"Invalid input symbol: {expression[pos]!r}", pos)
        kind = match.lastgroup or ""
        text = match.group()
        if kind != "ws":
            if kind == "ident" and "." not in text and text.upper() in _KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("eof", "", len(expression)))
    return tokens


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


class _Parser:
    def __init__(self, expression: str) -> None:
        self.tokens = tokenize(expression)
        self.index = 0

    # -- token helpers -------------------------------------------------------------------------------------------
    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected: str, token: Token | None = None) -> FilterSyntaxError:
        token = token or self.peek
        found = "end of expression" if token.kind == "eof" else repr(token.text)
        return FilterSyntaxError(f"Expected {expected} but found {found}", token.position)

    def keyword(self, *words: str) -> Token:
        token = self.peek
        if token.kind == "keyword" and token.upper in words:
            return self.advance()
        raise self.fail(" or ".join(words))

    def at_keyword(self, word: str) -> bool:
        return self.peek.kind == "keyword" and self.peek.upper == word

    def punct(self, char: str) -> Token:
        if self.peek.kind == "punct" and self.peek.text == char:
            return self.advance()
        raise self.fail(repr(char))

    # -- grammar -------------------------------------------------------------------------------------------------
    def parse(self) -> list[Expression]:
        expressions = [self.expression()]
        while self.peek.kind == "punct" and self.peek.text == "|":
            self.advance()
            expressions.append(self.expression())
        if self.peek.kind != "eof":
            raise self.fail("'|' or end of expression")
        return expressions

    def expression(self) -> Expression:
        start = self.keyword("INCLUDE", "EXCLUDE")
        target = self.peek
        if target.kind == "keyword" and target.upper in ("USERID", "ACTIONID"):
            raise FilterSyntaxError(
                f"{target.text} filters are not supported (user segments and actions are not implemented); use ItemID",
                target.position,
            )
        self.keyword("ITEMID")
        self.keyword("WHERE")
        where = self.or_expr()
        conditions = conditions_of(where)
        dataset = conditions[0].dataset
        for condition in conditions[1:]:
            if condition.dataset != dataset:
                raise FilterSyntaxError(
                    f"One expression cannot mix the {dataset} and {condition.dataset} datasets; "
                    "join separate expressions with '|'",
                    condition.position,
                )
        if_conditions: list[UserCondition] = []
        if self.at_keyword("IF"):
            self.advance()
            if_conditions.append(self.user_condition())
            while self.at_keyword("AND"):
                self.advance()
                if_conditions.append(self.user_condition())
            if self.at_keyword("OR"):
                raise FilterSyntaxError("IF conditions can only be joined with AND", self.peek.position)
            if self.at_keyword("IF"):
                raise FilterSyntaxError(
                    "Only one IF clause is allowed, at the end of an expression", self.peek.position
                )
        return Expression(start.upper, dataset, where, tuple(if_conditions), start.position)  # type: ignore[arg-type]

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.at_keyword("OR"):
            self.advance()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else BoolOp("OR", tuple(children))

    def and_expr(self) -> Node:
        children: list[Node] = [self.condition()]
        while self.at_keyword("AND"):
            self.advance()
            children.append(self.condition())
        return children[0] if len(children) == 1 else BoolOp("AND", tuple(children))

    def field(self) -> tuple[str, str, Token]:
        token = self.peek
        if token.kind != "ident" or "." not in token.text:
            raise self.fail("a dataset field such as Items.GENRES or Interactions.EVENT_TYPE")
        self.advance()
        dataset, name = token.text.split(".", 1)
        return dataset, name, token

    def operator(self) -> str:
        token = self.peek
        if token.kind == "keyword" and token.upper == "NOT":
            self.advance()
            self.keyword("IN")
            return "NOT IN"
        if token.kind == "keyword" and token.upper == "IN":
            self.advance()
            return "IN"
        if token.kind == "op":
            self.advance()
            return token.text
        raise self.fail("IN, NOT IN or a comparison operator (= != < <= > >=)")

    def condition(self) -> Condition:
        raw_dataset, name, token = self.field()
        dataset = _DATASETS.get(raw_dataset.lower())
        if dataset is None:
            if raw_dataset.lower() in ("currentuser", "users"):
                raise FilterSyntaxError(
                    f"{token.text}: user fields can only be used in an IF CurrentUser clause", token.position
                )
            raise FilterSyntaxError(
                f"Unknown dataset {raw_dataset!r} in {token.text}: use Items or Interactions", token.position
            )
        if dataset == "Interactions" and name != "EVENT_TYPE":
            raise FilterSyntaxError(
                f"Only Interactions.EVENT_TYPE can be filtered, not Interactions.{name}", token.position
            )
        op_token = self.peek
        op = self.operator()
        if dataset == "Interactions" and op not in ("IN", "NOT IN"):
            raise FilterSyntaxError("Interactions.EVENT_TYPE supports only IN and NOT IN", op_token.position)
        operand = self.operand(op, allow_current_item=dataset == "Items", allow_wildcard=dataset == "Interactions")
        return Condition(dataset, name, op, operand, token.position)  # type: ignore[arg-type]

    def user_condition(self) -> UserCondition:
        raw_dataset, name, token = self.field()
        if raw_dataset.lower() != "currentuser":
            raise FilterSyntaxError(f"IF conditions must use CurrentUser fields, not {token.text}", token.position)
        op = self.operator()
        operand = self.operand(op, allow_current_item=False, allow_wildcard=False)
        assert not isinstance(operand, (CurrentItemRef, Wildcard))
        return UserCondition(name, op, operand, token.position)  # type: ignore[arg-type]

    def operand(self, op: str, *, allow_current_item: bool, allow_wildcard: bool) -> Operand:
        token = self.peek
        if token.kind == "ident" and token.text.split(".", 1)[0].lower() == "currentitem" and "." in token.text:
            if not allow_current_item:
                raise FilterSyntaxError("CurrentItem fields can only be compared with Items fields", token.position)
            if op == "NOT IN":
                raise FilterSyntaxError("CurrentItem fields cannot be used with NOT IN", token.position)
            self.advance()
            return CurrentItemRef(token.text.split(".", 1)[1])
        if op in ("IN", "NOT IN"):
            return self.value_list(op, allow_wildcard)
        if token.kind == "param":
            self.advance()
            return Param(token.text[1:], token.position)
        if token.kind == "number":
            self.advance()
            return (float(token.text),)
        if token.kind == "string" and op in ("=", "!="):
            self.advance()
            return (_unquote(token.text),)
        if token.kind == "string":
            raise FilterSyntaxError(f"The {op} operator needs a number or a placeholder, not a string", token.position)
        raise self.fail("a number, a placeholder ($NAME) or a CurrentItem field")

    def value_list(self, op: str, allow_wildcard: bool) -> Operand:
        self.punct("(")
        token = self.peek
        if token.kind == "param":
            if op == "NOT IN":
                raise FilterSyntaxError(
                    f"Could not create filter. Invalid input symbol: {token.text}. "
                    "Placeholders are not allowed with NOT_IN operator.",
                    token.position,
                )
            self.advance()
            self.punct(")")
            return Param(token.text[1:], token.position)
        if (token.kind == "punct" and token.text == "*") or (token.kind == "string" and _unquote(token.text) == "*"):
            if allow_wildcard and op == "IN":
                self.advance()
                self.punct(")")
                return Wildcard()
            if token.kind == "punct":
                raise FilterSyntaxError("'*' is only allowed in Interactions.EVENT_TYPE IN (*)", token.position)
        values: list[Literal_] = [self.literal()]
        while self.peek.kind == "punct" and self.peek.text == ",":
            self.advance()
            values.append(self.literal())
        self.punct(")")
        return tuple(values)

    def literal(self) -> Literal_:
        token = self.peek
        if token.kind == "string":
            self.advance()
            return _unquote(token.text)
        if token.kind == "number":
            self.advance()
            return float(token.text)
        if token.kind == "param":
            raise FilterSyntaxError("A placeholder must be the only value inside IN ( )", token.position)
        raise self.fail('a quoted value such as "Action" or a number')


class FilterExpression:
    """A parsed filter: its expressions plus what they need at request time. Immutable and thread-safe."""

    def __init__(self, text: str, expressions: list[Expression]) -> None:
        self.text = text
        self.expressions = tuple(expressions)

    @cached_property
    def parameters(self) -> frozenset[str]:
        """Every placeholder name (without ``$``)."""
        return frozenset(p.name for e in self.expressions for p in params_of(e))

    @cached_property
    def required_parameters(self) -> frozenset[str]:
        """Placeholders of INCLUDE expressions: GetRecommendations must supply them."""
        return frozenset(p.name for e in self.expressions if e.action == "INCLUDE" for p in params_of(e))

    @cached_property
    def item_fields(self) -> frozenset[str]:
        """Items dataset fields the filter reads (including CurrentItem fields)."""
        fields: set[str] = set()
        for e in self.expressions:
            for c in conditions_of(e.where):
                if c.dataset == "Items":
                    fields.add(c.field)
                if isinstance(c.operand, CurrentItemRef):
                    fields.add(c.operand.field)
        return frozenset(fields)

    @cached_property
    def dataset_fields(self) -> frozenset[tuple[str, str]]:
        """Every (dataset, field) the filter names: WHERE conditions, CurrentItem (Items) and CurrentUser (Users)."""
        fields = {(c.dataset, c.field) for e in self.expressions for c in conditions_of(e.where)}
        fields |= {("Items", field) for field in self.item_fields}
        fields |= {("Users", field) for field in self.user_fields}
        return frozenset(fields)

    @cached_property
    def user_fields(self) -> frozenset[str]:
        """Users dataset fields read by IF CurrentUser clauses."""
        return frozenset(u.field for e in self.expressions for u in e.if_conditions)

    @property
    def uses_current_item(self) -> bool:
        """True when the filter needs the item of a RELATED_ITEMS request."""
        return any(isinstance(c.operand, CurrentItemRef) for e in self.expressions for c in conditions_of(e.where))

    @property
    def uses_current_user(self) -> bool:
        """True when an expression has an IF CurrentUser clause (needs a Users dataset)."""
        return bool(self.user_fields)

    @property
    def uses_interactions(self) -> bool:
        """True when an expression filters on the user's interactions."""
        return any(e.dataset == "Interactions" for e in self.expressions)

    def evaluate(self, context: FilterContext, filter_values: Mapping[str, str] | None = None) -> np.ndarray:
        """Boolean mask over ``context.item_ids``: True where the item may be recommended."""
        return evaluate(self.expressions, context, filter_values or {})

    def __repr__(self) -> str:
        return f"FilterExpression({self.text!r})"


def parse_filter(expression: str) -> FilterExpression:
    """Parse a Personalize filter expression; FilterSyntaxError (with ``position``) for what CreateFilter rejects."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise FilterSyntaxError(
            f"Filter expression is {len(expression)} characters long; the maximum is {MAX_EXPRESSION_LENGTH}",
            MAX_EXPRESSION_LENGTH,
        )
    if not expression.strip():
        raise FilterSyntaxError("Filter expression is empty", 0)
    expressions = _Parser(expression).parse()
    fields: dict[str, int] = {}
    for e in expressions:
        for c in conditions_of(e.where):
            fields.setdefault(f"{c.dataset}.{c.field}", c.position)
        for u in e.if_conditions:
            fields.setdefault(f"Users.{u.field}", u.position)
    if len(fields) > MAX_DISTINCT_FIELDS:
        eleventh = sorted(fields.values())[MAX_DISTINCT_FIELDS]
        raise FilterSyntaxError(
            f"A filter can use at most {MAX_DISTINCT_FIELDS} distinct dataset fields; this one uses {len(fields)}",
            eleventh,
        )
    return FilterExpression(expression, expressions)
