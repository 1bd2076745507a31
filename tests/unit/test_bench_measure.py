"""The benchmark runner's measuring helpers: a child's result line and its own peak memory."""

from __future__ import annotations

import sys

import pytest

from bench import __main__ as runner
from bench.measure import describe_machine, machine, run_measured

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


def test_machine_description_names_cores_memory_and_versions() -> None:
    info = machine()

    text = describe_machine(info)

    assert f"{info['nproc']} CPUs" in text
    assert "GiB RAM" in text and "numpy" in text and "load average" in text


def test_runner_rejects_an_unknown_benchmark_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        runner.main(["--only", "no-such-bench"])

    assert exit_info.value.code == 2
    assert "no-such-bench" in capsys.readouterr().err
