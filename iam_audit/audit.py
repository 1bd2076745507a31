"""Evaluate recorded calls against the template's policies: denied calls, and grants no call exercised.

A grant is one (action pattern, resource pattern) pair of an Allow statement. An unused grant is *explained* when
the resource's block in template.yaml carries a comment ``# not exercised offline: <action>[, <action>...] - why``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from iam_audit.evaluator import Decision, Principal, Request, evaluate, evaluate_same_account, wildcard_match
from iam_audit.evaluator import statement_applies as applies
from iam_audit.policies import BUCKET_POLICY, SERVICE_ROLE, TemplatePolicies
from iam_audit.recorder import PERSONALIZE_PRINCIPAL, RecordedCall
from sam_app.template import TEMPLATE_PATH

_EXPLANATION = re.compile(r"#\s*not exercised offline:\s*(?P<actions>[\w:*\s,]+?)\s+-\s+(?P<reason>\S.*)$")


@dataclass(frozen=True)
class Grant:
    """One action pattern of one Allow statement of ``principal``'s policies (on that statement's resources)."""

    principal: str
    action: str
    resources: tuple[str, ...]
    statement: Mapping[str, Any] = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Denial:
    """A recorded request the policies do not allow."""

    principal: str
    operation: str
    request: Request
    decision: Decision


@dataclass
class PrincipalReport:
    """What one principal did and was allowed."""

    principal: str
    calls: int = 0
    denied: list[Denial] = field(default_factory=list)
    unused: list[Grant] = field(default_factory=list)
    explained: dict[Grant, str] = field(default_factory=dict)
    unused_resources: list[tuple[str, str]] = field(default_factory=list)  # (actions, resource pattern): info only

    @property
    def unexplained(self) -> list[Grant]:
        """Unused grants without a ``not exercised offline`` comment."""
        return [grant for grant in self.unused if grant not in self.explained]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def grants(principal: str, policies: Iterable[Mapping[str, Any]]) -> list[Grant]:
    """Every action pattern the Allow statements of ``policies`` grant (with the statement's resources)."""
    found = []
    for policy in policies:
        for statement in _as_list(policy.get("Statement", [])):
            if statement.get("Effect") != "Allow":
                continue
            resources = tuple(_as_list(statement.get("Resource", "*")))
            for action in _as_list(statement.get("Action", [])):
                found.append(Grant(principal, action, resources, statement))
    return found


def _narrowed(statement: Mapping[str, Any], **elements: Any) -> dict[str, Any]:
    return {**statement, **elements}


def _grant_used(grant: Grant, request: Request) -> bool:
    return applies(_narrowed(grant.statement, Action=grant.action), request)


def _unused_resources(policies: Iterable[Mapping[str, Any]], requests: list[Request]) -> list[tuple[str, str]]:
    """Resource patterns of Allow statements that no allowed request matched (a hint, not a failure)."""
    unused = []
    for policy in policies:
        for statement in _as_list(policy.get("Statement", [])):
            if statement.get("Effect") != "Allow":
                continue
            actions = ", ".join(_as_list(statement.get("Action", [])))
            for resource in _as_list(statement.get("Resource", "*")):
                narrowed = _narrowed(statement, Resource=resource)
                if not any(applies(narrowed, request) for request in requests):
                    unused.append((actions, resource))
    return unused


def template_explanations(text: str) -> dict[str, dict[str, str]]:
    """Resource logical id -> {action: reason} from the ``# not exercised offline:`` comments of its block."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    current = None
    in_resources = False
    for line in text.splitlines():
        if re.match(r"^\S", line):
            in_resources = line.startswith("Resources:")
            current = None
            continue
        header = re.match(r"^  ([A-Za-z0-9]+):\s*$", line)
        if in_resources and header:
            current = header.group(1)
            continue
        match = _EXPLANATION.search(line)
        if in_resources and current and match:
            for action in re.split(r"[,\s]+", match.group("actions").strip()):
                found[current][action.lower()] = match.group("reason").strip()
    return dict(found)


def _decide(call: RecordedCall, request: Request, policies: TemplatePolicies, account: str) -> Decision:
    on_bucket = request.resource.startswith(policies.bucket_arn)
    if call.principal == SERVICE_ROLE:
        # Personalize reads with the role, and the bucket policy must allow the service too (both are required).
        as_service = Request(
            request.action,
            request.resource,
            {**request.context, "aws:SourceAccount": account},
            PERSONALIZE_PRINCIPAL,
        )
        role = evaluate(policies.identity[SERVICE_ROLE], request)
        bucket = evaluate([policies.bucket_policy], as_service) if on_bucket else Decision.IMPLICIT_DENY
        if Decision.EXPLICIT_DENY in (role, bucket):
            return Decision.EXPLICIT_DENY
        return Decision.ALLOW if role == bucket == Decision.ALLOW else Decision.IMPLICIT_DENY
    role_arn = f"arn:aws:iam::{account}:role/{call.principal}Role"
    as_role = Request(request.action, request.resource, request.context, Principal("AWS", role_arn))
    return evaluate_same_account(
        policies.identity.get(call.principal, []), policies.bucket_policy if on_bucket else None, as_role
    )


def audit(
    calls: Iterable[RecordedCall],
    policies: TemplatePolicies,
    account: str = "123456789012",
    template_text: str | None = None,
) -> dict[str, PrincipalReport]:
    """Principal -> report: calls, denied requests, unused grants (and which of those the template explains)."""
    text = template_text if template_text is not None else TEMPLATE_PATH.read_text("utf-8")
    explanations = template_explanations(text)
    reports = {name: PrincipalReport(name) for name in policies.identity}
    reports[BUCKET_POLICY] = PrincipalReport(BUCKET_POLICY)
    allowed: dict[str, list[Request]] = defaultdict(list)
    for call in calls:
        report = reports.setdefault(call.principal, PrincipalReport(call.principal))
        report.calls += 1
        for request in call.requests:
            decision = _decide(call, request, policies, account)
            if decision is Decision.ALLOW:
                allowed[call.principal].append(request)
                if call.principal == SERVICE_ROLE:
                    ctx = {**request.context, "aws:SourceAccount": account}
                    allowed[BUCKET_POLICY].append(Request(request.action, request.resource, ctx, PERSONALIZE_PRINCIPAL))
            else:
                report.denied.append(Denial(call.principal, call.operation, request, decision))
    owners = {**{name: policies.identity[name] for name in policies.identity}, BUCKET_POLICY: [policies.bucket_policy]}
    for name, owner_policies in owners.items():
        report = reports[name]
        for grant in grants(name, owner_policies):
            if any(_grant_used(grant, request) for request in allowed[name]):
                continue
            report.unused.append(grant)
            reasons = explanations.get(name, {})
            reason = reasons.get(grant.action.lower()) or next(
                (why for pattern, why in reasons.items() if wildcard_match(pattern, grant.action, ignore_case=True)),
                None,
            )
            if reason:
                report.explained[grant] = reason
        report.unused_resources = _unused_resources(owner_policies, allowed[name])
    return reports


def format_report(reports: Mapping[str, PrincipalReport]) -> str:
    """A plain-text table: per principal, calls, denied, unused grants (explained / not), then the details."""
    lines = [f"{'principal':<32} {'calls':>6} {'denied':>6} {'unused':>6} {'unexplained':>11}"]
    ran = {name for name, report in reports.items() if report.calls or name == BUCKET_POLICY}
    for name in sorted(reports):
        report = reports[name]
        if name not in ran:
            lines.append(f"{name:<32} {'-':>6} {'-':>6} {'-':>6} {'not run':>11}")
            continue
        lines.append(
            f"{name:<32} {report.calls:>6} {len(report.denied):>6} {len(report.unused):>6} "
            f"{len(report.unexplained):>11}"
        )
    for name in sorted(ran):
        report = reports[name]
        for denial in report.denied:
            lines.append(
                f"DENIED   {name}: {denial.operation} -> {denial.request.action} on {denial.request.resource} "
                f"({denial.decision.value})"
            )
        for grant in report.unused:
            why = report.explained.get(grant)
            label = f"explained: {why}" if why else "UNEXPLAINED"
            lines.append(f"unused   {name}: {grant.action} on {', '.join(grant.resources)} ({label})")
        for actions, resource in report.unused_resources:
            lines.append(f"hint     {name}: no call used {resource} (granted for {actions})")
    return "\n".join(lines)


def audit_offline_run(stack: Any) -> dict[str, PrincipalReport]:
    """Audit what an ``offline.harness.offline_pipeline`` stack recorded, against its own physical resources."""
    from iam_audit.policies import load_policies

    return audit(list(stack.registry.calls.calls), load_policies(region=stack.region, physical=dict(stack.physical)))


def summary_line(reports: Mapping[str, PrincipalReport]) -> str:
    """One line: calls, principals, denials, unused grants of the principals that ran (and how many explained)."""
    ran = [report for report in reports.values() if report.calls]
    calls = sum(report.calls for report in ran)
    denied = sum(len(report.denied) for report in ran)
    unused = sum(len(report.unused) for report in ran)
    unexplained = sum(len(report.unexplained) for report in ran)
    return (
        f"Least privilege: {calls} AWS calls by {len(ran)} principals, {denied} denied by their template policies; "
        f"{unused} granted actions unused in this run ({unused - unexplained} explained in template.yaml)"
    )
