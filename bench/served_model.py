"""A solution version's served model trained from scratch vs started from its evaluation's model.

CreateSolutionVersion trains twice: the evaluation's model on 90% of the users, then the served model on all of
them. ``Recipe.train_served`` lets User-Personalization start the second from the first (its validated choices and
iALS item factors, ``REFIT_ITERATIONS`` sweeps; docs/recipes-and-metrics.md, "Solution versions"). This measures
what that costs and gives up, in one process on one split:

1. an outer split (Personalize's protocol, seed 7) of the data: its training users stand for a dataset group's
   data, its test users measure the served models;
2. the evaluation of that data (``evaluate_recipe``, seed 0), as a solution version runs it;
3. the served model from scratch (``Recipe.train``: validation + full fit) — the baseline — and from the
   evaluation's model at 1, 2, 4 and 8 sweeps; each one's seconds and NDCG@10 / coverage on the outer test users.

    python -m bench.served_model                  # a 1/16 slice of the full drop (needs .bench-data/full, see
                                                  # bench/full_size.py), where User-Personalization chooses iALS
    python -m bench.served_model --quick          # the demo sample (CI size; EASE there, refitted from scratch)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.baselines import NDCG10  # noqa: E402
from personalize_local.evaluation import catalog_size, evaluate_model, evaluate_recipe  # noqa: E402
from personalize_local.metrics import split_users  # noqa: E402
from personalize_local.recipes import user_personalization as up  # noqa: E402
from personalize_local.recipes.base import TrainingData  # noqa: E402
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters  # noqa: E402

SWEEPS = (1, 2, 4, 8)
OUTER_SEED = 7


def full_size_slice(prepared: Path, every: int) -> TrainingData:
    """The users of the cached full-size training data whose id hash is a multiple of ``every`` (all their rows)."""
    import pandas as pd

    from bench.full_size import training_data

    data = training_data(prepared)
    hashes = pd.util.hash_pandas_object(data.interactions["USER_ID"], index=False).to_numpy()
    return TrainingData(data.interactions.loc[hashes % every == 0].reset_index(drop=True), data.items)


def measure(data: TrainingData) -> list[tuple[str, float, dict[str, float]]]:
    """(label, seconds, outer-test metrics) of the served model from scratch and from the evaluation's model."""
    outer = split_users(data.interactions, seed=OUTER_SEED)
    group = TrainingData(outer.train, data.items, data.users)
    catalogue = catalog_size(data)
    recipe = get_recipe("aws-user-personalization")
    params = resolve_hyperparameters(recipe, None)
    started = time.perf_counter()
    evaluation = evaluate_recipe(recipe, group, params, seed=0)
    algorithm = evaluation.model.hyperparameters.get("local_algorithm", "?") if evaluation.model else "?"
    rows = [(f"evaluation ({algorithm} chosen)", time.perf_counter() - started, evaluation.metrics)]
    started = time.perf_counter()
    scratch = recipe().train(group, params, seed=0)
    seconds = time.perf_counter() - started
    rows.append(("from scratch (validation + full fit; baseline)", seconds, evaluate_model(scratch, outer, catalogue)))
    default = up.REFIT_ITERATIONS
    try:
        for sweeps in SWEEPS:
            up.REFIT_ITERATIONS = sweeps
            started = time.perf_counter()
            served = recipe().train_served(group, params, 0, evaluation.model)
            seconds = time.perf_counter() - started
            label = f"from the evaluation's model, {sweeps} sweep(s)" + (" (default)" if sweeps == default else "")
            rows.append((label, seconds, evaluate_model(served, outer, catalogue)))
    finally:
        up.REFIT_ITERATIONS = default
    return rows


def report(rows: list[tuple[str, float, dict[str, float]]]) -> str:
    """The table: seconds and outer-test NDCG@10 / coverage, each as a ratio to the from-scratch baseline."""
    base_seconds, base = rows[1][1], rows[1][2]
    lines = [
        "| served model | seconds | x from scratch | NDCG@10 (outer test) | x from scratch | coverage |",
        "|---|---|---|---|---|---|",
    ]
    for label, seconds, metrics in rows[1:]:
        lines.append(
            f"| {label} | {seconds:.1f} | {seconds / base_seconds:.3f} | {metrics[NDCG10]:.4f} | "
            f"{metrics[NDCG10] / base[NDCG10]:.3f} | {metrics['coverage']:.4f} |"
        )
    lines += ["", f"({rows[0][0]}: {rows[0][1]:.1f} s, NDCG@10 {rows[0][2][NDCG10]:.4f} on its own test users)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the demo sample instead of a full-size slice")
    parser.add_argument("--every", type=int, default=16, help="full-size slice: 1 user in this many (default 16)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".bench-data", help="full-size data cache")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error(f"--every must be at least 1 (1 = every user), got {args.every}")
    if args.quick:
        from bench.datasets import demo_data

        data = demo_data("demo")
        up.REUSE_MIN_VALIDATION_USERS = 0  # the demo's validation users are fewer: reuse anyway, to measure it
    else:
        prepared = args.data_dir / "full" / "prepared"
        if not (prepared / "interactions.parquet").is_file():
            parser.error(f"no full-size data in {prepared}: run `python -m bench.full_size --steps prepare` first")
        data = full_size_slice(prepared, args.every)
    print(f"{len(data.interactions):,} interactions, {data.interactions['USER_ID'].nunique():,} users", flush=True)
    print(report(measure(data)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
