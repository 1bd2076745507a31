"""Step "Evaluate metrics": metrics of every candidate and of what is live, the promotion decisions, the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from anime_recommender.pipeline.config import PipelineConfig
from anime_recommender.pipeline.names import ResourceNames
from anime_recommender.pipeline.personalize import PersonalizeResources
from anime_recommender.pipeline.promotion import decide


def evaluate(
    resources: PersonalizeResources,
    s3: Any,
    config: PipelineConfig,
    drop: dict[str, Any],
    trained: list[dict[str, Any]],
) -> dict[str, Any]:
    """Read metrics, decide promotion, write ``reports/<dropId>/metrics.json``; the ``evaluation`` section."""
    by_recipe = {item["recipe"]: item for item in trained}
    candidates: dict[str, dict[str, float]] = {}
    live: dict[str, dict[str, float] | None] = {}
    live_versions: dict[str, str | None] = {}
    for recipe in config.recipes:
        item = by_recipe[recipe.key]
        candidates[recipe.key] = resources.solution_metrics(item["solutionVersionArn"])
        if recipe.deploy:
            live_arn = resources.live_solution_version(item["solutionArn"], recipe.key)
            live_versions[recipe.key] = live_arn
            live[recipe.key] = resources.solution_metrics(live_arn) if live_arn else None
    outcome = decide(config, candidates, live)
    for key, live_arn in live_versions.items():
        decision = outcome["decisions"][key]
        decision["liveSolutionVersionArn"] = live_arn
        if live_arn is not None and live_arn == by_recipe[key]["solutionVersionArn"]:
            decision["reason"] = "already live: the campaign serves this very solution version"
    for key, item in by_recipe.items():
        if key in outcome["decisions"]:
            outcome["decisions"][key]["solutionVersionArn"] = item["solutionVersionArn"]
    report = {
        "dropId": drop["dropId"],
        "dropPrefix": drop["dropPrefix"],
        "contentHash": drop["contentHash"],
        "executionArn": drop.get("executionArn"),
        "generatedAt": datetime.now(UTC).isoformat(),
        "primaryMetric": config.promotion.primaryMetric,
        "metrics": candidates,
        "liveMetrics": live,
        **outcome,
    }
    key = ResourceNames.report_key(drop["dropId"])
    s3.put_object(
        Bucket=drop["bucket"],
        Key=key,
        Body=json.dumps(report, indent=2).encode("utf-8"),
        ContentType="application/json",
    )
    return {
        "reportUri": f"s3://{drop['bucket']}/{key}",
        "primaryMetric": config.promotion.primaryMetric,
        "metrics": candidates,
        "baseline": outcome["baseline"],
        "decisions": outcome["decisions"],
        "promoted": [key for key, decision in outcome["decisions"].items() if decision["promote"]],
    }
