"""The standalone server as a new user meets it: the banner, the embedded S3, the data-directory lock, options from
flags or variables, the look-inside CLI and the container image's entry point."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from personalize_local import local_personalize
from personalize_local.__main__ import build_parser, main
from personalize_local.cli.options import OPTION_VARIABLES
from personalize_local.cli.serve import READY_LINE
from personalize_local.datadir_lock import LOCK_NAME, DataDirInUse
from personalize_local.models import BackendConfig
from personalize_local.server import PersonalizeServer
from testing.personalize_setup import wait_active
from tests.support.fake_aws import use_fake_credentials

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def _docker_instruction(name: str) -> list[str]:
    """The JSON (exec) form of a Dockerfile instruction."""
    (line,) = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith(f"{name} ")]
    return json.loads(line.removeprefix(f"{name} "))


def _image_command() -> list[str]:
    """What the container runs, with this interpreter for ``python``."""
    entrypoint, command = _docker_instruction("ENTRYPOINT"), _docker_instruction("CMD")
    assert entrypoint[0] == "python"
    return [sys.executable, *entrypoint[1:], *command]


# ---------------------------------------------------------------------------------------------- the newcomer
NEWCOMER_SCRIPT = textwrap.dedent(
    """
    import json, time
    import boto3

    # 60 users x 20 interactions (Personalize trains on at least 1000 interactions of 25 users)
    rows = ["USER_ID,ITEM_ID,TIMESTAMP"]
    for user in range(60):
        items = ["popular"] * 4 + [f"i{(user * 7 + n * n) % 50}" for n in range(16)]
        rows += [f"u{user},{item},{1700000000 + user * 100 + n}" for n, item in enumerate(items)]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="my-data")
    s3.put_object(Bucket="my-data", Key="interactions.csv", Body="\\n".join(rows).encode())

    personalize = boto3.client("personalize")
    runtime = boto3.client("personalize-runtime")

    def wait(describe, key, arn_name, arn):
        deadline = time.monotonic() + 180
        while True:
            status = describe(**{arn_name: arn})[key]
            if status["status"] == "ACTIVE":
                return
            assert status["status"] != "CREATE FAILED", status.get("failureReason")
            assert time.monotonic() < deadline, f"{arn} still {status['status']}"
            time.sleep(0.05)

    group = personalize.create_dataset_group(name="newcomer")["datasetGroupArn"]
    wait(personalize.describe_dataset_group, "datasetGroup", "datasetGroupArn", group)
    schema = personalize.create_schema(name="newcomer-interactions", schema=json.dumps({
        "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
        "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                   {"name": "TIMESTAMP", "type": "long"}],
        "version": "1.0"}))["schemaArn"]
    dataset = personalize.create_dataset(
        name="newcomer-interactions", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )["datasetArn"]
    wait(personalize.describe_dataset, "dataset", "datasetArn", dataset)
    job = personalize.create_dataset_import_job(
        jobName="first-import", datasetArn=dataset, dataSource={"dataLocation": "s3://my-data/interactions.csv"},
        roleArn="arn:aws:iam::123456789012:role/PersonalizeS3Access",
    )["datasetImportJobArn"]
    wait(personalize.describe_dataset_import_job, "datasetImportJob", "datasetImportJobArn", job)
    solution = personalize.create_solution(
        name="newcomer-popular", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-popularity-count"
    )["solutionArn"]
    wait(personalize.describe_solution, "solution", "solutionArn", solution)
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait(personalize.describe_solution_version, "solutionVersion", "solutionVersionArn", version)
    campaign = personalize.create_campaign(
        name="newcomer-popular", solutionVersionArn=version, minProvisionedTPS=1
    )["campaignArn"]
    wait(personalize.describe_campaign, "campaign", "campaignArn", campaign)
    items = runtime.get_recommendations(campaignArn=campaign, userId="u3", numResults=3)["itemList"]
    print(json.dumps({"group": group, "campaign": campaign, "items": [item["itemId"] for item in items]}))
    """
)


class RunningCli:
    """``python -m personalize_local serve ...`` in a subprocess and the variables its banner exports."""

    def __init__(self, process: subprocess.Popen[str], banner: list[str]) -> None:
        self.process = process
        self.banner = banner
        self.exports = dict(
            match.groups() for line in banner if (match := re.fullmatch(r"export (\w+)=(\S+)", line)) is not None
        )


def _read_banner(process: subprocess.Popen[str], timeout: float = 120.0) -> list[str]:
    """The banner's lines, up to the ready line (fails if the process exits or the timeout passes first)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # a thread: a pipe read blocks, and the banner must arrive within the timeout
        for line in process.stdout:  # type: ignore[union-attr]
            lines.put(line.rstrip("\n"))
        lines.put("")  # end of output: the process exited

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    deadline = time.monotonic() + timeout
    while READY_LINE not in banner:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"no ready line within {timeout} s: {banner}")
        assert line, f"the server exited ({process.wait()}): {banner} {process.stderr.read()}"  # type: ignore[union-attr]
        banner.append(line)
    return banner


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCli]:
    """The image's command, on free ports, with a clean environment (no AWS variables of the test runner)."""
    data_dir = tmp_path_factory.mktemp("cli-state")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PERSONALIZE_"))}
    environment["HOME"] = str(data_dir)  # no ~/.aws of whoever runs the tests
    command = [*_image_command(), "--port", "0", "--s3-port", "0", "--data-dir", str(data_dir / "state")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, cwd=REPO
    )
    try:
        yield RunningCli(process, _read_banner(process))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_banner_says_everything_a_newcomer_needs(cli: RunningCli) -> None:
    names = set(cli.exports)
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"} <= names
    assert {"AWS_ENDPOINT_URL_PERSONALIZE", "AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME"} <= names
    assert any(line.startswith("# State in ") and line.endswith("one server per directory)") for line in cli.banner)
    assert cli.exports["AWS_ENDPOINT_URL_S3"] != cli.exports["AWS_ENDPOINT_URL_PERSONALIZE"]


@pytest.mark.slow  # over 3 s on 2 busy cores
def test_a_newcomer_script_with_only_the_banner_imports_a_csv_and_gets_recommendations(
    cli: RunningCli, tmp_path: Path
) -> None:
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **cli.exports}
    run = subprocess.run(
        [sys.executable, "-c", NEWCOMER_SCRIPT], capture_output=True, text=True, env=environment, timeout=600
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["items"][0] == "popular"  # the most interacted-with item of the uploaded CSV
    assert set(result["items"]) <= {"popular", *(f"i{n}" for n in range(50))}

    # and the look-inside CLI sees what the script made
    endpoint = ["inspect", "--endpoint", cli.exports["AWS_ENDPOINT_URL_PERSONALIZE"]]

    def inspect(*arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "personalize_local", *endpoint, *arguments],
            capture_output=True,
            text=True,
            env=environment,
            cwd=REPO,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = inspect("list", "campaigns")
    assert listed.split("\t")[0] == "newcomer-popular" and result["campaign"] in listed
    recommended = inspect("recommend", result["campaign"], "u3", "--num-results", "3").splitlines()
    assert [line.split("\t")[0] for line in recommended] == result["items"]


def test_inspect_describes_lists_and_resets_a_dataset_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fake_credentials(monkeypatch)
    with local_personalize(tmp_path, step_delay=0.0) as pl:
        client = boto3.client("personalize")
        group = client.create_dataset_group(name="look")["datasetGroupArn"]
        wait_active(lambda: client.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
        tracker = client.create_event_tracker(name="look-tracker", datasetGroupArn=group)["eventTrackerArn"]
        wait_active(lambda: client.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"], tracker)
        endpoint = ["inspect", "--endpoint", pl.endpoint_url]
        assert main([*endpoint, "describe", group]) == 0
        assert json.loads(capsys.readouterr().out)["datasetGroup"]["name"] == "look"
        assert main([*endpoint, "describe", tracker]) == 0
        assert json.loads(capsys.readouterr().out)["eventTracker"]["name"] == "look-tracker"
        assert main([*endpoint, "list", "event-trackers", "--parent", group]) == 0
        assert capsys.readouterr().out.split("\t") == ["look-tracker", "ACTIVE", f"{tracker}\n"]
        assert main([*endpoint, "reset", group, "--timeout", "60"]) == 0
        assert capsys.readouterr().out == f"deleted {tracker}\ndeleted {group}\n"
        assert main([*endpoint, "describe", group]) == 1
        assert "ResourceNotFoundException" in capsys.readouterr().err


def test_a_second_server_on_the_same_data_dir_refuses(tmp_path: Path) -> None:
    first = PersonalizeServer(BackendConfig(data_dir=tmp_path), blas_threads=None)
    try:
        with pytest.raises(DataDirInUse, match=rf"pid {os.getpid()}.*another --data-dir"):
            PersonalizeServer(BackendConfig(data_dir=tmp_path), blas_threads=None)
    finally:
        first.stop()
    PersonalizeServer(BackendConfig(data_dir=tmp_path), blas_threads=None).stop()  # free again once stopped


def test_the_cli_refuses_a_data_dir_in_use_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = PersonalizeServer(BackendConfig(data_dir=tmp_path), blas_threads=None)
    try:
        assert main(["serve", "--port", "0", "--data-dir", str(tmp_path)]) == 1
    finally:
        holder.stop()
    assert "is in use by another Personalize Local" in capsys.readouterr().err


def test_taken_ports_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    holder = PersonalizeServer(BackendConfig(data_dir=tmp_path / "first"), blas_threads=None)
    try:
        taken = str(holder.port)
        with pytest.raises(SystemExit):  # werkzeug explains a taken port and exits
            main(["serve", "--port", taken, "--data-dir", str(tmp_path / "second")])
        assert f"Port {taken} is in use" in capsys.readouterr().err
        assert main(["serve", "--s3", "--s3-port", taken, "--port", "0", "--data-dir", str(tmp_path / "third")]) == 1
        assert "error: cannot start Personalize Local" in capsys.readouterr().err
    finally:
        holder.stop()
    PersonalizeServer(BackendConfig(data_dir=tmp_path / "second"), blas_threads=None).stop()  # no lock left behind


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK_NAME).write_text(dead.stdout)
    server = PersonalizeServer(BackendConfig(data_dir=tmp_path), blas_threads=None)
    try:
        assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------- configuration
def test_options_come_from_variables_and_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONALIZE_LOCAL_PORT", "4999")
    monkeypatch.setenv("PERSONALIZE_LOCAL_DATA_DIR", "/srv/state")
    monkeypatch.setenv("PERSONALIZE_LOCAL_S3", "true")
    monkeypatch.setenv("PERSONALIZE_LOCAL_S3_ENDPOINT", "http://127.0.0.1:9000")
    monkeypatch.setenv("PERSONALIZE_LOCAL_CLOCK_SPEED", "1")
    args = build_parser().parse_args(["serve"])
    assert (args.port, args.data_dir, args.s3, args.s3_endpoint, args.clock_speed) == (
        4999,
        "/srv/state",
        True,
        "http://127.0.0.1:9000",
        1.0,
    )
    assert build_parser().parse_args(["serve", "--port", "5000"]).port == 5000


def test_a_bad_variable_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PERSONALIZE_LOCAL_PORT", "eighty")
    with pytest.raises(SystemExit):
        build_parser()
    assert "PERSONALIZE_LOCAL_PORT='eighty'" in capsys.readouterr().err


def test_help_names_the_variable_of_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    serve_flags = {"--port", "--data-dir", "--s3", "--s3-port", "--s3-endpoint", "--clock-speed", "--step-delay"}
    assert serve_flags <= set(OPTION_VARIABLES)
    for flag, variable in OPTION_VARIABLES.items():
        if flag != "--endpoint":  # inspect's own option
            assert f"env {variable}" in text, flag


def test_a_clock_speed_that_is_not_positive_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--clock-speed", "0", "--data-dir", str(tmp_path)]) == 2
    assert "positive number" in capsys.readouterr().err


def test_the_container_runs_the_cli_the_tests_run() -> None:
    entrypoint, command = _docker_instruction("ENTRYPOINT"), _docker_instruction("CMD")
    assert entrypoint == ["python", "-m", "personalize_local"]
    args = build_parser().parse_args(command)
    assert args.command == "serve" and args.s3
    assert "PERSONALIZE_LOCAL_BIND_ALL_INTERFACES=1" in DOCKERFILE.read_text()
