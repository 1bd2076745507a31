"""Command line: ``python -m sample_data --size tiny|demo|full --out DIR [--seed N] [--quiet]``."""

from __future__ import annotations

import argparse
import sys
import time

from sample_data.generate import generate_dataset
from sample_data.sizes import SIZES


def _progress_printer(quiet: bool):
    """A progress callback that prints at most every 5% of the users (to stderr)."""
    if quiet:
        return None
    started = time.perf_counter()
    last = [-1]

    def report(done: int, total: int, rows: int) -> None:
        step = done * 20 // total
        if step != last[0]:
            last[0] = step
            elapsed = time.perf_counter() - started
            print(f"  {done:,}/{total:,} users, {rows:,} animelist rows, {elapsed:.0f}s", file=sys.stderr, flush=True)

    return report


def main(argv: list[str] | None = None) -> int:
    """Generate one dataset and print what was written."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_data",
        description="Write the Kaggle 'Anime Recommendation Database 2020' files (deterministic sample data).",
    )
    parser.add_argument("--size", required=True, choices=list(SIZES), help="tiny (~2k ratings), demo (~200k), full")
    parser.add_argument("--out", required=True, help="directory to write the five CSV files into")
    parser.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    if not args.quiet:
        print(f"generating {args.size} sample data (seed {args.seed}) into {args.out}", file=sys.stderr)
    try:
        result = generate_dataset(args.size, args.out, seed=args.seed, progress=_progress_printer(args.quiet))
    except OSError as exc:
        print(f"python -m sample_data: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    counts = {
        "anime.csv": result.n_anime,
        "rating_complete.csv": result.n_ratings,
        "animelist.csv": result.n_animelist_rows,
        "watching_status.csv": 5,
        "anime_with_synopsis.csv": int((~result.catalog.is_hentai).sum()),
    }
    for name, path in result.files.items():
        print(f"{name:24} {counts[name]:>12,} rows {path.stat().st_size:>15,} bytes  {path}")
    print(
        f"{result.n_users:,} users ({result.n_rating_users:,} with ratings), {result.n_anime:,} anime "
        f"({result.cold_anime_ids.size:,} never rated), {result.seconds:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
