"""``python -m local_cloud up|down|status|env|test``: the whole stack on this machine, then all of it taken down."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from local_cloud import sam
from local_cloud.environment import ensure_ministack_venv
from local_cloud.http_routes import add_missing_routes
from local_cloud.layout import REPO_ROOT, Layout
from local_cloud.processes import read_pid, stop_group
from local_cloud.services import REGION, start_ministack, start_personalize_local
from local_cloud.sockets import listening_addresses, non_loopback
from local_cloud.stack import http_api_urls, local_outputs, stack_outputs
from local_cloud.state import TierState
from sam_app.template import TemplateModel

PROCESS_NAMES = ("personalize-local", "ministack")
ENDPOINT_PARAMETER = "PersonalizeEndpointUrl"
DEFAULT_STACK = "anime-recs-local"


def up(template: Path, stack_name: str, with_personalize: bool = True) -> TierState:
    """Start ministack (+ Personalize Local), ``sam build`` and ``sam deploy`` the template; record the state."""
    layout = Layout.default()
    if layout.state_file.exists():
        raise RuntimeError(f"{layout.state_file} exists: the local cloud is already up (run `make local-cloud-down`)")
    ensure_ministack_venv()
    if with_personalize and ENDPOINT_PARAMETER not in TemplateModel.read(template).parameter_names:
        print(
            f"local-cloud: WARNING {template.name} declares no {ENDPOINT_PARAMETER} parameter, so the deployed "
            "functions get no AWS_ENDPOINT_URL_PERSONALIZE* variables and their Personalize calls go to the "
            "emulator, which has no Personalize (400). See docs/local-cloud.md.",
            file=sys.stderr,
        )
    layout.create()
    state = TierState(stack_name=stack_name, region=REGION)
    try:
        started = time.monotonic()
        ministack = start_ministack(layout)
        state.ministack_url, state.ministack_pid = ministack.url, ministack.pid
        state.save(layout)
        if with_personalize:
            personalize = start_personalize_local(layout, s3_endpoint=ministack.url)
            state.personalize_url, state.personalize_pid = personalize.url, personalize.pid
        state.timings["start_servers_s"] = round(time.monotonic() - started, 1)
        state.save(layout)
        require_loopback_listeners(state)

        started = time.monotonic()
        built = sam.build(template)
        state.timings["sam_build_s"] = round(time.monotonic() - started, 1)

        started = time.monotonic()
        overrides = {ENDPOINT_PARAMETER: state.personalize_url} if state.personalize_url else {}
        sam.deploy(built, template, stack_name, ministack.url, overrides)
        state.timings["sam_deploy_s"] = round(time.monotonic() - started, 1)

        state.routes_added = add_missing_routes(ministack.url, stack_name, template)
        state.outputs = stack_outputs(ministack.url, stack_name)
        state.http_apis = http_api_urls(ministack.url, stack_name)
    finally:
        state.save(layout)
    return state


def require_loopback_listeners(state: TierState) -> None:
    """Fail if any process of the tier listens on anything but the loopback interface."""
    for name, pid in (("ministack", state.ministack_pid), ("Personalize Local", state.personalize_pid)):
        exposed = non_loopback(listening_addresses(pid)) if pid else set()
        if exposed:
            raise RuntimeError(f"{name} listens beyond loopback on {sorted(exposed)}: refusing to continue")


def down() -> list[str]:
    """Stop every process of the tier (as process groups) and delete ``.local-cloud/``; return what was stopped."""
    layout = Layout.default()
    stopped = []
    for name in PROCESS_NAMES:
        pid = read_pid(layout, name)
        started = time.monotonic()
        if pid and stop_group(pid):
            stopped.append(f"{name} (pid {pid}, {time.monotonic() - started:.1f}s)")
    if layout.root.exists():
        started = time.monotonic()
        shutil.rmtree(layout.root, ignore_errors=True)
        stopped.append(f"removed {layout.root.name}/ ({time.monotonic() - started:.1f}s)")
    return stopped


def describe(state: TierState) -> str:
    """How to reach everything, for a human."""
    lines = [
        "Local cloud is up (everything on 127.0.0.1):",
        f"  AWS emulator (ministack): {state.ministack_url}   pid {state.ministack_pid}",
    ]
    if state.personalize_url:
        lines.append(f"  Personalize Local:        {state.personalize_url}   pid {state.personalize_pid}")
    lines.append(f"  Stack {state.stack_name!r} outputs (links as they work locally):")
    outputs = local_outputs(state.outputs, state.http_apis)
    lines += [f"    {key}: {value}" for key, value in sorted(outputs.items())] or ["    (none)"]
    if state.routes_added:
        lines.append("  HTTP routes added for the emulator (it ignores SAM's OpenAPI body):")
        lines += [f"    {route}" for route in state.routes_added]
    for logical_id, url in sorted(state.http_apis.items()):
        lines.append(f"  HTTP API {logical_id}: {url}/<path>   e.g. curl {url}/users/1/recommendations")
    lines += [
        "  Timings: " + ", ".join(f"{k}={v}" for k, v in state.timings.items()),
        "Use it from a shell (boto3 and the AWS CLI honour these variables):",
        f'  eval "$({sys.executable} -m local_cloud env)"',
        "  then upload a drop (anime.csv last), e.g. your Kaggle files or a generated sample:",
        "  .venv/bin/python -m kaggle_drop --bucket <DataBucketName> --from <dir> --allow-small",
        "Executions (no AWS console here): make console",
        "Stop it: make local-cloud-down",
    ]
    return "\n".join(lines)


def environment_exports(state: TierState) -> str:
    """Shell ``export`` lines that point boto3 / the AWS CLI at the emulator and Personalize Local."""
    lines = [
        f"export AWS_ENDPOINT_URL={state.ministack_url}",
        "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_SESSION_TOKEN=test",
        f"export AWS_DEFAULT_REGION={state.region} AWS_REGION={state.region}",
    ]
    if state.personalize_url:
        for service in ("PERSONALIZE", "PERSONALIZE_RUNTIME", "PERSONALIZE_EVENTS"):
            lines.append(f"export AWS_ENDPOINT_URL_{service}={state.personalize_url}")
    return "\n".join(lines)


def run_deployed_tests(template: Path, stack_name: str, pytest_args: Sequence[str]) -> int:
    """Bring the tier up, run ``tests/deployed`` against it, always take it down; print the timings."""
    started = time.monotonic()
    tests_s = 0.0
    try:
        state = up(template, stack_name)
        print(describe(state), flush=True)
        test_started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/deployed", "-n", "0", "-p", "no:cacheprovider", *pytest_args],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        tests_s = round(time.monotonic() - test_started, 1)
        if result.returncode != 0:
            print(diagnostics(Layout.default()), file=sys.stderr)
        return result.returncode
    except Exception as exc:
        print(f"local-cloud: {exc}", file=sys.stderr)
        return 1
    finally:
        down_started = time.monotonic()
        stopped = down()
        print(
            f"local-cloud: stopped {', '.join(stopped) or 'nothing'}; tests {tests_s}s, "
            f"down {round(time.monotonic() - down_started, 1)}s, whole tier {round(time.monotonic() - started, 1)}s"
        )


def diagnostics(layout: Layout, lines: int = 60) -> str:
    """Error lines of the servers' logs (printed when the deployed tests fail, before ``down`` deletes them)."""
    markers = ("ERROR", "Traceback", "Error", "timed out", "Task timed out", "FAILED")
    parts = []
    for name in PROCESS_NAMES:
        path = layout.logs / f"{name}.log"
        if path.exists():
            hits = [line for line in path.read_text(errors="replace").splitlines() if any(m in line for m in markers)]
            parts.append(f"--- {path.name}: last error lines ---\n" + "\n".join(hits[-lines:]))
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m local_cloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("up", "start ministack + Personalize Local, sam build, sam deploy"),
        ("test", "up, pytest tests/deployed, down (always)"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--template", type=Path, default=REPO_ROOT / "template.yaml")
        cmd.add_argument("--stack-name", default=DEFAULT_STACK)
    sub.choices["up"].add_argument(
        "--without-personalize-local", action="store_true", help="do not start Personalize Local (debugging)"
    )
    sub.choices["test"].add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    sub.add_parser("down", help="stop everything and delete .local-cloud/")
    sub.add_parser("status", help="print how to reach the running tier")
    sub.add_parser("env", help="print export lines for a shell")
    args = parser.parse_args(argv)

    if args.command == "up":
        try:
            state = up(args.template.resolve(), args.stack_name, with_personalize=not args.without_personalize_local)
        except Exception as exc:  # the message is the product here: say what failed, leave cleanup to `down`
            print(f"local-cloud: {exc}\nRun `make local-cloud-down` to stop what was started.", file=sys.stderr)
            return 1
        print(describe(state))
        return 0
    if args.command == "test":
        return run_deployed_tests(args.template.resolve(), args.stack_name, args.pytest_args)
    if args.command == "down":
        stopped = down()
        print("local-cloud: stopped " + (", ".join(stopped) if stopped else "nothing (was not running)"))
        return 0
    state = TierState.load(Layout.default())
    print(describe(state) if args.command == "status" else environment_exports(state))
    return 0
