"""The project at the real dataset's full size: generate, prepare, train, evaluate and serve 57.6M ratings.

    python -m bench.full_size                 # the full drop (17,562 anime, ~326k users, ~58M ratings), cached
    python -m bench.full_size --users 32000   # a slice of the full drop (same catalogue, fewer users)
    python -m bench.full_size --quick         # the tiny drop in a temporary directory: every step and ratio, CI size

Steps (each measured in its own child process: wall time, CPU time, peak RSS of that child alone):

1. ``generate`` — the full Kaggle-format drop, streamed to ``.bench-data/<label>/kaggle`` once and reused (the
   generator's own time and memory are kept in ``generate.json`` and printed on every run).
2. ``prepare`` — the pipeline's prepare step on the whole drop (rating_complete.csv + animelist.csv): rows/s next
   to pyarrow's raw read of the same files (``bench/prepare_data.py``'s children), total time against Lambda's 15 min.
   The training data is the drop prepared with ratings only (as ``bench/quality.py`` does), cached as Parquet;
   ``--training-data whole`` trains on what the pipeline itself trains on instead: the whole drop prepared
   (rating_complete.csv + animelist.csv, every event type, ~109M interactions), kept apart (``*-whole``).
3. ``train`` — ``implicit``'s ALS alone on the same user x item matrix, then every recipe's ``Recipe.train`` (the
   model a solution version serves, trained from scratch). Targets: all recipes together <= 10 min and <= 2x ALS
   alone. ``als`` measures ALS alone only.
4. ``versions`` — every recipe's solution version the way Personalize Local's CreateSolutionVersion runs it
   (``training_cache.train_or_reuse``): the offline metrics (``evaluate_recipe``: 90% of users train, newest 10% of
   the test users' interactions are the truth), then the served model, which may start from the evaluation's model
   (``Recipe.train_served``); personalized-ranking reuses user-personalization's models through the cache and
   scores its own metrics. Targets: 4 versions <= 15 min, peak RSS <= 12 GB. ``baselines`` — iALS and item-kNN
   (``bench/baselines.py``, one setting each) on the same split, for the metrics table.
5. ``serve`` — Personalize Local serving the trained user-personalization model (``bench/full_size_serving.py``):
   GetRecommendations p50/p99 in-process and over HTTP (1 and 8 clients), with the pipeline's genre filter, and
   after 10,000 PutEvents.

``--resume`` reuses the step results of an interrupted run (``results.json``); the data is always reused.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    ChildRun,
    describe_machine,
    emit_result,
    load_average,
    machine,
    proc_status_mb,
    python_command,
    run_measured,
)

DEFAULT_DATA_DIR = ROOT / ".bench-data"
RECIPES = ("aws-popularity-count", "aws-sims", "aws-user-personalization", "aws-personalized-ranking")
TRAIN_TARGET_SECONDS = 600.0
TRAIN_TARGET_RATIO = 2.0
LAMBDA_TIMEOUT_SECONDS = 900.0
SEED = 0
#: What the training data is prepared from (``--training-data``), and how the report names it.
TRAINING_DATA = {"ratings": "ratings only", "whole": "the whole drop, every event type, as the pipeline trains"}
TRAINING_FILES = {
    "ratings": ["anime.csv", "anime_with_synopsis.csv", "rating_complete.csv"],
    "whole": ["anime.csv", "anime_with_synopsis.csv", "rating_complete.csv", "animelist.csv", "watching_status.csv"],
}


# ---------------------------------------------------------------------------------------------------- data (child)
def training_data(prepared: Path):
    """The cached ratings-only prepared drop as Personalize Local's TrainingData (string ids, int timestamps)."""
    import pandas as pd
    import pyarrow.parquet as pq

    from personalize_local.memory import release_freed_memory
    from personalize_local.recipes.base import TrainingData

    interactions = pq.read_table(prepared / "interactions.parquet").to_pandas()
    items = pd.read_csv(prepared / "items.csv", dtype={"ITEM_ID": str})
    release_freed_memory()  # as Personalize Local does after reading a dataset group's files (1.7 GB here)
    return TrainingData(interactions, items)


def _child_generate(spec: dict[str, Any]) -> dict[str, Any]:
    from sample_data.generate import generate_dataset

    result = generate_dataset(spec["size"], spec["out"], n_users=spec.get("users"))
    return {
        "n_anime": result.n_anime,
        "n_users": result.n_users,
        "n_rating_users": result.n_rating_users,
        "rating_complete_rows": result.n_ratings,
        "animelist_rows": result.n_animelist_rows,
        "bytes": sum(p.stat().st_size for p in result.files.values()),
    }


def _child_prepare_training(spec: dict[str, Any]) -> dict[str, Any]:
    """The drop's ``spec["files"]`` through the pipeline's prepare step, then interactions.csv as Parquet."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from anime_recommender.prepare_data import LocalStorage, PrepareOptions, prepare_drop

    kaggle, out = Path(spec["kaggle"]), Path(spec["out"])
    drop = out / "drop"
    drop.mkdir(parents=True, exist_ok=True)
    for name in spec["files"]:
        if (kaggle / name).is_file() and not (drop / name).exists():
            os.symlink((kaggle / name).resolve(), drop / name)
    started = time.perf_counter()
    result = prepare_drop(LocalStorage(drop), LocalStorage(out), PrepareOptions(work_dir=str(out)), drop_id="bench")
    prepare_seconds = time.perf_counter() - started
    types = {"USER_ID": pa.string(), "ITEM_ID": pa.string(), "EVENT_TYPE": pa.string()}
    table = pacsv.read_csv(out / "interactions.csv", convert_options=pacsv.ConvertOptions(column_types=types))
    pq.write_table(table, out / "interactions.parquet")
    return {"prepare_seconds": prepare_seconds, "interactions": table.num_rows, "counts": result.counts}


# ---------------------------------------------------------------------------------------------------- train (child)
def _ials_settings() -> tuple[int, float, float, int]:
    """User-personalization's first large-catalogue iALS candidate with its default factors."""
    from personalize_local.recipes.user_personalization import HRNN_HYPERPARAMETERS, IALS_SETTINGS_LARGE

    factors = int(next(h.default for h in HRNN_HYPERPARAMETERS if h.name == "hidden_dimension"))
    regularization, alpha, iterations = IALS_SETTINGS_LARGE[0]
    return factors, regularization, alpha, iterations


def _child_als(spec: dict[str, Any]) -> dict[str, Any]:
    """``implicit``'s AlternatingLeastSquares alone on the recipes' user x item matrix."""
    import numpy as np
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from personalize_local.recipes.building_blocks import InteractionMatrix, item_universe

    started = time.perf_counter()
    data = training_data(Path(spec["prepared"]))
    load_seconds = time.perf_counter() - started
    rss_loaded = proc_status_mb("VmRSS")
    started, cpu = time.perf_counter(), time.process_time()
    matrix = InteractionMatrix.build(data.interactions, item_universe(data)).matrix.astype(np.float32)
    matrix_seconds = time.perf_counter() - started
    del data
    factors, regularization, alpha, iterations = _ials_settings()
    started, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=SEED,
            num_threads=0,
        )
        model.fit(matrix, show_progress=False)
    return {
        "load_seconds": load_seconds,
        "matrix_seconds": matrix_seconds,
        "fit_seconds": time.perf_counter() - started,
        "fit_cpu_seconds": time.process_time() - cpu,
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": proc_status_mb("VmHWM"),
        "shape": list(matrix.shape),
        "nnz": int(matrix.nnz),
        "setting": f"factors={factors}, regularization={regularization:g}, alpha={alpha:g}, iterations={iterations}",
    }


def _child_train(spec: dict[str, Any]) -> dict[str, Any]:
    """One recipe's served model (``Recipe.train`` on all users), saved for the serving step.

    With ``spec["cache"]``, training goes through Personalize Local's training cache as a solution version's does
    (``train_or_reuse``): aws-personalized-ranking then reuses the aws-user-personalization model of the child
    before it (the time of fingerprinting the data and loading the model is what is measured).
    """
    from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
    from personalize_local.training_cache import TrainingCache, train_or_reuse

    started = time.perf_counter()
    data = training_data(Path(spec["prepared"]))
    load_seconds = time.perf_counter() - started
    rss_loaded = proc_status_mb("VmRSS")
    cls = get_recipe(spec["recipe"])
    started, cpu = time.perf_counter(), time.process_time()
    cache = TrainingCache(Path(spec["cache"])) if spec.get("cache") else None
    model, _, reused = train_or_reuse(cache, cls, data, resolve_hyperparameters(cls, None), SEED, None)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    target = Path(spec["models"]) / spec["recipe"]
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    model.save(target)
    used = getattr(model, "hyperparameters", {})
    return {
        "load_seconds": load_seconds,
        "train_seconds": seconds,
        "train_cpu_seconds": cpu_seconds,
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": proc_status_mb("VmHWM"),
        "chosen": {k: v for k, v in used.items() if k.startswith("local_") and k != "local_validation_candidates"},
        "reused": reused,
    }


# ---------------------------------------------------------------------------------------------------- versions (child)
def _child_version(spec: dict[str, Any]) -> dict[str, Any]:
    """One recipe's solution version as Personalize Local's CreateSolutionVersion runs it (``train_or_reuse``):
    the evaluation (train on 90% of the users, score the test users — ``evaluate_recipe``) and the served model
    (``Recipe.train_served``, which may start from the evaluation's model), through a training cache shared by the
    run's versions (aws-personalized-ranking reuses aws-user-personalization's models and scores its own metrics).
    """
    from personalize_local.evaluation import Evaluation, evaluate_recipe
    from personalize_local.recipes.base import TrainedModel, TrainingData
    from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
    from personalize_local.training_cache import TrainingCache, train_evaluation_model, train_or_reuse

    started = time.perf_counter()
    data = training_data(Path(spec["prepared"]))
    load_seconds = time.perf_counter() - started
    cls = get_recipe(spec["recipe"])
    params = resolve_hyperparameters(cls, None)
    cache = TrainingCache(Path(spec["cache"]))
    phases: dict[str, float] = {}

    def train_on(training: TrainingData) -> TrainedModel:
        begun = time.perf_counter()
        model = train_evaluation_model(cache, cls, training, params, SEED)
        phases["evaluation_training_seconds"] = time.perf_counter() - begun
        return model

    def evaluate() -> Evaluation:
        begun = time.perf_counter()
        evaluation = evaluate_recipe(cls(), data, params, seed=SEED, train_on=train_on)
        phases["evaluation_seconds"] = time.perf_counter() - begun
        return evaluation

    started, cpu = time.perf_counter(), time.process_time()
    model, metrics, reused = train_or_reuse(cache, cls, data, params, SEED, evaluate)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    used = getattr(model, "hyperparameters", {})
    return {
        "load_seconds": load_seconds,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        **phases,
        "served_seconds": seconds - phases.get("evaluation_seconds", 0.0),
        "metrics": metrics,
        "reused": reused,
        "peak_rss_mb": proc_status_mb("VmHWM"),
        "chosen": {k: v for k, v in used.items() if k.startswith("local_") and k != "local_validation_candidates"},
    }


# ---------------------------------------------------------------------------------------------------- baselines (child)
def full_size_baselines() -> dict[str, Any]:
    """The baselines measured at full size, one setting each (a grid would cost one ~8-min fit per setting): the
    iALS and item-kNN settings of ``bench/baselines.py``'s grids that suit a large catalogue."""
    from bench.baselines import Implicit

    return {
        "ials-baseline": Implicit("iALS", {"factors": 128, "regularization": 1.0, "alpha": 16.0}),
        "item-knn-baseline": Implicit("item-kNN BM25", {"K": 200, "K1": 1.2, "B": 0.75}),
    }


def _child_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """Personalize's offline metrics of one baseline on the same split as the solution versions (seed 0), and of
    the same fitted model as a related-items baseline (``similar_items``, compared with ``aws-sims``; no extra fit)."""
    from bench.baselines import Related, evaluate
    from personalize_local.evaluation import catalog_size
    from personalize_local.metrics import split_users
    from personalize_local.recipes.building_blocks import item_universe

    data = training_data(Path(spec["prepared"]))
    baseline = full_size_baselines()[spec["method"]]
    started = time.perf_counter()
    split = split_users(data.interactions, seed=SEED)
    item_ids, catalogue = item_universe(data), catalog_size(data)
    del data
    metrics = evaluate(baseline, split, item_ids, catalogue)
    seconds = time.perf_counter() - started
    related = Related(baseline, reuse=baseline.fitted)
    related_metrics = evaluate(related, split, item_ids, catalogue)
    return {
        "family": baseline.family,
        "setting": baseline.setting,
        "metrics": metrics,
        "seconds": seconds,
        "related": {
            "family": related.family,
            "setting": related.setting,
            "metrics": related_metrics,
            "seconds": time.perf_counter() - started - seconds,
        },
        "peak_rss_mb": proc_status_mb("VmHWM"),
    }


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "generate": _child_generate,
    "prepare-training": _child_prepare_training,
    "als": _child_als,
    "train": _child_train,
    "version": _child_version,
    "baseline": _child_baseline,
}


# ---------------------------------------------------------------------------------------------------- parent
class Bench:
    """One run: where the data lives, what was measured so far (``results.json``), and how to run a child."""

    def __init__(self, root: Path, size: str, users: int | None, resume: bool, training_data: str = "ratings") -> None:
        self.root, self.size, self.users, self.training_data = root, size, users, training_data
        suffix = "" if training_data == "ratings" else f"-{training_data}"
        self.kaggle, self.prepared, self.models = root / "kaggle", root / f"prepared{suffix}", root / f"models{suffix}"
        self.results_path = root / f"results{suffix}.json"
        self.report_path = root / f"report{suffix}.md"
        self.results: dict[str, Any] = {}
        if resume and self.results_path.exists():
            self.results = json.loads(self.results_path.read_text())

    def save(self) -> None:
        """Persist the results so far."""
        self.results_path.write_text(json.dumps(self.results, indent=1, default=float))

    def child(self, kind: str, spec: dict[str, Any]) -> ChildRun:
        """Run one measured child; raises with its stderr when it fails."""
        log(f"{kind} {spec.get('recipe') or spec.get('method') or ''} ... (load average {load_average():.1f})")
        run = run_measured(python_command("bench.full_size", "--child", kind, "--spec", json.dumps(spec)), cwd=ROOT)
        if run.returncode != 0 or not run.result:
            raise RuntimeError(f"child {kind} {spec} failed (exit {run.returncode}):\n{run.tail()}")
        log(f"  done in {run.seconds:.1f} s, peak RSS {run.peak_rss_mb:,.0f} MB")
        return run

    def step(self, key: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``measure()`` unless ``key`` is already in the (resumed) results; records load average and time."""
        if key not in self.results:
            before = load_average()
            result = measure()
            result["load_average"] = round(max(before, load_average()), 1)
            self.results[key] = result
            self.save()
        return self.results[key]


def log(message: str) -> None:
    """A progress line on stderr with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_drop(bench: Bench) -> dict[str, Any]:
    """Generate the drop once (kept with its generation figures in generate.json)."""
    marker = bench.root / "generate.json"
    if marker.exists() and (bench.kaggle / "rating_complete.csv").exists():
        return json.loads(marker.read_text())
    shutil.rmtree(bench.kaggle, ignore_errors=True)
    bench.root.mkdir(parents=True, exist_ok=True)
    before = load_average()
    run = bench.child("generate", {"size": bench.size, "out": str(bench.kaggle), "users": bench.users})
    info = {
        **run.result,
        "seconds": run.seconds,
        "cpu_seconds": run.cpu_seconds,
        "peak_rss_mb": run.peak_rss_mb,
        "load_average": round(max(before, load_average()), 1),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    marker.write_text(json.dumps(info, indent=1))
    return info


def ensure_prepared(bench: Bench) -> dict[str, Any]:
    """The ratings-only prepared drop as Parquet (the training data of every later step), made once."""
    marker = bench.prepared.with_name(f"{bench.prepared.name}.json")
    if marker.exists() and (bench.prepared / "interactions.parquet").exists():
        return json.loads(marker.read_text())
    shutil.rmtree(bench.prepared, ignore_errors=True)
    files = TRAINING_FILES[bench.training_data]
    run = bench.child("prepare-training", {"kaggle": str(bench.kaggle), "out": str(bench.prepared), "files": files})
    info = {**run.result, "seconds": run.seconds, "peak_rss_mb": run.peak_rss_mb}
    marker.write_text(json.dumps(info, indent=1))
    return info


class SpillWatcher:
    """Samples the size of the prepare step's spill directories under ``root`` (what Lambda's /tmp must hold)."""

    def __init__(self, root: Path, interval: float = 0.5) -> None:
        self.root, self.interval = root, interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _size(self) -> int:
        total = 0
        for spill in self.root.glob("prepare-spill-*"):
            for path in spill.rglob("*"):
                with contextlib.suppress(OSError):
                    total += path.stat().st_size
        return total

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_bytes = max(self.peak_bytes, self._size())

    def __enter__(self) -> SpillWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_prepare(bench: Bench) -> dict[str, Any]:
    """The whole drop through the prepare step, beside pyarrow's raw read of the same files (bench/prepare_data.py)."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-full-prepare-", dir=bench.root) as tmp:
        for kind in ("raw", "transform"):
            target = Path(tmp) / kind
            target.mkdir()
            log(f"prepare ({kind}) of the whole drop ... (load average {load_average():.1f})")
            command = [sys.executable, str(ROOT / "bench" / "prepare_data.py"), "--child", kind]
            with SpillWatcher(target) as spill:
                run = run_measured([*command, "--drop", str(bench.kaggle), "--out", str(target)], cwd=ROOT)
            if run.returncode != 0:
                raise RuntimeError(f"bench/prepare_data.py --child {kind} failed:\n{run.tail()}")
            result = json.loads(run.stdout.strip().splitlines()[-1])
            out[kind] = {**result, "peak_rss_mb": run.peak_rss_mb, "peak_spill_mb": spill.peak_bytes / 1e6}
            log(f"  {result['rows']:,} rows in {result['seconds']:.1f} s, peak RSS {run.peak_rss_mb:,.0f} MB")
    sizes = {n: (bench.kaggle / n).stat().st_size for n in ("rating_complete.csv", "animelist.csv")}
    out["csv_mb"] = sum(sizes.values()) / 1e6
    return out


def measure_training(bench: Bench, separate_ranking: bool) -> dict[str, Any]:
    """ALS alone, then each recipe's training, each in its own child.

    Unless ``separate_ranking``, the recipes train through one fresh training cache as Personalize Local's
    solution versions do, so aws-personalized-ranking reuses aws-user-personalization's model.
    """
    cache = bench.root / "training-cache"
    shutil.rmtree(cache, ignore_errors=True)
    spec = {
        "prepared": str(bench.prepared),
        "models": str(bench.models),
        "cache": "" if separate_ranking else str(cache),
    }
    out: dict[str, Any] = {}
    run = bench.child("als", spec)
    out["als"] = {**run.result, "child_peak_rss_mb": run.peak_rss_mb}
    for recipe in RECIPES:
        run = bench.child("train", {**spec, "recipe": recipe})
        out[recipe] = {**run.result, "child_peak_rss_mb": run.peak_rss_mb, "child_seconds": run.seconds}
    shutil.rmtree(cache, ignore_errors=True)
    return out


def measure_als(bench: Bench) -> dict[str, Any]:
    """``implicit``'s ALS alone (the baseline every training and solution-version time is compared with)."""
    run = bench.child("als", {"prepared": str(bench.prepared)})
    return {**run.result, "child_peak_rss_mb": run.peak_rss_mb}


def measure_versions(bench: Bench) -> dict[str, Any]:
    """Every recipe's solution version (evaluation + served model), each in its own child, through one fresh
    training cache as Personalize Local's versions share it."""
    cache = bench.root / "versions-cache"
    done = bench.results.setdefault("versions_progress", {})  # per recipe, so --resume skips finished ones
    if not done:
        shutil.rmtree(cache, ignore_errors=True)
    for recipe in RECIPES:
        if recipe not in done:
            run = bench.child("version", {"prepared": str(bench.prepared), "recipe": recipe, "cache": str(cache)})
            done[recipe] = {**run.result, "child_peak_rss_mb": run.peak_rss_mb, "child_seconds": run.seconds}
            bench.save()
    shutil.rmtree(cache, ignore_errors=True)
    return {recipe: done[recipe] for recipe in RECIPES}


def measure_baselines(bench: Bench) -> dict[str, Any]:
    """Offline metrics of the full-size baselines (:func:`full_size_baselines`), each in its own child."""
    done = bench.results.setdefault("baselines_progress", {})
    for method in ("ials-baseline", "item-knn-baseline"):
        if method not in done:
            run = bench.child("baseline", {"prepared": str(bench.prepared), "method": method})
            done[method] = {**run.result, "child_peak_rss_mb": run.peak_rss_mb}
            bench.save()
    return dict(done)


def measure_serving(bench: Bench, requests: int, events: int, train_in_server: bool) -> dict[str, Any]:
    """The serving step (bench/full_size_serving.py)."""
    from bench.full_size_serving import run_serving

    log(f"serving: import + deploy + {requests} requests per measurement ... (load average {load_average():.1f})")
    return run_serving(bench.prepared, bench.models, requests=requests, events=events, train_in_server=train_in_server)


# ---------------------------------------------------------------------------------------------------- report
def _mb(value: float) -> str:
    return f"{value / 1024:.1f} GB" if value >= 1024 else f"{value:.0f} MB"


def report_data(gen: dict[str, Any], prepared: dict[str, Any], training_data: str) -> list[str]:
    """Generator and prepared-data lines."""
    rows = gen["rating_complete_rows"] + gen["animelist_rows"]
    return [
        "## Data",
        "",
        f"- generated drop: {gen['n_anime']:,} anime, {gen['n_users']:,} users ({gen['n_rating_users']:,} with "
        f"ratings), {gen['rating_complete_rows']:,} rating_complete rows, {gen['animelist_rows']:,} animelist rows, "
        f"{gen['bytes'] / 1e9:.2f} GB",
        f"- generator: {gen['seconds']:.0f} s wall ({gen['cpu_seconds']:.0f} s CPU), {rows / gen['seconds']:,.0f} "
        f"rows/s, peak RSS {_mb(gen['peak_rss_mb'])} (streamed; measured {gen['date']}, load average "
        f"{gen['load_average']})",
        f"- training data (pipeline prepare step, {TRAINING_DATA[training_data]}): "
        f"{prepared['interactions']:,} interactions, "
        f"prepared in {prepared['prepare_seconds']:.0f} s",
        "",
    ]


def report_prepare(result: dict[str, Any]) -> list[str]:
    """Prepare-step table and its ratios."""
    raw, tr = result["raw"], result["transform"]
    raw_speed, speed = raw["rows"] / raw["seconds"], tr["rows"] / tr["seconds"]
    cpu_ratio = (tr["rows"] / tr["cpu_seconds"]) / (raw["rows"] / raw["cpu_seconds"])
    margin = LAMBDA_TIMEOUT_SECONDS / tr["seconds"]
    return [
        "## Prepare step on the whole drop (rating_complete.csv + animelist.csv)",
        "",
        "| measure | rows | seconds | rows/s | peak RSS |",
        "|---|---|---|---|---|",
        f"| pyarrow raw read (baseline) | {raw['rows']:,} | {raw['seconds']:.1f} | {raw_speed:,.0f} | "
        f"{_mb(raw['peak_rss_mb'])} |",
        f"| prepare step (validate, dedupe, timestamps, write) | {tr['rows']:,} | {tr['seconds']:.1f} | "
        f"{speed:,.0f} | {_mb(tr['peak_rss_mb'])} |",
        "",
        f"- transform / raw read: {speed / raw_speed:.2f}x wall-clock, {cpu_ratio:.2f}x per CPU-second (goal >= 0.5x)",
        f"- spill files on local disk (Lambda /tmp) at peak: {tr['peak_spill_mb']:,.0f} MB",
        f"- total {tr['seconds']:.0f} s = {tr['seconds'] / LAMBDA_TIMEOUT_SECONDS:.0%} of Lambda's 900 s "
        f"({margin:.1f}x margin) on {os.cpu_count()} cores, {result['csv_mb']:,.0f} MB of CSV; "
        f"load average {result['load_average']}",
        "",
    ]


def report_training(result: dict[str, Any]) -> tuple[list[str], list[tuple[str, bool]]]:
    """Training table, ratios and verdicts."""
    als = result["als"]
    lines = [
        "## Training (Recipe.train on all users = the model a solution version serves)",
        "",
        f"`implicit` ALS alone: {als['setting']}, matrix {als['shape'][0]:,} users x {als['shape'][1]:,} items, "
        f"{als['nnz']:,} non-zeros (load average {result['load_average']})",
        "",
        "| what | train s | CPU s | x ALS alone | peak RSS (child) | RSS after data load | chosen |",
        "|---|---|---|---|---|---|---|",
        f"| implicit ALS alone (fit) | {als['fit_seconds']:.1f} | {als['fit_cpu_seconds']:.1f} | 1.00 | "
        f"{_mb(als['child_peak_rss_mb'])} | {_mb(als['rss_after_load_mb'])} | "
        f"matrix build {als['matrix_seconds']:.1f} s |",
    ]
    total = 0.0
    for recipe in RECIPES:
        row = result[recipe]
        total += row["train_seconds"]
        chosen = ", ".join(f"{k[6:]}={v}" for k, v in row.get("chosen", {}).items() if "validation" not in k)
        if row.get("reused"):
            chosen = "the aws-user-personalization model, reused (training cache: data fingerprint + load)"
        lines.append(
            f"| {recipe} | {row['train_seconds']:.1f} | {row['train_cpu_seconds']:.1f} | "
            f"{row['train_seconds'] / als['fit_seconds']:.2f} | {_mb(row['child_peak_rss_mb'])} | "
            f"{_mb(row['rss_after_load_mb'])} | {chosen} |"
        )
    ratio = total / als["fit_seconds"]
    lines += [
        f"| **all four recipes** | **{total:.1f}** | | **{ratio:.2f}** | | | |",
        "",
        f"(data load per child: {result['aws-popularity-count']['load_seconds']:.1f} s, not counted)",
        "",
    ]
    checks = [
        (f"all recipes train in {total / 60:.1f} min (target <= {TRAIN_TARGET_SECONDS / 60:.0f} min)",
         total <= TRAIN_TARGET_SECONDS),
        (f"all recipes / implicit ALS alone = {ratio:.2f}x (target <= {TRAIN_TARGET_RATIO:g}x)",
         ratio <= TRAIN_TARGET_RATIO),
    ]  # fmt: skip
    return lines, checks


def report_versions(
    versions: dict[str, Any], baselines: dict[str, Any], als: dict[str, Any] | None, training: dict[str, Any] | None
) -> tuple[list[str], list[tuple[str, bool]]]:
    """Solution-version cost per recipe (against ALS alone and the recipe's own training when measured in this
    run) and the offline metrics next to the baselines (bench/quality.py's table), judged against the issue's goals
    (:func:`personalize_comparison`)."""
    from bench.baselines import Tuned
    from bench.quality import related_table, table

    lines = [
        "## Solution versions (CreateSolutionVersion: evaluation on 90% of the users, then the served model)",
        "",
        "| recipe | version s | evaluation training s | evaluation (train + score) s | served model s | "
        "its training from scratch s | version / training | peak RSS (child) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total, peak = 0.0, 0.0
    for recipe in RECIPES:
        row = versions[recipe]
        total += row["seconds"]
        peak = max(peak, row["child_peak_rss_mb"])
        own = training.get(recipe, {}).get("train_seconds") if training else None
        ratio = f"{row['seconds'] / own:.2f}" if own and not row.get("reused") else "-"  # reused: a cache load
        note = " (reused: cache)" if row.get("reused") else ""
        lines.append(
            f"| {recipe}{note} | {row['seconds']:.1f} | {row.get('evaluation_training_seconds', 0.0):.1f} | "
            f"{row.get('evaluation_seconds', 0.0):.1f} | {row['served_seconds']:.1f} | "
            f"{f'{own:.1f}' if own else '-'} | {ratio} | {_mb(row['child_peak_rss_mb'])} |"
        )
    als_seconds = als["fit_seconds"] if als else None
    lines += [
        f"| **all four** | **{total:.1f}** ({total / 60:.1f} min) | | | | | "
        f"{f'{total / als_seconds:.2f}x ALS alone' if als_seconds else ''} | {_mb(peak)} |",
        "",
        f"(data load per child: {versions[RECIPES[0]]['load_seconds']:.1f} s, not counted; `implicit` ALS alone in "
        f"this run: {f'{als_seconds:.1f} s' if als_seconds else 'not measured'})",
        "",
    ]
    checks = [
        (f"4 solution versions in {total / 60:.1f} min (target <= 15 min)", total <= 15 * 60),
        (f"peak RSS of a solution version {peak / 1024:.1f} GB (target <= 12 GB)", peak <= 12 * 1024),
    ]
    results = {r: (versions[r]["metrics"], versions[r]["seconds"]) for r in RECIPES if versions[r].get("metrics")}
    rows = [row for row in baselines.values() if isinstance(row, dict) and "family" in row]  # not the load_average
    tuned = [Tuned(row["family"], row["setting"], float("nan"), row["metrics"], row["seconds"]) for row in rows]
    related = [
        Tuned(r["family"], r["setting"], float("nan"), r["metrics"], r["seconds"])
        for r in (row.get("related") for row in rows)
        if r
    ]
    lines += ["## Offline metrics (Personalize's protocol, split seed 0)", "", table(results, tuned), ""]
    if related:
        lines += [related_table(results, related), ""]
    lines += [
        "- baselines: one setting each (no grid at this size), fitted on the training users plus the test users' "
        "input histories (bench/baselines.py); the related-items rows ask the same fitted models for "
        "`similar_items` of the test user's most recent item, topped up with popular items",
        "",
    ]
    if tuned and all(r in results for r in ("aws-user-personalization", "aws-popularity-count", "aws-sims")):
        # the goals, judged once here (the comparison table names the seed's Personalize numbers)
        lines += personalize_comparison(results, tuned, total, peak, related)
    return lines, checks


#: The seed's Amazon Personalize run on the full real data (docs/reference numbers the issue quotes).
SEED_PERSONALIZE = {"up_coverage": 0.178, "sims_coverage": 0.450, "up_ndcg10": 0.4652}


def personalize_comparison(
    results: dict[str, tuple[dict[str, float], float]],
    tuned: list[Any],
    total: float,
    peak: float,
    related: Sequence[Any] = (),
) -> list[str]:
    """The issue's table: each measure next to the seed's Amazon Personalize run and its goal, from this run (the
    SIMS row says whether a related-items baseline reaches its goal)."""
    from bench.baselines import NDCG10
    from bench.quality import popularity_goal, related_reach, sims_goal

    up, pop, sims = (results[r][0] for r in ("aws-user-personalization", "aws-popularity-count", "aws-sims"))
    best = max(tuned, key=lambda t: t.metrics[NDCG10])
    best_ndcg = best.metrics[NDCG10]
    pop_ratio = up[NDCG10] / pop[NDCG10] if pop[NDCG10] else float("inf")
    ndcg_goal_met, baseline_reaches_2x = popularity_goal(up, pop, tuned)

    def mark(ok: bool) -> str:
        return "✅" if ok else "❌"

    rows = [
        ("user-personalization coverage", f"{SEED_PERSONALIZE['up_coverage']:.3f}", f"{up['coverage']:.4f}",
         "≥ .18", mark(up["coverage"] >= 0.18)),
        ("SIMS coverage (P@5 vs popularity's)", f"{SEED_PERSONALIZE['sims_coverage']:.3f}",
         f"{sims['coverage']:.4f} (P@5 {sims['precision_at_5']:.4f} vs {pop['precision_at_5']:.4f}); "
         + related_reach(related, pop),
         "≥ .45 with P@5 ≥ popularity's",
         mark(sims_goal(sims, pop))),
        ("user-personalization NDCG@10 / popularity", f"{SEED_PERSONALIZE['up_ndcg10']:.4f} / –",
         f"{up[NDCG10]:.4f} / {pop[NDCG10]:.4f} = {pop_ratio:.2f}x",
         "≥ 2x where a baseline reaches it ("
         + ("one does" if baseline_reaches_2x else "none does: ≥ 1.05x the best baseline") + ")",
         mark(ndcg_goal_met)),
        (f"user-personalization NDCG@10 / best baseline ({best.family})", "–",
         f"{up[NDCG10] / best_ndcg:.3f}x" if best_ndcg else "-", "≥ 1.05x", mark(up[NDCG10] >= 1.05 * best_ndcg)),
        ("4 solution versions (training + offline metrics)", "hours",
         f"{total / 60:.1f} min, peak {peak / 1024:.1f} GB", "≤ 15 min, peak RSS ≤ 12 GB",
         mark(total <= 15 * 60 and peak <= 12 * 1024)),
    ]  # fmt: skip
    lines = [
        "## Against Amazon Personalize (the seed's run on the full real data) — this run",
        "",
        "| measure (Personalize's metric protocol) | the seed's Amazon Personalize | Personalize Local | goal | |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    return [*lines, ""]


def render(bench: Bench, info: dict[str, Any]) -> str:
    """The whole report (markdown)."""
    results = bench.results
    lines = [
        f"# Full-size benchmark ({bench.report_path.stem.replace('report', bench.root.name)})",
        "",
        f"Machine: {describe_machine(info)}",
        "",
    ]
    lines += report_data(results["generate"], results["prepared"], bench.training_data)
    checks: list[tuple[str, bool]] = []
    if "prepare" in results:
        lines += report_prepare(results["prepare"])
        seconds = results["prepare"]["transform"]["seconds"]
        checks.append(
            (f"prepare step {seconds:.0f} s <= half of Lambda's 900 s", seconds <= LAMBDA_TIMEOUT_SECONDS / 2)
        )
    if "train" in results:
        train_lines, train_checks = report_training(results["train"])
        lines += train_lines
        checks += train_checks
    if "versions" in results:
        als = results.get("train", {}).get("als") or results.get("als")
        version_lines, version_checks = report_versions(
            results["versions"], results.get("baselines", {}), als, results.get("train")
        )
        lines += version_lines
        checks += version_checks
    if "serve" in results:
        from bench.full_size_serving import report_serving

        serve_lines, serve_checks = report_serving(results["serve"])
        lines += serve_lines
        checks += serve_checks
    lines += ["## Targets", ""] + [f"- {'PASS' if ok else 'MISS'}: {text}" for text, ok in checks]
    return "\n".join(lines)


STEPS = ("prepare", "als", "train", "versions", "baselines", "serve")


def main(argv: list[str] | None = None) -> int:
    """Run the steps (or one child) and print the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny drop in a temporary directory (CI)")
    parser.add_argument("--users", type=int, default=None, help="a slice of the full drop with this many users")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache (default .bench-data)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument("--requests", type=int, default=None, help="requests per latency measurement")
    parser.add_argument("--events", type=int, default=10_000, help="live PutEvents events before re-measuring")
    parser.add_argument("--resume", action="store_true", help="reuse step results of an interrupted run")
    parser.add_argument(
        "--training-data",
        choices=sorted(TRAINING_DATA),
        default="ratings",
        help="ratings: rating_complete.csv only (default, as the quality benchmark); whole: the whole drop, every "
        "event type, as the pipeline trains",
    )
    parser.add_argument(
        "--train-in-server",
        action="store_true",
        help="let the server train its solution version (default: only in --quick; else serve the model of 'train')",
    )
    parser.add_argument(
        "--separate-ranking",
        action="store_true",
        help="train every recipe itself, without Personalize Local's training cache (personalized-ranking then "
        "repeats user-personalization's training)",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        with contextlib.suppress(OSError):  # on a shared machine, the OOM killer should pick a benchmark child first
            Path("/proc/self/oom_score_adj").write_text("1000")
        emit_result(CHILDREN[args.child](json.loads(args.spec)))
        return 0
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown step(s) {', '.join(sorted(unknown))}: choose from {', '.join(STEPS)}")
    info = machine()
    with tempfile.TemporaryDirectory(prefix="bench-full-size-quick-") as scratch:
        if args.quick:
            bench = Bench(Path(scratch) / "tiny", "tiny", None, resume=False)
        else:
            label = "full" if args.users is None else f"full-u{args.users}"
            bench = Bench(args.data_dir.resolve() / label, "full", args.users, args.resume, args.training_data)
        log(f"full-size benchmark in {bench.root}; {describe_machine(info)}")
        bench.results["generate"] = ensure_drop(bench)
        bench.results["prepared"] = ensure_prepared(bench)
        if "prepare" in steps:
            bench.step("prepare", lambda: measure_prepare(bench))
        if "train" in steps or "serve" in steps:
            bench.step("train", lambda: measure_training(bench, args.separate_ranking))
        if "als" in steps and "train" not in steps:
            bench.step("als", lambda: measure_als(bench))
        if "versions" in steps:
            bench.step("versions", lambda: measure_versions(bench))
        if "baselines" in steps:
            bench.step("baselines", lambda: measure_baselines(bench))
        if "serve" in steps:
            requests = args.requests or (100 if args.quick else 1000)
            events = min(args.events, 1000) if args.quick else args.events
            bench.step("serve", lambda: measure_serving(bench, requests, events, args.train_in_server or args.quick))
        info["load_average_end"] = round(load_average(), 1)
        print(render(bench, info))
        if not args.quick:
            bench.report_path.write_text(render(bench, info) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
