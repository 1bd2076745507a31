"""`make demo`: placeholder until the pipeline lands; says so instead of pretending."""

from __future__ import annotations


def main() -> int:
    """Explain what the demo will run."""
    print("make demo: the offline retraining pipeline is not built yet (issue 6); nothing was run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
