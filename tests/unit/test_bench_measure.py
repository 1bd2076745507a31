"""The benchmark runner's measuring helpers: a child's result line and its own peak memory."""

from __future__ import annotations

import pytest

from bench import __main__ as runner
from bench.measure import describe_machine, machine

ALLOCATE_AND_REPORT = (
    "import numpy as np\n"
    "from bench.measure import emit_result\n"
    "block = np.ones(200 * 1024 * 1024 // 8)\n"
    "emit_result({'total': float(block.sum())})\n"
)


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
