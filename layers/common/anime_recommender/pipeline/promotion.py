"""The promotion gate: which trained candidates replace what their campaigns serve.

A deployable recipe is promoted when

1. there is no live campaign, or the candidate's primary metric is >= the live version's x (1 - tolerance); and
2. (when ``requireBeatBaseline``) the challenger recipe (user-personalization) beats the baseline recipe
   (popularity-count) trained on the same data - metrics of versions trained on different data are not
   comparable, the baseline is. If the challenger cannot beat popularity, the data or the training is suspect
   and nothing is promoted.

The baseline itself is trained and evaluated, never deployed.
"""

from __future__ import annotations

from typing import Any

from anime_recommender.pipeline.config import PipelineConfig, metric_label
from anime_recommender.pipeline.errors import PipelineError


def _metric(metrics: dict[str, float], name: str, whose: str) -> float:
    if name not in metrics:
        raise PipelineError(f"GetSolutionMetrics for {whose} has no {name} (it returned {', '.join(sorted(metrics))})")
    return float(metrics[name])


def baseline_check(config: PipelineConfig, candidates: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Does the challenger beat the popularity baseline on the same data?"""
    promotion = config.promotion
    if not promotion.requireBeatBaseline:
        return {"required": False, "passed": True, "reason": "baseline check disabled (promotion.requireBeatBaseline)"}
    challenger, baseline = promotion.challengerRecipe or "", promotion.baselineRecipe or ""
    metric = config.primary_metric(challenger)
    challenger_value = _metric(candidates[challenger], metric, challenger)
    baseline_value = _metric(candidates[baseline], metric, baseline)
    passed = challenger_value > baseline_value
    verb = "beats" if passed else "does not beat"
    return {
        "required": True,
        "passed": passed,
        "metric": metric,
        "challenger": challenger,
        "challengerValue": challenger_value,
        "baseline": baseline,
        "baselineValue": baseline_value,
        "reason": f"{challenger} {metric_label(metric)} {challenger_value:.4f} {verb} the {baseline} baseline "
        f"{baseline_value:.4f}",
    }


def decide(
    config: PipelineConfig,
    candidates: dict[str, dict[str, float]],
    live: dict[str, dict[str, float] | None],
) -> dict[str, Any]:
    """Decisions per recipe. ``candidates``: recipe -> metrics; ``live``: recipe -> live version metrics or None."""
    baseline = baseline_check(config, candidates)
    tolerance = config.promotion.tolerance
    decisions: dict[str, dict[str, Any]] = {}
    for recipe in config.recipes:
        metric = config.primary_metric(recipe.key)
        candidate_value = _metric(candidates[recipe.key], metric, recipe.key)
        decision: dict[str, Any] = {"metric": metric, "candidate": candidate_value}
        if not recipe.deploy:
            decisions[recipe.key] = {**decision, "promote": False, "reason": "baseline only: trained, never deployed"}
            continue
        live_metrics = live.get(recipe.key)
        if live_metrics is None:
            within, why = True, "no live campaign"
        else:
            live_value = _metric(live_metrics, metric, f"the live {recipe.key} version")
            threshold = live_value * (1 - tolerance)
            within = candidate_value >= threshold
            decision.update({"live": live_value, "threshold": threshold})
            comparison = ">=" if within else "<"
            why = (
                f"{metric_label(metric)} candidate {candidate_value:.4f} {comparison} live {live_value:.4f} "
                f"x (1 - {tolerance:g}) = {threshold:.4f}"
            )
        promote = within and baseline["passed"]
        if promote:
            reason = f"promote: {why}"
            if baseline["required"]:
                is_challenger = recipe.key == baseline["challenger"]
                reason += f"; {baseline['reason']}" if is_challenger else "; baseline check passed"
        elif not within:
            reason = f"keep live: {why}"
        else:
            reason = f"keep live: {baseline['reason']}"
        decisions[recipe.key] = {**decision, "promote": promote, "withinTolerance": within, "reason": reason}
    return {"tolerance": tolerance, "baseline": baseline, "decisions": decisions}
