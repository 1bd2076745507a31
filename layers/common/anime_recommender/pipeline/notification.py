"""The SNS message: the metrics table, the promotion decisions and the execution link - or what failed and why."""

from __future__ import annotations

import json
import os
from typing import Any

from anime_recommender.contracts.metrics import METRIC_KEYS
from anime_recommender.pipeline.config import metric_label


def metrics_table(metrics: dict[str, dict[str, float]]) -> str:
    """A fixed-width table: one row per recipe, one column per metric."""
    columns = [name for name in METRIC_KEYS if any(name in values for values in metrics.values())]
    extra = sorted({name for values in metrics.values() for name in values} - set(columns))
    columns += extra
    first = max([len("recipe"), *(len(key) for key in metrics)])
    widths = [max(len(metric_label(name)), 6) for name in columns]
    header = (
        "recipe".ljust(first) + "  " + "  ".join(metric_label(n).rjust(w) for n, w in zip(columns, widths, strict=True))
    )
    lines = [header, "-" * len(header)]
    for key, values in metrics.items():
        cells = [
            f"{values[n]:.4f}".rjust(w) if n in values else "-".rjust(w) for n, w in zip(columns, widths, strict=True)
        ]
        lines.append(key.ljust(first) + "  " + "  ".join(cells))
    return "\n".join(lines)


#: Where a local stack's executions can be looked at (no AWS console there): the offline execution console.
LOCAL_EXECUTIONS_HINT = "local stack: `make console` lists the executions"


def execution_link(execution_arn: str | None) -> str:
    """The Step Functions console page of the execution; on a local stack (Personalize is Personalize Local, its
    endpoint variable is set) the ARN and how to see it locally instead."""
    if not execution_arn:
        return "(execution unknown)"
    if os.environ.get("AWS_ENDPOINT_URL_PERSONALIZE"):
        return f"{execution_arn} ({LOCAL_EXECUTIONS_HINT})"
    region = execution_arn.split(":")[3] if execution_arn.count(":") >= 4 else "us-east-1"
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"


def error_message(cause: str | None) -> str:
    """The human part of a Step Functions error cause (a Lambda cause is JSON with ``errorMessage``)."""
    if not cause:
        return "(no cause recorded)"
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return cause


def _decision_lines(evaluation: dict[str, Any]) -> list[str]:
    lines = []
    for key, decision in evaluation.get("decisions", {}).items():
        verdict = (
            "PROMOTED"
            if decision.get("promote")
            else "not deployed"
            if "withinTolerance" not in decision
            else "KEPT LIVE"
        )
        lines.append(f"  {key}: {verdict} - {decision.get('reason', '')}")
    return lines


def success_message(state: dict[str, Any], execution_arn: str | None) -> tuple[str, str]:
    """Subject and body after a successful run."""
    drop = state.get("drop", {})
    prepared = state.get("prepared", {})
    evaluation = state.get("evaluation", {})
    deployment = state.get("deployment", {})
    promoted = evaluation.get("promoted", [])
    deployable = [key for key, decision in evaluation.get("decisions", {}).items() if "withinTolerance" in decision]
    subject = f"Anime recommender retrained ({drop.get('dropId', 'drop')}): " + (
        f"{len(promoted)} of {len(deployable)} models promoted" if promoted else "nothing promoted"
    )
    counts = prepared.get("counts", {})
    lines = [
        f"Drop s3://{drop.get('bucket')}/{drop.get('dropPrefix')} (content {str(drop.get('contentHash', ''))[:12]})",
        f"Data: {counts.get('interactions', '?')} interactions, {counts.get('users', '?')} users, "
        f"{counts.get('items', '?')} items, {counts.get('rejectedRows', 0)} rejected rows "
        f"(data report {prepared.get('reportUri', '-')})",
        "",
        f"Offline metrics of the new solution versions (primary metric: {evaluation.get('primaryMetric')}):",
        metrics_table(evaluation.get("metrics", {})),
        "",
        f"Baseline check: {evaluation.get('baseline', {}).get('reason', '-')}",
        "Promotion decisions:",
        *_decision_lines(evaluation),
        "",
        "Campaigns now serving this drop's versions:",
        *(f"  {key}: {arn}" for key, arn in deployment.get("campaigns", {}).items()),
        *(["  none"] if not deployment.get("campaigns") else []),
        f"Metrics report: {evaluation.get('reportUri', '-')}",
        f"Execution: {execution_link(execution_arn)}",
    ]
    return subject[:100], "\n".join(lines)


def failure_summary(failure: dict[str, Any]) -> str:
    """One line: which step failed and why (used as the execution's failure cause)."""
    step, error = failure.get("step", "A step"), failure.get("error", "Error")
    return f"{step} failed: {error}: {error_message(failure.get('cause'))}"


def failure_message(state: dict[str, Any], execution_arn: str | None) -> tuple[str, str]:
    """Subject and body after a failure: the failing step, the error, Personalize's reason, the link."""
    failure = state.get("failure", {})
    drop = state.get("drop", {})
    step = failure.get("step", "unknown step")
    subject = f"Anime recommender retraining FAILED at {step}" + (f" ({drop['dropId']})" if drop.get("dropId") else "")
    lines = [
        f"Step: {step}",
        f"Error: {failure.get('error', 'unknown')}",
        f"Reason: {error_message(failure.get('cause'))}",
        "",
        "Live campaigns were not changed: they keep serving their previous solution versions.",
    ]
    if drop:
        lines.append(f"Drop: s3://{drop.get('bucket')}/{drop.get('dropPrefix')} (id {drop.get('dropId')})")
        lines.append("Fix the drop and upload it again (uploading the same files again retries them as they are).")
    lines.append(f"Execution: {execution_link(execution_arn)}")
    return subject[:100], "\n".join(lines)
