"""The demo's charts: every recipe's offline metrics side by side, and the primary metric across drops.

Metrics always appear in the same order (the primary metric first, then ``METRIC_KEYS``), each bar carries its
value, and the axis fits the data instead of a fixed 0-1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import matplotlib

matplotlib.use("Agg")  # charts are files and PNG bytes; no display
import matplotlib.pyplot as plt

from anime_recommender.contracts.metrics import METRIC_KEYS
from anime_recommender.pipeline.config import metric_label

matplotlib.use("Agg")  # files only, never a window (pyplot picks its backend at the first figure)

BASELINE = "popularity-count"
COLOURS = {"user-personalization": "#3b75af", "sims": "#e1812c", "personalized-ranking": "#3a923a", BASELINE: "#9e9e9e"}
OTHER_COLOURS = ("#8c564b", "#9467bd", "#17becf")
FOOTNOTE = (
    "Each deployable recipe is compared with its own live campaign (promoted when no worse than it, within the "
    "tolerance);\nonly user-personalization must also beat the popularity baseline. SIMS answers 'anime similar to "
    "this one', so a\nlower score than the baseline on these user-history metrics does not block it."
)


def metric_order(metrics: dict[str, dict[str, float]], primary: str) -> list[str]:
    """Metric names present in ``metrics``: the primary first, then the ranking metrics (``METRIC_KEYS``' order),
    coverage last, then any others."""
    present = {name for values in metrics.values() for name in values}
    known = [name for name in METRIC_KEYS if name in present and name != primary]
    known.sort(key=lambda name: name == "coverage")  # stable: only moves coverage behind the ranking metrics
    return ([primary] if primary in present else []) + known + sorted(present - set(known) - {primary})


def recipe_order(metrics: dict[str, dict[str, float]]) -> list[str]:
    """Recipes as they came, the baseline last (drawn grey, under the others)."""
    return [key for key in metrics if key != BASELINE] + ([BASELINE] if BASELINE in metrics else [])


def verdict(recipe: str, decisions: dict[str, Any]) -> str:
    """``promoted`` / ``kept live`` / ``baseline`` for the legend."""
    if recipe == BASELINE:
        return "baseline, never deployed"
    decision = decisions.get(recipe, {})
    return "promoted" if decision.get("promote") else "not promoted, live campaign kept"


def _colour(recipe: str, index: int) -> str:
    return COLOURS.get(recipe, OTHER_COLOURS[index % len(OTHER_COLOURS)])


def comparison_chart(evaluation: dict[str, Any], path: Path | BinaryIO, title: str = "") -> Path | BinaryIO:
    """One horizontal grouped bar chart: every metric (rows) of every recipe (bars), values written on the bars."""
    metrics: dict[str, dict[str, float]] = evaluation["metrics"]
    primary = evaluation.get("primaryMetric", "")
    names = metric_order(metrics, primary)
    recipes = recipe_order(metrics)
    height = 0.8 / max(len(recipes), 1)
    figure, axis = plt.subplots(figsize=(10, 2.2 + 0.19 * len(names) * max(len(recipes), 2)))
    top = max((values.get(n, 0.0) for values in metrics.values() for n in names), default=1.0) or 1.0
    for index, recipe in enumerate(recipes):
        positions = [row + (index - (len(recipes) - 1) / 2) * height for row in range(len(names))]
        values = [metrics[recipe].get(name) for name in names]
        bars = axis.barh(
            [p for p, v in zip(positions, values, strict=True) if v is not None],
            [v for v in values if v is not None],
            height=height * 0.92,
            color=_colour(recipe, index),
            label=f"{recipe} ({verdict(recipe, evaluation.get('decisions', {}))})",
        )
        axis.bar_label(bars, fmt="%.3f", padding=3, fontsize=7.5)
    axis.set_yticks(range(len(names)), [metric_label(n) + (" (primary)" if n == primary else "") for n in names])
    for label in axis.get_yticklabels():
        if label.get_text().endswith("(primary)"):
            label.set_fontweight("bold")
    axis.invert_yaxis()  # the primary metric on top
    axis.set_xlim(0, top * 1.18)
    axis.set_xlabel("offline metric of the new solution version (higher is better)")
    axis.set_title(title or "Offline metrics of this drop's solution versions", pad=42)
    axis.grid(axis="x", alpha=0.3)
    axis.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8, frameon=False)
    figure.text(0.01, 0.01, FOOTNOTE, fontsize=7.5, color="#444444", va="bottom")
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def history_chart(history: list[dict[str, Any]], path: Path) -> Path:
    """The primary metric of every recipe across the drops run so far; filled markers = promoted."""
    primary = history[-1]["primaryMetric"]
    recipes = recipe_order({key: {} for run in history for key in run["metrics"]})
    runs = [run["drop"] for run in history]
    figure, axis = plt.subplots(figsize=(max(7.5, 1.6 * len(runs) + 4.5), 4.6))
    labels: dict[int, list[float]] = {}
    for index, recipe in enumerate(recipes):
        points = [(i, run) for i, run in enumerate(history) if primary in run["metrics"].get(recipe, {})]
        ys = [run["metrics"][recipe][primary] for _, run in points]
        colour = _colour(recipe, index)
        axis.plot([i for i, _ in points], ys, "--" if recipe == BASELINE else "-", color=colour, label=recipe)
        for (i, run), y in zip(points, ys, strict=True):
            labels.setdefault(i, []).append(y)
            if recipe == BASELINE:  # trained for the comparison only, never promoted
                axis.plot(i, y, "s", markersize=6, color=colour)
            else:
                promoted = recipe in run.get("promoted", [])
                axis.plot(i, y, "o", markersize=8, color=colour, markerfacecolor=colour if promoted else "white")
    for i, ys in labels.items():  # per drop, from the top: labels alternate above and below their points
        for rank, y in enumerate(sorted(ys, reverse=True)):
            offset = (0, 8) if rank % 2 == 0 else (0, -14)
            axis.annotate(f"{y:.3f}", (i, y), textcoords="offset points", xytext=offset, ha="center", fontsize=7.5)
    top = max((y for ys in labels.values() for y in ys), default=1.0) or 1.0
    axis.set_xticks(range(len(runs)), runs, rotation=15)
    axis.set_xlim(-0.4, len(runs) - 0.6)
    axis.set_ylim(0, top * 1.2)
    axis.set_ylabel(metric_label(primary))
    axis.set_title(
        f"{metric_label(primary)} across drops\n(filled = promoted, hollow = live campaign kept, square = baseline)"
    )
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
