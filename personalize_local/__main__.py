"""``python -m personalize_local serve`` runs the server; ``python -m personalize_local inspect`` looks inside a
running one. ``--help`` on each lists its options."""

from __future__ import annotations

import argparse
import sys

from personalize_local.cli import inspect, serve


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``serve`` and ``inspect`` with their options."""
    parser = argparse.ArgumentParser(prog="python -m personalize_local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve.add_parser(commands)
    inspect.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
