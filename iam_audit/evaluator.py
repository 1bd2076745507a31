"""IAM policy evaluation for one request: explicit deny beats allow, allow beats the implicit deny.

Why not moto's ``moto.iam.access_control.IAMPolicy`` (moto is a dependency already): it returns DENIED when an
*Allow* statement's condition does not hold (it should be "not applicable"), supports only ``StringEquals``, matches
action names case-sensitively and turns every ``.`` of a pattern into a regex wildcard. The template relies on
``StringLike`` (``s3:prefix``), ``Bool`` (``aws:SecureTransport`` in a Deny) and ``StringEquals``
(``iam:PassedToService``), so this module implements the documented rules instead:

- evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- Action / NotAction (case-insensitive), Resource / NotResource (case-sensitive), ``*`` and ``?`` wildcards:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html and
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
- condition operators, ``...IfExists``, missing keys, ``ForAnyValue`` / ``ForAllValues``:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Policy = Mapping[str, Any]


class Decision(enum.Enum):
    """The outcome of evaluating a request."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Principal:
    """Who makes a request, as a resource policy's ``Principal`` element names it (``AWS`` or ``Service``)."""

    kind: str  # "AWS" or "Service"
    identifier: str  # a role ARN or a service principal such as personalize.amazonaws.com


@dataclass(frozen=True)
class Request:
    """One authorization request: action (``service:Action``), resource ARN, request context keys."""

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    principal: Principal | None = None


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard matching: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one character."""
    return _pattern(pattern, ignore_case).match(value) is not None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _context_value(context: Mapping[str, str | Sequence[str]], key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():  # condition key names are case-insensitive
            return [str(item) for item in _as_list(value)]
    return None


def _string_test(operator: str) -> tuple[Any, bool]:
    """(value test, negated) of a string, ARN or Bool operator without its IfExists / set prefixes."""
    tests: dict[str, tuple[Any, bool]] = {
        "StringEquals": (lambda want, have: want == have, False),
        "StringNotEquals": (lambda want, have: want == have, True),
        "StringEqualsIgnoreCase": (lambda want, have: want.lower() == have.lower(), False),
        "StringNotEqualsIgnoreCase": (lambda want, have: want.lower() == have.lower(), True),
        "StringLike": (lambda want, have: wildcard_match(want, have), False),
        "StringNotLike": (lambda want, have: wildcard_match(want, have), True),
        "ArnEquals": (lambda want, have: wildcard_match(want, have), False),
        "ArnLike": (lambda want, have: wildcard_match(want, have), False),
        "ArnNotEquals": (lambda want, have: wildcard_match(want, have), True),
        "ArnNotLike": (lambda want, have: wildcard_match(want, have), True),
        "Bool": (lambda want, have: want.lower() == have.lower(), False),
    }
    try:
        return tests[operator]
    except KeyError as error:
        raise ValueError(f"condition operator {operator} is not supported by this evaluator") from error


def condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str | Sequence[str]]) -> bool:
    """Whether one ``operator: {key: expected}`` entry of a Condition block holds for the request context."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    wanted = [str(item) for item in _as_list(expected)]
    actual = _context_value(context, key)
    if name == "Null":
        return (actual is None) == (wanted[0].lower() == "true")
    test, negated = _string_test(name)
    if actual is None:  # ForAllValues over no values is vacuously true
        return True if if_exists or qualifier == "ForAllValues" else negated
    if qualifier == "ForAllValues":
        matched = all(any(test(want, have) for want in wanted) for have in actual)
    elif qualifier == "ForAnyValue":
        matched = any(test(want, have) for want in wanted for have in actual)
    else:  # single-valued key: any of the listed values (OR)
        matched = any(test(want, have) for want in wanted for have in actual)
    return not matched if negated else matched


def _conditions_hold(block: Mapping[str, Mapping[str, Any]], context: Mapping[str, str | Sequence[str]]) -> bool:
    """Every operator and every key of a Condition block must hold (AND); values of one key are OR-ed."""
    return all(
        condition_holds(operator, key, expected, context)
        for operator, entries in block.items()
        for key, expected in entries.items()
    )


def _principal_matches(element: Any, principal: Principal | None) -> bool:
    if element == "*":
        return True
    if principal is None or not isinstance(element, Mapping):
        return False
    return any(value in ("*", principal.identifier) for value in _as_list(element.get(principal.kind, [])))


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether a statement's Principal, Action, Resource and Condition elements all match the request."""
    if "Principal" in statement and not _principal_matches(statement["Principal"], request.principal):
        return False
    if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], request.principal):
        return False
    if "Action" in statement:
        action_ok = any(wildcard_match(a, request.action, ignore_case=True) for a in _as_list(statement["Action"]))
    else:
        action_ok = not any(
            wildcard_match(a, request.action, ignore_case=True) for a in _as_list(statement["NotAction"])
        )
    if not action_ok:
        return False
    if "Resource" in statement:
        resource_ok = any(wildcard_match(r, request.resource) for r in _as_list(statement["Resource"]))
    elif "NotResource" in statement:
        resource_ok = not any(wildcard_match(r, request.resource) for r in _as_list(statement["NotResource"]))
    else:  # trust policies have no Resource element
        resource_ok = True
    return resource_ok and _conditions_hold(statement.get("Condition", {}), request.context)


def statements(policies: Iterable[Policy]) -> list[Mapping[str, Any]]:
    """Every statement of the policies (a policy's Statement may be one object or a list)."""
    return [statement for policy in policies for statement in _as_list(policy.get("Statement", []))]


def evaluate(policies: Iterable[Policy], request: Request) -> Decision:
    """The decision of a set of policies for one request: any matching Deny wins, then any matching Allow."""
    allowed = False
    for statement in statements(policies):
        if not statement_applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return Decision.EXPLICIT_DENY
        allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def evaluate_same_account(
    identity_policies: Iterable[Policy], resource_policy: Policy | None, request: Request
) -> Decision:
    """A principal and a resource of one account: an explicit deny in either policy denies; otherwise an allow
    in the identity-based *or* the resource-based policy allows (the evaluation-logic page, "same account")."""
    identity = evaluate(identity_policies, request)
    resource = evaluate([resource_policy], request) if resource_policy else Decision.IMPLICIT_DENY
    if Decision.EXPLICIT_DENY in (identity, resource):
        return Decision.EXPLICIT_DENY
    return Decision.ALLOW if Decision.ALLOW in (identity, resource) else Decision.IMPLICIT_DENY
