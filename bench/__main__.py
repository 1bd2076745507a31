"""Every benchmark of the project, in sequence: ``make bench`` (= ``python -m bench``) and ``make bench-quick``.

    python -m bench                       # full: demo-size benches, then the full Kaggle size (cached in .bench-data/)
    python -m bench --quick               # CI size: every benchmark and every ratio, in about two minutes
    python -m bench --only prepare_data,full_size
    python -m bench --skip quality

Each benchmark runs as its own process and prints its own table and ratios (each against a baseline measured in
the same run); this runner prints the machine first and a summary of what ran, how long it took and whether it
finished, last. It exits non-zero when a benchmark failed. Timings are never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import describe_machine, load_average
from kaggle_drop.dataset import real_data_dir

ROOT = Path(__file__).resolve().parents[1]
REAL_KAGGLE_DIR = real_data_dir()  # $KAGGLE_DATA_DIR, else where `make drop` downloads the dataset
FULL_SLICE_USERS = 16_289  # 1/20 of the full drop's users: bench/prepare_data.py's 1x / 10x memory-flatness check


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: what it measures and its command lines in quick and full mode."""

    name: str
    measures: str
    quick: tuple[str, ...]
    full: tuple[str, ...]


def benchmarks(data_dir: Path) -> list[Benchmark]:
    """The benchmarks in the order they run."""
    quality_full: tuple[str, ...] = ("-m", "bench.quality")
    if (REAL_KAGGLE_DIR / "rating_complete.csv").is_file():
        quality_full += ("--kaggle-dir", str(REAL_KAGGLE_DIR))
    return [
        Benchmark(
            "generate",
            "sample-data generator: rows/s, peak RSS, generated vs real distributions",
            ("-m", "bench.generate"),
            ("-m", "bench.generate"),
        ),
        Benchmark(
            "prepare_data",
            "prepare step: rows/s vs pyarrow raw read, peak RSS at 1x and 10x",
            ("bench/prepare_data.py", "--quick"),
            ("bench/prepare_data.py", "--size", "full", "--users", str(FULL_SLICE_USERS)),
        ),
        Benchmark(
            "quality",
            "offline metrics of every recipe vs EASE, iALS, BPR and item-kNN baselines tuned on training users",
            ("-m", "bench.quality", "--size", "tiny"),
            quality_full,
        ),
        Benchmark(
            "served_model",
            "a solution version's served model from scratch vs from its evaluation's model: seconds, NDCG@10",
            ("-m", "bench.served_model", "--quick"),
            ("-m", "bench.served_model", "--data-dir", str(data_dir)),
        ),
        Benchmark(
            "serving",
            "training time and GetRecommendations latency at demo size",
            ("-m", "bench.serving", "--requests", "200"),
            ("-m", "bench.serving"),
        ),
        Benchmark(
            "forward_events",
            "Kinesis -> PutEvents forwarder events/s vs one call per record",
            ("-m", "bench.forward_events", "--quick"),
            ("-m", "bench.forward_events"),
        ),
        Benchmark(
            "full_size",
            "the full Kaggle size: generate, prepare, train vs implicit ALS, metrics, serving",
            ("-m", "bench.full_size", "--quick"),
            ("-m", "bench.full_size", "--data-dir", str(data_dir)),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks one after the other and print a summary."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="CI-size runs (every ratio, about two minutes)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names to run")
    parser.add_argument("--skip", default="", help="comma-separated benchmark names to leave out")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".bench-data", help="full-size data cache")
    args = parser.parse_args(argv)
    selected = benchmarks(args.data_dir)
    names = {b.name for b in selected}
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    unknown = (only | skip) - names
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}: choose from {', '.join(sorted(names))}")
    selected = [b for b in selected if (not only or b.name in only) and b.name not in skip]

    mode = "quick" if args.quick else "full"
    print(f"# benchmarks ({mode}) on {describe_machine()}", flush=True)
    summary: list[tuple[str, float, int, float]] = []
    for bench in selected:
        command = [sys.executable, *(bench.quick if args.quick else bench.full)]
        print(f"\n## {bench.name}: {bench.measures}\n$ python {' '.join(command[1:])}\n", flush=True)
        started = time.perf_counter()
        returncode = subprocess.run(command, cwd=ROOT, check=False).returncode
        summary.append((bench.name, time.perf_counter() - started, returncode, load_average()))

    print(f"\n## summary ({mode})\n")
    print(f"{'benchmark':12} {'seconds':>9} {'load avg':>9}  result")
    for name, seconds, returncode, load in summary:
        print(f"{name:12} {seconds:>9.1f} {load:>9.1f}  {'ok' if returncode == 0 else f'FAILED (exit {returncode})'}")
    total = sum(seconds for _, seconds, _, _ in summary)
    print(f"{'total':12} {total:>9.1f}")
    return 0 if all(returncode == 0 for _, _, returncode, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
