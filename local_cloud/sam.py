"""``sam build`` and ``sam deploy`` of the real template onto the emulator (never anywhere else)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path

from local_cloud.environment import find_python
from local_cloud.layout import REPO_ROOT
from local_cloud.loopback import require_loopback_url
from local_cloud.services import FAKE_CREDENTIALS, REGION
from sam_app.template import TemplateModel

SAM = REPO_ROOT / ".venv-sam" / "bin" / "sam"
LOCAL_SAMCONFIG = Path(__file__).resolve().parent / "samconfig-local.toml"
CONFIG_ENV = "local"
LAMBDA_PYTHON = "python3.12"
# Build output and cache: kept between runs (like `make build`'s .aws-sam), removed by `make clean`.
BUILD_ROOT = REPO_ROOT / ".aws-sam" / "local-cloud"


class SamError(RuntimeError):
    """``sam build`` or ``sam deploy`` failed; carries the command's output."""


def lambda_python_dir() -> str:
    """The directory of a real python3.12 binary for ``sam build`` (SAM rejects the pyenv shim)."""
    probe = "import os, sys; print(os.path.dirname(os.path.realpath(sys.executable)))"
    directory = subprocess.run([find_python(), "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    if not (Path(directory) / LAMBDA_PYTHON).exists():
        raise SamError(f"{directory} has no {LAMBDA_PYTHON} binary: `sam build` looks for that name on PATH")
    return directory


def samconfig_path() -> Path:
    """``samconfig.toml`` once it has a ``local`` environment, else ``local_cloud/samconfig-local.toml``."""
    project_config = REPO_ROOT / "samconfig.toml"
    if project_config.exists() and CONFIG_ENV in tomllib.loads(project_config.read_text()):
        return project_config
    return LOCAL_SAMCONFIG


def samconfig_deploy_parameters() -> dict:
    """The ``local`` environment's deploy parameters."""
    config = tomllib.loads(samconfig_path().read_text())
    return dict(config.get(CONFIG_ENV, {}).get("deploy", {}).get("parameters", {}))


def parameter_overrides(template: Path, wanted: Mapping[str, str]) -> list[str]:
    """``Key=Value`` overrides: the samconfig ``local`` ones, then ``wanted``; only parameters the template declares.

    The template changes while it is being written, so an override for a parameter it does not (yet) declare is
    dropped instead of failing the deploy.
    """
    merged: dict[str, str] = {}
    for item in shlex.split(samconfig_deploy_parameters().get("parameter_overrides", "")):
        key, _, value = item.partition("=")
        merged[key] = value
    merged.update(wanted)
    declared = TemplateModel.read(template).parameter_names
    return [f"{key}={value}" for key, value in merged.items() if key in declared]


def _run(argv: list[str], env: Mapping[str, str], what: str) -> str:
    proc = subprocess.run(argv, env=dict(env), cwd=REPO_ROOT, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SamError(f"{what} failed (exit {proc.returncode}):\n{output[-6000:]}")
    return output


def _sam_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(FAKE_CREDENTIALS)
    env.update({"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "SAM_CLI_TELEMETRY": "0"})
    # No profile, config file or credentials file of the user: nothing there can redirect or authenticate a call.
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    env.update(extra or {})
    return env


def build(template: Path) -> Path:
    """``sam build`` the template with python3.12 on PATH; return the built template's path."""
    if not SAM.exists():
        raise SamError(f"{SAM} not found: run `make sam-venv`")
    build_dir = BUILD_ROOT / "build"
    env = _sam_environment({"PATH": f"{lambda_python_dir()}{os.pathsep}{os.environ.get('PATH', '')}"})
    argv = [
        str(SAM),
        "build",
        "--template-file",
        str(template),
        "--build-dir",
        str(build_dir),
        "--cache-dir",
        str(BUILD_ROOT / "cache"),
        "--config-file",
        str(samconfig_path()),
        "--config-env",
        CONFIG_ENV,
    ]
    _run(argv, env, "sam build")
    return build_dir / "template.yaml"


def deploy(
    built_template: Path, source_template: Path, stack_name: str, endpoint_url: str, overrides: Mapping[str, str]
) -> str:
    """``sam deploy`` the built template to the emulator at ``endpoint_url``; refuses any non-loopback endpoint.

    Every ``AWS_ENDPOINT_URL*`` variable of the caller is dropped and ``AWS_ENDPOINT_URL`` is set to the emulator,
    so no service can be routed to real AWS.
    """
    require_loopback_url(endpoint_url, "AWS_ENDPOINT_URL")
    if not SAM.exists():
        raise SamError(f"{SAM} not found: run `make sam-venv`")
    env = _sam_environment({"AWS_ENDPOINT_URL": endpoint_url})
    require_loopback_url(env.get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL")
    argv = [
        str(SAM),
        "deploy",
        "--template-file",
        str(built_template),
        "--stack-name",
        stack_name,
        "--config-file",
        str(samconfig_path()),
        "--config-env",
        CONFIG_ENV,
        "--region",
        REGION,
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
        "--no-progressbar",
    ]
    params = parameter_overrides(source_template, overrides)
    if params:
        argv += ["--parameter-overrides", *params]
    return _run(argv, env, "sam deploy")


def remove_build_output() -> None:
    """Delete the build output and cache (what `make clean` does for .aws-sam)."""
    shutil.rmtree(BUILD_ROOT, ignore_errors=True)
