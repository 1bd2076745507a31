"""The benchmark runner's measuring helpers: a child's result line and its own peak memory."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

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


def test_every_command_the_runner_launches_names_a_module_or_file_that_exists(tmp_path: Path) -> None:
    launched = [bench.quick for bench in runner.benchmarks(tmp_path)] + [
        bench.full for bench in runner.benchmarks(tmp_path)
    ]
    assert launched
    for command in launched:
        if command[0] == "-m":
            assert importlib.util.find_spec(command[1]) is not None, command
        else:
            assert (runner.ROOT / command[0]).is_file(), command


def test_every_bench_script_a_benchmark_starts_by_path_exists() -> None:
    started = {
        name
        for source in (runner.ROOT / "bench").glob("*.py")
        for name in re.findall(r'"bench"\s*/\s*"([^"]+)"', source.read_text(encoding="utf-8"))
    }
    assert started, "no benchmark starts a script by path any more: drop this test"
    assert sorted(name for name in started if not (runner.ROOT / "bench" / name).is_file()) == []
