"""Offline quality of Personalize Local's recipes against open-source baselines, with Personalize's metrics.

Every row goes through the SAME code: ``personalize_local.metrics.evaluate_solution`` (Personalize's split —
90% of users train, the newest 10% of each test user's interactions are the truth — and its metric
definitions). Baselines: plain EASE (Steck 2019) and iALS (``implicit``), both excluding the user's own items as is
usual for them, each reported at the BEST setting of a small grid evaluated on this very split — an optimistic
baseline, so "user-personalization ≥ best baseline" is a conservative comparison.

    .venv/bin/python bench/quality.py                       # generated demo sample
    .venv/bin/python bench/quality.py --kaggle-dir .kaggle-data/v7   # real Kaggle files, e.g. from `make drop`
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._data import demo_data, describe, real_data
from personalize_local.evaluation import evaluate_solution
from personalize_local.recipes._common import InteractionMatrix, item_universe
from personalize_local.recipes.algorithms import EaseCore, IalsCore, co_occurrence
from personalize_local.recipes.base import Recipe, RecipeType, TrainedModel, TrainingData
from personalize_local.recipes.exploration import item_creation_times
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.recipes.user_personalization import InferenceOptions, UserPersonalizationModel

EXCLUDE_SEEN = 0.0  # repeat share: the user's own items rank after every other item


class _Baseline(Recipe):
    """A fixed algorithm (no validation, no calibration) served through the same model class."""

    recipe_type: ClassVar[RecipeType] = "USER_PERSONALIZATION"
    description: ClassVar[str] = "baseline"

    def core(self, matrix, mean_count: float, seed: int):
        raise NotImplementedError

    def train(self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0) -> TrainedModel:
        item_ids = item_universe(data)
        matrix = InteractionMatrix.build(data.interactions, item_ids).matrix
        counts = np.asarray(matrix.getnnz(axis=0), dtype=np.int64)
        mean_count = float(counts[counts > 0].mean())
        created, latest = item_creation_times(item_ids, data.interactions, data.items)
        return UserPersonalizationModel(
            item_ids,
            self.core(matrix, mean_count, seed),
            1.0,
            InferenceOptions(0.0, EXCLUDE_SEEN),
            counts,
            created,
            latest,
            None,
            {},
        )

    @classmethod
    def model_class(cls) -> type[TrainedModel]:
        return UserPersonalizationModel


class EaseBaseline(_Baseline):
    """Plain EASE with λ = ``lambda_factor`` × mean item interaction count."""

    name: ClassVar[str] = "EASE baseline"

    def __init__(self, lambda_factor: float) -> None:
        self.lambda_factor = lambda_factor
        self.setting = f"lambda={lambda_factor:g}x mean count"

    def core(self, matrix, mean_count: float, seed: int):
        return EaseCore.fit(co_occurrence(matrix), self.lambda_factor)


class IalsBaseline(_Baseline):
    """``implicit``'s AlternatingLeastSquares, 15 iterations."""

    name: ClassVar[str] = "iALS baseline"

    def __init__(self, factors: int, regularization: float, alpha: float) -> None:
        self.params = {"factors": factors, "regularization": regularization, "alpha": alpha}
        self.setting = f"factors={factors}, reg={regularization:g}, alpha={alpha:g}"

    def core(self, matrix, mean_count: float, seed: int):
        return IalsCore.fit(matrix, iterations=15, seed=seed, **self.params)


EASE_GRID = [EaseBaseline(f) for f in (0.25, 1.0, 4.0, 16.0)]
IALS_GRID = [IalsBaseline(f, 1.0, a) for f in (16, 64, 128) for a in (4.0, 16.0)] + [IalsBaseline(100, 0.01, 1.0)]


SHORT = {
    "coverage": "coverage",
    "precision_at_5": "P@5",
    "precision_at_10": "P@10",
    "precision_at_25": "P@25",
    "normalized_discounted_cumulative_gain_at_5": "NDCG@5",
    "normalized_discounted_cumulative_gain_at_10": "NDCG@10",
    "normalized_discounted_cumulative_gain_at_25": "NDCG@25",
    "mean_reciprocal_rank_at_25": "MRR@25",
}
COLUMNS = [
    "coverage",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "mean_reciprocal_rank_at_25",
]


def _timed(recipe: Recipe, data: TrainingData, params: Mapping[str, str], seed: int) -> tuple[dict[str, float], float]:
    start = time.perf_counter()
    metrics = evaluate_solution(recipe, data, params, seed=seed)
    return metrics, time.perf_counter() - start


def run(data: TrainingData, seed: int) -> dict[str, tuple[dict[str, float], float]]:
    """Metrics and wall time (train + evaluate) per method, all on the same seeded split."""
    results = {}
    for name in ("aws-popularity-count", "aws-sims", "aws-user-personalization", "aws-personalized-ranking"):
        cls = get_recipe(name)
        results[name] = _timed(cls(), data, resolve_hyperparameters(cls, None), seed)
        print(f"  {name}: {results[name][1]:.1f} s", file=sys.stderr)
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    for label, grid in (("EASE baseline", EASE_GRID), ("iALS baseline", IALS_GRID)):
        runs = [(baseline.setting, _timed(baseline, data, {}, seed)) for baseline in grid]
        for setting, (metrics, seconds) in runs:
            print(f"  {label} {setting}: NDCG@10 {metrics[ndcg]:.4f} ({seconds:.1f} s)", file=sys.stderr)
        setting, best = max(runs, key=lambda r: r[1][0][ndcg])
        results[f"{label} (best: {setting})"] = best
    return results


def table(results: dict[str, tuple[dict[str, float], float]]) -> str:
    """A markdown table of the results."""
    lines = [
        "| method | " + " | ".join(SHORT[c] for c in COLUMNS) + " | train+eval s |",
        "|---|" + "---|" * (len(COLUMNS) + 1),
    ]
    for name, (metrics, seconds) in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{metrics[c]:.4f}" for c in COLUMNS) + f" | {seconds:.1f} |")
    return "\n".join(lines)


def verdict(results: dict[str, tuple[dict[str, float], float]]) -> str:
    """Ratios and targets."""
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    up = results["aws-user-personalization"][0]
    pop = results["aws-popularity-count"][0][ndcg]
    baselines = [name for name in results if "baseline" in name]
    best_name = max(baselines, key=lambda n: results[n][0][ndcg])
    best = results[best_name][0][ndcg]
    sims_cov = results["aws-sims"][0]["coverage"]
    checks = [
        (
            f"UP / popularity NDCG@10 = {up[ndcg] / pop:.2f}x (target >= 2)" if pop else "popularity NDCG@10 = 0",
            up[ndcg] >= 2 * pop,
        ),
        (
            f"UP / best baseline ({best_name}) NDCG@10 = {up[ndcg] / best:.3f} (target >= 1)" if best else "baseline 0",
            up[ndcg] >= best,
        ),
        (f"SIMS coverage = {sims_cov:.4f} (target >= 0.45)", sims_cov >= 0.45),
        (f"UP coverage = {up['coverage']:.4f} (target >= 0.18)", up["coverage"] >= 0.18),
    ]
    return "\n".join(f"- {'PASS' if ok else 'MISS'}: {text}" for text, ok in checks)


def main(argv: list[str] | None = None) -> int:
    """Print the quality table for the demo sample and, with --kaggle-dir, for real data."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--kaggle-dir", type=Path, help="directory with real Kaggle files (anime.csv, rating_complete.csv)"
    )
    parser.add_argument("--size", default="demo", choices=["tiny", "demo", "full"], help="generated sample size")
    parser.add_argument("--seed", type=int, default=0, help="seed of the user split")
    parser.add_argument("--skip-demo", action="store_true", help="only the --kaggle-dir data")
    args = parser.parse_args(argv)
    datasets = []
    if not args.skip_demo:
        datasets.append((f"generated {args.size} sample", lambda: demo_data(args.size)))
    if args.kaggle_dir:
        datasets.append((f"real Kaggle files in {args.kaggle_dir}", lambda: real_data(args.kaggle_dir)))
    for title, load in datasets:
        data = load()
        print(f"\n### {title}: {describe(data)} (split seed {args.seed})\n")
        results = run(data, args.seed)
        print(table(results))
        print()
        print(verdict(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
