"""The benchmark runner's measuring helpers on real child processes: a result line, its own peak memory, failures."""

from __future__ import annotations

import sys

from bench.measure import run_measured

ALLOCATE_AND_REPORT = (
    "import numpy as np\n"
    "from bench.measure import emit_result\n"
    "block = np.ones(200 * 1024 * 1024 // 8)\n"
    "emit_result({'total': float(block.sum())})\n"
)


def test_child_result_line_and_its_own_peak_rss_are_measured() -> None:
    run = run_measured([sys.executable, "-c", ALLOCATE_AND_REPORT])

    assert run.returncode == 0, run.stderr
    assert run.result == {"total": 200 * 1024 * 1024 / 8}
    assert run.peak_rss_mb >= 200  # the child touched 200 MB; the kernel's ru_maxrss for that child shows it
    assert run.seconds > 0


def test_a_failing_child_reports_its_exit_code_and_stderr() -> None:
    run = run_measured([sys.executable, "-c", "import sys; sys.exit('broken on purpose')"])

    assert run.returncode == 1
    assert run.result == {}
    assert "broken on purpose" in run.tail()
