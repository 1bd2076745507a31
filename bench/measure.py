"""Measuring helpers shared by the benchmark runner: child processes with their own peak RSS, and the machine.

A benchmark step runs in a fresh child process so its peak memory is its own: the parent reaps it with
``os.wait4``, whose ``ru_maxrss`` is that child's peak resident set (KiB on Linux). The child prints its result
as the last stdout line, ``RESULT <json>``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULT_PREFIX = "RESULT "


@dataclass
class ChildRun:
    """What one measured child process did."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    stdout: str
    stderr: str
    result: dict[str, Any] = field(default_factory=dict)

    def tail(self, lines: int = 25) -> str:
        """The last lines of stderr (for error messages)."""
        return "\n".join(self.stderr.strip().splitlines()[-lines:])


def run_measured(command: list[str], env: dict[str, str] | None = None, cwd: str | Path | None = None) -> ChildRun:
    """Run ``command`` to completion; wall time, CPU time and peak RSS of that child (and its result line)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    run = ChildRun(
        returncode=proc.returncode,
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        stdout=stdout,
        stderr=stderr,
    )
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            run.result = json.loads(line[len(RESULT_PREFIX) :])
            break
    return run


def emit_result(result: dict[str, Any]) -> None:
    """Child side: print the result line the parent parses."""
    print(RESULT_PREFIX + json.dumps(result, default=float), flush=True)


def proc_status_mb(field_name: str) -> float:
    """A memory field of /proc/self/status in MB (``VmRSS`` now, ``VmHWM`` peak); 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def load_average() -> float:
    """1-minute load average."""
    return os.getloadavg()[0]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # not installed: say so rather than fail the benchmark
        return "n/a"


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on (what docs/benchmarks.md quotes)."""
    return {
        "nproc": os.cpu_count(),
        "mem_total_gib": round(_mem_total_gib(), 1),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"),
        "scipy": _version("scipy"),
        "implicit": _version("implicit"),
        "load_average": round(load_average(), 1),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def describe_machine(info: dict[str, Any] | None = None) -> str:
    """One line describing :func:`machine`."""
    m = info or machine()
    return (
        f"{m['nproc']} CPUs ({m['cpu_model']}), {m['mem_total_gib']} GiB RAM, Python {m['python']}, "
        f"numpy {m['numpy']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, implicit {m['implicit']}; "
        f"load average {m['load_average']} at {m['date']}"
    )


def python_command(module: str, *args: str) -> list[str]:
    """``python -m module args...`` with this interpreter."""
    return [sys.executable, "-m", module, *args]
