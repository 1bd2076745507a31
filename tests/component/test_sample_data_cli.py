"""The sample-data command line in a child process writes the same files as the API and reports them."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from sample_data.generate import FILE_NAMES, generate_dataset


def _digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in FILE_NAMES}


def test_cli_writes_the_files_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = subprocess.run(
        [sys.executable, "-m", "sample_data", "--size", "tiny", "--out", str(out), "--seed", "2020"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "rating_complete.csv" in result.stdout
    assert _digests(out) == _digests(generate_dataset("tiny", tmp_path / "api").out_dir)
