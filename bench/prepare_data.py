"""Benchmark of the data-preparation step (``anime_recommender.prepare_data.prepare_drop``).

For an input drop at 1x and 10x size (10x = the interaction files repeated ten times with shifted user ids, so
the data has the same shape) it measures, each in its own subprocess so peak RSS is that run's alone:

* pyarrow's raw CSV read of the interaction files (``pyarrow.csv.read_csv``, all threads) - the baseline;
* the whole transform (validation, dedupe, timestamps, items, catalog, report) from local files to local files.

It prints rows/s of both, their ratio (goal: transform >= 0.5x raw read) and peak RSS (goal: the transform's
stays flat from 1x to 10x while the raw read grows). No assertion: timings are machine-dependent.

    python bench/prepare_data.py                      # generated "demo" drop
    python bench/prepare_data.py --size full --users 20000
    python bench/prepare_data.py --kaggle-dir /path/to/anime-recommendation-database-2020
    python bench/prepare_data.py --quick              # generated "tiny" drop, for CI
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INTERACTION_FILES = ("rating_complete.csv", "animelist.csv")
METADATA_FILES = ("anime.csv", "anime_with_synopsis.csv")
USER_SHIFT = 10_000_000  # copy k of the 10x input gets user ids + k * USER_SHIFT


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _child_raw_read(drop: Path) -> dict:
    import pyarrow.csv as pacsv

    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    for name in INTERACTION_FILES:
        if (drop / name).is_file():
            rows += pacsv.read_csv(drop / name).num_rows
    return {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child_transform(drop: Path, out: Path) -> dict:
    from anime_recommender.prepare_data import LocalStorage, PrepareOptions, prepare_drop

    started, cpu = time.perf_counter(), time.process_time()
    result = prepare_drop(LocalStorage(drop), LocalStorage(out), PrepareOptions(work_dir=str(out)), drop_id="bench")
    return {
        "rows": result.report["counts"]["rowsRead"],
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": _peak_rss_mb(),
        "counts": result.counts,
    }


def _in_subprocess(kind: str, drop: Path, out: Path) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--drop", str(drop), "--out", str(out)]
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def _warm_cache(drop: Path) -> None:
    for path in drop.iterdir():
        with open(path, "rb") as handle:
            while handle.read(16 << 20):
                pass


def _replicate(source: Path, target: Path, copies: int) -> None:
    """``target`` = ``source`` with each interaction file repeated ``copies`` times (user ids shifted)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    target.mkdir(parents=True, exist_ok=True)
    for name in METADATA_FILES:
        if (source / name).is_file():
            shutil.copy(source / name, target / name)
    for name in INTERACTION_FILES:
        if not (source / name).is_file():
            continue
        with open(target / name, "wb") as sink:
            sink.write((source / name).read_bytes().split(b"\n", 1)[0] + b"\n")
            for copy in range(copies):
                reader = pacsv.open_csv(source / name)
                for batch in reader:
                    table = pa.Table.from_batches([batch])
                    shifted = pc.add(table.column("user_id"), copy * USER_SHIFT)
                    table = table.set_column(0, "user_id", shifted)
                    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False))


def _source_drop(args: argparse.Namespace, work: Path) -> Path:
    if args.kaggle_dir:
        return Path(args.kaggle_dir)
    from sample_data.generate import generate_dataset

    size = "tiny" if args.quick else args.size
    print(f"generating the {size!r} sample drop ...", flush=True)
    generate_dataset(size, work / "source", n_users=args.users)
    return work / "source"


def main() -> None:
    """Run the benchmark (or one measurement, when called as a child)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kaggle-dir", help="a directory with the real Kaggle files")
    parser.add_argument("--size", default="demo", choices=("tiny", "demo", "full"), help="generated drop size")
    parser.add_argument("--users", type=int, default=None, help="generated users (a slice of --size)")
    parser.add_argument("--quick", action="store_true", help="tiny generated drop (CI)")
    parser.add_argument("--scale", type=int, default=10, help="the large input is this many copies (default 10)")
    parser.add_argument("--child", choices=("raw", "transform"), help=argparse.SUPPRESS)
    parser.add_argument("--drop", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        drop, out = Path(args.drop), Path(args.out)
        result = _child_raw_read(drop) if args.child == "raw" else _child_transform(drop, out)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        work = Path(tmp)
        source = _source_drop(args, work)
        drops = {"1x": work / "drop-1x", f"{args.scale}x": work / f"drop-{args.scale}x"}
        _replicate(source, drops["1x"], 1)
        _replicate(source, drops[f"{args.scale}x"], args.scale)
        results = {}
        for label, drop in drops.items():
            _warm_cache(drop)
            raw = _in_subprocess("raw", drop, work / f"out-{label}-raw")
            out = work / f"out-{label}"
            out.mkdir()
            transform = _in_subprocess("transform", drop, out)
            shutil.rmtree(out)
            size_mb = sum(os.path.getsize(drop / n) for n in INTERACTION_FILES if (drop / n).is_file()) / 1e6
            results[label] = (size_mb, raw, transform)

    print()
    print(
        f"{'input':>6} {'CSV MB':>8} {'rows':>12} {'raw read rows/s':>16} {'transform rows/s':>17} {'ratio':>6} "
        f"{'ratio per CPU-s':>16} {'raw peak MB':>12} {'transform peak MB':>18}"
    )
    for label, (size_mb, raw, transform) in results.items():
        speed, raw_speed = transform["rows"] / transform["seconds"], raw["rows"] / raw["seconds"]
        cpu_ratio = (transform["rows"] / transform["cpu_seconds"]) / (raw["rows"] / raw["cpu_seconds"])
        print(
            f"{label:>6} {size_mb:>8.1f} {transform['rows']:>12,} {raw_speed:>16,.0f} {speed:>17,.0f} "
            f"{speed / raw_speed:>5.2f}x {cpu_ratio:>15.2f}x {raw['peak_rss_mb']:>12.0f} "
            f"{transform['peak_rss_mb']:>18.0f}"
        )
    (_, small_raw, small), (_, big_raw, big) = results.values()
    print()
    print(
        f"peak RSS {args.scale}x / 1x: transform {big['peak_rss_mb'] / small['peak_rss_mb']:.2f}, "
        f"raw read {big_raw['peak_rss_mb'] / small_raw['peak_rss_mb']:.2f} (goal: transform flat, ~1.0)"
    )
    print(
        f"transform speed vs raw read at {args.scale}x: "
        f"{(big['rows'] / big['seconds']) / (big_raw['rows'] / big_raw['seconds']):.2f}x wall-clock (goal >= 0.5x); "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
