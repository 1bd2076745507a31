"""Benchmark of the sample-data generator: speed, peak memory, and generated-vs-real distributions.

    python -m bench.generate                 # tiny + demo: time, rows/s, peak RSS; distribution comparison
    python -m bench.generate --full          # also the full size (17,562 anime, ~109M animelist rows)
    python -m bench.generate --full-slice 20 # estimate full from 1/20 of its users instead

Each size runs in its own child process so its peak RSS is its own. Speeds are reported with the tiny size as
the in-run baseline (rows/s ratio). The comparison reads real Kaggle rows from ``--real DIR`` (default
``$KAGGLE_DATA_DIR``, else where ``make drop`` downloads the dataset) when they exist; the benchmark never needs them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.csv as pa_csv

from kaggle_drop.dataset import real_data_dir

DEFAULT_REAL_DIR = real_data_dir()
# Published facts about the complete real files (a local copy may hold only a slice of the two big ones): the
# dataset author's readme (GitHub Hernan4444/MyAnimeList-Database) and printed outputs of public notebooks.
REAL_FULL_FACTS = {
    "anime": 17562,
    "rating_rows": 57_633_278,
    "rating_users": 310_059,
    "rating_mean": 7.51,
    "rating_std": 1.70,
    "rating_quartiles": [7.0, 8.0, 9.0],
    "anime_without_ratings_share": round(1 - 16872 / 17562, 3),
    "animelist_rows": 109_224_747,
}


def _run_size(size: str, out_dir: str, seed: int, user_fraction: float, queue: mp.Queue) -> None:
    """Child process: generate one size (optionally a slice of its users) and report time and peak RSS."""
    from sample_data.generate import generate_dataset
    from sample_data.sizes import size_spec

    n_users = max(1, int(size_spec(size).n_users * user_fraction))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = generate_dataset(size, out_dir, seed=seed, n_users=n_users)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    peak_kib = usage.ru_maxrss
    queue.put(
        {
            "size": size,
            "user_fraction": user_fraction,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "n_anime": result.n_anime,
            "n_users": result.n_users,
            "rating_complete_rows": result.n_ratings,
            "animelist_rows": result.n_animelist_rows,
            "peak_rss_mib": peak_kib / 1024,
            "bytes": sum(p.stat().st_size for p in result.files.values()),
        }
    )


def measure(size: str, out_dir: Path, seed: int = 2020, user_fraction: float = 1.0) -> dict:
    """Generate ``size`` in a fresh process; returns timings, row counts and peak RSS."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_size, args=(size, str(out_dir), seed, user_fraction, queue))
    proc.start()
    report = queue.get()
    proc.join()
    rows = report["animelist_rows"] + report["rating_complete_rows"]
    report["rows_per_second"] = rows / report["seconds"]
    return report


def _read_ints(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read integer columns of a big CSV quickly (pyarrow, int32)."""
    import pyarrow as pa

    types = {c: pa.int32() for c in columns}
    table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(include_columns=columns, column_types=types))
    return table.to_pandas()


def describe(data_dir: Path) -> dict:
    """Distribution summary of one dataset directory (generated or real)."""
    rc = _read_ints(data_dir / "rating_complete.csv", ["user_id", "anime_id", "rating"])
    anime = pd.read_csv(data_dir / "anime.csv", dtype=str, keep_default_na=False)
    per_user = rc.groupby("user_id").size()
    per_anime = rc.groupby("anime_id").size().sort_values(ascending=False)
    top = max(1, round(0.1 * len(anime)))
    genres = anime["Genres"].str.split(", ").explode().value_counts()
    score = pd.to_numeric(anime["Score"], errors="coerce")
    summary = {
        "anime": len(anime),
        "rating_rows": len(rc),
        "rating_users": int(per_user.size),
        "rating_mean": round(float(rc.rating.mean()), 3),
        "rating_std": round(float(rc.rating.std()), 3),
        "rating_quartiles": [float(q) for q in rc.rating.quantile([0.25, 0.5, 0.75])],
        "rating_shares": {
            int(k): round(float(v), 3) for k, v in rc.rating.value_counts(normalize=True).sort_index().items()
        },
        "ratings_per_user_quantiles": {
            str(q): float(v) for q, v in per_user.quantile([0.1, 0.25, 0.5, 0.75, 0.9, 0.99]).items()
        },
        "ratings_per_user_max": int(per_user.max()),
        "top10pct_anime_share_of_ratings": round(float(per_anime.iloc[:top].sum() / len(rc)), 3),
        "anime_without_ratings_share": round(1 - rc.anime_id.nunique() / len(anime), 3),
        "genre_top10": {str(k): round(float(v) / len(anime), 3) for k, v in genres.iloc[:10].items()},
        "anime_score_mean": round(float(score.mean()), 2),
        "anime_score_unknown_share": round(float(score.isna().mean()), 3),
        "english_name_unknown_share": round(float((anime["English name"] == "Unknown").mean()), 3),
        "premiered_unknown_share": round(float((anime["Premiered"] == "Unknown").mean()), 3),
    }
    animelist = data_dir / "animelist.csv"
    if animelist.exists():
        al = _read_ints(animelist, ["user_id", "rating", "watching_status"])
        summary["animelist_rows"] = len(al)
        summary["status_shares"] = {
            int(k): round(float(v), 3) for k, v in al.watching_status.value_counts(normalize=True).sort_index().items()
        }
        summary["animelist_unrated_share"] = round(float((al.rating == 0).mean()), 3)
    return summary


def _print_comparison(generated: dict, real: dict | None) -> None:
    """Generated summary next to the real rows we hold and the published full-file facts."""
    print(f"{'metric':34} {'generated':>30} {'real rows held':>30} {'real full (published)':>24}")
    for key, value in generated.items():
        held = "-" if real is None else real.get(key, "-")
        full = REAL_FULL_FACTS.get(key, "-")
        cells = [v if v == "-" else json.dumps(v) for v in (value, held, full)]
        if max(len(c) for c in cells[:2]) <= 30:
            print(f"{key:34} {cells[0]:>30} {cells[1]:>30} {cells[2]:>24}")
        else:
            print(f"{key}\n    generated: {cells[0]}\n    real held: {cells[1]}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the numbers docs/sample-data.md quotes."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also generate the full size (minutes, ~4 GB of disk)")
    parser.add_argument("--full-slice", type=int, default=0, help="estimate full from 1/N of its users")
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL_DIR, help="real Kaggle rows to compare with")
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args(argv)

    runs = [("tiny", 1.0), ("demo", 1.0)]
    if args.full_slice:
        runs.append(("full", 1.0 / args.full_slice))
    if args.full:
        runs.append(("full", 1.0))
    with tempfile.TemporaryDirectory(prefix="bench-sample-data-") as tmp:
        reports = []
        for size, fraction in runs:
            out = Path(tmp) / f"{size}-{fraction:g}"
            report = measure(size, out, seed=args.seed, user_fraction=fraction)
            reports.append((report, out))
        baseline = reports[0][0]["rows_per_second"]
        print(
            f"{'size':12} {'anime':>7} {'users':>8} {'ratings':>11} {'animelist':>11} {'seconds':>8} {'cpu s':>7} "
            f"{'rows/s':>11} {'vs tiny':>8} {'peak RSS MiB':>13}"
        )
        for report, _ in reports:
            label = (
                report["size"]
                if report["user_fraction"] == 1.0
                else f"{report['size']}/{round(1 / report['user_fraction'])}"
            )
            print(
                f"{label:12} {report['n_anime']:>7} {report['n_users']:>8} {report['rating_complete_rows']:>11,} "
                f"{report['animelist_rows']:>11,} {report['seconds']:>8.2f} {report['cpu_seconds']:>7.2f} "
                f"{report['rows_per_second']:>11,.0f} "
                f"{report['rows_per_second'] / baseline:>7.1f}x {report['peak_rss_mib']:>13.0f}"
            )
            if report["user_fraction"] < 1.0:
                factor = 1 / report["user_fraction"]
                print(
                    f"{'':12} extrapolated full (upper bound, fixed costs scaled too): "
                    f"~{report['seconds'] * factor / 60:.1f} min wall, "
                    f"~{report['cpu_seconds'] * factor / 60:.1f} min CPU, "
                    f"~{report['rating_complete_rows'] * factor / 1e6:.1f}M ratings, "
                    f"~{report['animelist_rows'] * factor / 1e6:.1f}M animelist rows"
                )
        real = describe(args.real) if (args.real / "rating_complete.csv").exists() else None
        if real is not None:
            print(
                f"\nreal rows held: {args.real} - complete anime.csv; rating_complete.csv only users 0-346 (heavy early"
                " users: per-user and per-anime figures are not comparable); animelist.csv only 3 users"
            )
        for report, out in reports:
            if report["size"] == "tiny":
                continue
            print(f"\n== distributions: generated {report['size']} vs real")
            _print_comparison(describe(out), real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
