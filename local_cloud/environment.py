"""The emulator's own virtualenv (``.venv-ministack``), built on python3.12 so the Lambda functions run on 3.12.

ministack runs every Python function on its own interpreter whatever the template's ``Runtime`` says, and it pins
its own botocore, so it gets a virtualenv of its own, separate from the test environment.
"""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path

from local_cloud.services import MINISTACK_REQUIREMENTS, MINISTACK_VENV

LAMBDA_PYTHON_VERSION = (3, 12)
_STAMP = ".installed"


def _is_python(candidate: str, version: tuple[int, int]) -> bool:
    probe = f"import sys; sys.exit(sys.version_info[:2] != {version!r})"
    try:
        return subprocess.run([candidate, "-c", probe], capture_output=True).returncode == 0
    except OSError:
        return False


def find_python(version: tuple[int, int] = LAMBDA_PYTHON_VERSION) -> str:
    """A working interpreter of ``version``: ``python3.12`` on PATH, else a pyenv installation; else a clear error."""
    name = f"python{version[0]}.{version[1]}"
    candidates = [name]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version[0]}.{version[1]}.*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if _is_python(candidate, version):
            return candidate
    raise RuntimeError(
        f"no working {name} found (tried {', '.join(candidates)}): the Lambda runtime is {name}; install it "
        f"(e.g. `pyenv install {version[0]}.{version[1]}`) and retry"
    )


def ensure_ministack_venv(venv: Path = MINISTACK_VENV, requirements: Path = MINISTACK_REQUIREMENTS) -> Path:
    """Create and fill ``.venv-ministack`` when it is missing or older than its requirements; return its python."""
    python = venv / "bin" / "python"
    stamp = venv / _STAMP
    if stamp.exists() and stamp.stat().st_mtime >= requirements.stat().st_mtime and python.exists():
        return python
    if not python.exists():
        print(f"==> creating {venv} on {find_python()} (the interpreter ministack runs the Lambda functions on)")
        subprocess.run([find_python(), "-m", "venv", str(venv)], check=True)
    # Keep the virtualenv out of git and ruff, as python3.13's venv does by itself.
    (venv / ".gitignore").write_text("*\n")
    print(f"==> installing {requirements.name} into {venv}")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.touch()
    return python
