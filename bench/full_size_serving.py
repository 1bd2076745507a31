"""Serving at full size: GetRecommendations latency of Personalize Local in-process and over HTTP, 1 and 8 clients,
with the pipeline's genre filter, and after live PutEvents.

Two processes, so the clients' Python does not share a GIL with the server's:

* the **server child** (``python -m bench.full_size_serving``) runs Personalize Local in-process with S3 from moto,
  uploads the prepared interactions.csv and items.csv, and deploys a user-personalization campaign through plain
  boto3 (``testing/personalize_setup.deploy_small_recommender``: schemas, dataset group, imports, filter,
  event tracker, solution, version, campaign). By default the solution version serves the model the ``train`` step
  saved (its training job copies that model instead of training the same data a second time); with
  ``train_in_server`` the server trains it itself. It then measures the in-process call
  (``backend.serving.get_recommendations``, no HTTP) on request, and serves HTTP until told to stop.
* the **parent** sends the HTTP requests with boto3 (1 client, then 8 threads with a client each), 10,000 PutEvents
  (10 events per call, 8 threads), and measures again for the users who just sent events.

The server runs BLAS single-threaded (``personalize_local.server.SERVING_BLAS_THREADS``); to show what that limit
buys, the in-process and the 8-client measurements are repeated in the same run with BLAS at one thread per core
(the process default, as served before the limit) and compared as ratios.

Commands go to the child as JSON lines on stdin; answers come back as ``REPLY <json>`` lines on stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import load_average, proc_status_mb  # noqa: E402
from bench.serving import FILTER_VALUES, GENRE_FILTER  # noqa: E402
from personalize_local.server import SERVING_BLAS_THREADS  # noqa: E402

REPLY = "REPLY "
RECIPE = "aws-user-personalization"
EVENTS_PER_CALL = 10  # PutEvents' maximum
CLIENTS = 8
TARGET_P50_IN_PROCESS_MS = 1.0  # the serving targets (docs/benchmarks.md), re-checked at full size
TARGET_P99_HTTP_MS = 10.0
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def percentiles_ms(samples: list[float]) -> dict[str, float]:
    """p50 / p99 / mean (ms) of samples in seconds, and their count."""
    arr = np.asarray(samples) * 1000
    return {
        "p50": float(np.percentile(arr, 50)),
        "p99": float(np.percentile(arr, 99)),
        "mean": float(arr.mean()),
        "n": len(samples),
    }


# ---------------------------------------------------------------------------------------------------- server child
def _reply(payload: dict[str, Any]) -> None:
    print(REPLY + json.dumps(payload, default=float), flush=True)


def _install_pretrained(backend: Any, models: Path) -> None:
    """The backend's solution-version job copies the model the train step saved (same recipe, same data)."""

    def job(version: Any) -> None:
        target = backend.lifecycle.files.model_dir(version.internal["modelId"])
        shutil.copytree(models / version.internal["recipe"], target, dirs_exist_ok=True)

    backend.lifecycle.create_jobs["solution-version"] = job


def _in_process(backend: Any, campaign: str, filter_arn: str, users: list[str]) -> dict[str, Any]:
    """GetRecommendations called on the backend directly, without and with the genre filter."""
    plain, filtered = [], []
    for user in users:
        t0 = time.perf_counter()
        backend.serving.get_recommendations(campaign_arn=campaign, user_id=user, num_results=25)
        t1 = time.perf_counter()
        backend.serving.get_recommendations(
            campaign_arn=campaign, user_id=user, num_results=25, filter_arn=filter_arn, filter_values=FILTER_VALUES
        )
        filtered.append(time.perf_counter() - t1)
        plain.append(t1 - t0)
    return {"plain": percentiles_ms(plain), "filtered": percentiles_ms(filtered)}


def _job_seconds(doc: dict[str, Any]) -> float:
    return doc["lastUpdatedDateTime"].timestamp() - doc["creationDateTime"].timestamp()


def deploy(interactions: str, items: str, with_synopsis: bool) -> dict[str, Any]:
    """The pipeline's resources through plain boto3, with the pipeline's own schemas; seconds per long step.

    (``testing/personalize_setup.deploy_small_recommender`` infers schemas by reading the whole objects into
    memory, which at 1.9 GB would distort the server's memory figures; this chain uses the schemas of
    ``anime_recommender.prepare_data.schemas`` instead, as the pipeline does.)
    """
    import boto3

    from anime_recommender.prepare_data.schemas import interactions_schema, items_schema
    from testing.personalize_setup import ROLE_ARN, wait_active

    pz = boto3.client("personalize")
    group = pz.create_dataset_group(name="fullsize")["datasetGroupArn"]
    schemas = {
        "Interactions": pz.create_schema(name="fullsize-interactions", schema=json.dumps(interactions_schema())),
        "Items": pz.create_schema(name="fullsize-items", schema=json.dumps(items_schema(with_synopsis))),
    }
    wait_active(lambda: pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
    datasets = {
        kind: pz.create_dataset(
            name=f"fullsize-{kind.lower()}", schemaArn=schema["schemaArn"], datasetGroupArn=group, datasetType=kind
        )["datasetArn"]
        for kind, schema in schemas.items()
    }
    tracker = pz.create_event_tracker(name="fullsize-tracker", datasetGroupArn=group)
    filter_arn = pz.create_filter(name="fullsize-genre", datasetGroupArn=group, filterExpression=GENRE_FILTER)[
        "filterArn"
    ]
    jobs = {}
    for kind, location in (("Interactions", interactions), ("Items", items)):
        wait_active(lambda arn=datasets[kind]: pz.describe_dataset(datasetArn=arn)["dataset"], datasets[kind])
        jobs[kind] = pz.create_dataset_import_job(
            jobName=f"fullsize-{kind.lower()}",
            datasetArn=datasets[kind],
            dataSource={"dataLocation": location},
            roleArn=ROLE_ARN,
        )["datasetImportJobArn"]
    imported = {
        kind: wait_active(
            lambda arn=arn: pz.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"], arn, 7200
        )
        for kind, arn in jobs.items()
    }
    solution = pz.create_solution(
        name="fullsize-up", datasetGroupArn=group, recipeArn=f"arn:aws:personalize:::recipe/{RECIPE}",
        performAutoTraining=False,
    )["solutionArn"]  # fmt: skip
    wait_active(lambda: pz.describe_solution(solutionArn=solution)["solution"], solution)
    version = pz.create_solution_version(solutionArn=solution, trainingMode="FULL")["solutionVersionArn"]
    trained = wait_active(
        lambda: pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"], version, 7200
    )
    campaign = pz.create_campaign(name="fullsize-up", solutionVersionArn=version, minProvisionedTPS=1)["campaignArn"]
    deployed = wait_active(lambda: pz.describe_campaign(campaignArn=campaign)["campaign"], campaign, 600)
    wait_active(lambda: pz.describe_filter(filterArn=filter_arn)["filter"], filter_arn)
    wait_active(
        lambda: pz.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"], "tracker"
    )
    return {
        "campaign": campaign,
        "filter": filter_arn,
        "tracking_id": tracker["trackingId"],
        "import_seconds": _job_seconds(imported["Interactions"]),
        "items_import_seconds": _job_seconds(imported["Items"]),
        "solution_version_seconds": _job_seconds(trained),
        "campaign_seconds": _job_seconds(deployed),
    }


def server_child(prepared: Path, models: Path, train_in_server: bool) -> None:
    """Deploy, then answer commands on stdin until ``stop``."""
    import boto3
    from moto import mock_aws
    from threadpoolctl import threadpool_limits

    from personalize_local import local_personalize

    os.environ.update(FAKE_CREDENTIALS)  # moto and the local server only: never a real account
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    with (
        tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp,
        mock_aws(),
        local_personalize(data_dir=Path(tmp) / "personalize") as pl,
    ):
        if not train_in_server:
            _install_pretrained(pl.backend, models)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="bench")
        started = time.perf_counter()
        s3.upload_file(str(prepared / "interactions.csv"), "bench", "prepared/interactions.csv")
        s3.upload_file(str(prepared / "items.csv"), "bench", "prepared/items.csv")
        upload_seconds = time.perf_counter() - started
        with_synopsis = "SYNOPSIS" in (prepared / "items.csv").open().readline()
        started = time.perf_counter()
        deployed = deploy("s3://bench/prepared/interactions.csv", "s3://bench/prepared/items.csv", with_synopsis)
        campaign, filter_arn = deployed["campaign"], deployed["filter"]
        _reply(
            {
                **deployed,
                "endpoint": pl.endpoint_url,
                "upload_seconds": upload_seconds,
                "deploy_seconds": time.perf_counter() - started,
                "trained_in_server": train_in_server,
                "rss_after_deploy_mb": proc_status_mb("VmRSS"),
            }
        )
        for line in sys.stdin:
            command = json.loads(line)
            if command["cmd"] == "stop":
                break
            if command["cmd"] == "first":
                started = time.perf_counter()
                pl.backend.serving.get_recommendations(campaign_arn=campaign, user_id=command["user"], num_results=25)
                _reply({"first_request_seconds": time.perf_counter() - started, "rss_mb": proc_status_mb("VmRSS")})
            elif command["cmd"] == "blas":  # process-wide, between measurements only (never per request)
                threadpool_limits(limits=command["threads"], user_api="blas")
                _reply({"blas_threads": command["threads"]})
            elif command["cmd"] == "inprocess":
                result = _in_process(pl.backend, campaign, filter_arn, command["users"])
                _reply({**result, "rss_mb": proc_status_mb("VmRSS"), "peak_rss_mb": proc_status_mb("VmHWM")})
    _reply({"stopped": True, "peak_rss_mb": proc_status_mb("VmHWM")})


# ---------------------------------------------------------------------------------------------------- parent
class ServerChild:
    """The server child process and its command channel."""

    def __init__(self, prepared: Path, models: Path, train_in_server: bool) -> None:
        command = [sys.executable, "-m", "bench.full_size_serving", str(prepared), str(models)]
        if train_in_server:
            command.append("--train-in-server")
        self.stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True
        )

    def read(self) -> dict[str, Any]:
        """The next REPLY line (other output is skipped); raises with the child's stderr if it died."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(REPLY):
                return json.loads(line[len(REPLY) :])
        self.stderr.seek(0)
        tail = "\n".join(self.stderr.read().strip().splitlines()[-30:])
        raise RuntimeError(f"the serving child exited ({self.proc.wait()}):\n{tail}")

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send a command, return its reply."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def stop(self) -> dict[str, Any]:
        """Stop the child; its final reply plus the peak RSS the kernel recorded for it."""
        reply = self.ask({"cmd": "stop"})
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.stderr.close()
        return {**reply, "child_peak_rss_mb": usage.ru_maxrss / 1024}


def _clients(endpoint: str, n: int) -> list[Any]:
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=2)
    session = boto3.session.Session()
    return [
        session.client("personalize-runtime", endpoint_url=endpoint, config=config),
        *[boto3.session.Session().client("personalize-runtime", endpoint_url=endpoint, config=config)
          for _ in range(n - 1)],
    ]  # fmt: skip


def over_http(endpoint: str, campaign: str, filter_arn: str | None, users: list[str], clients: int) -> dict[str, Any]:
    """GetRecommendations latency over HTTP with ``clients`` concurrent boto3 clients; throughput too."""
    runtime = _clients(endpoint, clients)
    kwargs = {"filterArn": filter_arn, "filterValues": FILTER_VALUES} if filter_arn else {}
    for client in runtime:  # connect and warm each client once
        client.get_recommendations(campaignArn=campaign, userId=users[0], numResults=25, **kwargs)
    chunks = [users[i::clients] for i in range(clients)]
    samples: list[list[float]] = [[] for _ in range(clients)]

    def work(index: int) -> None:
        for user in chunks[index]:
            t0 = time.perf_counter()
            runtime[index].get_recommendations(campaignArn=campaign, userId=user, numResults=25, **kwargs)
            samples[index].append(time.perf_counter() - t0)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))
    seconds = time.perf_counter() - started
    return {**percentiles_ms([s for chunk in samples for s in chunk]), "requests_per_s": len(users) / seconds}


def put_events(endpoint: str, tracking_id: str, users: list[str], items: list[str], events: int) -> dict[str, Any]:
    """``events`` live events (10 per PutEvents call) for ``users``, sent by 8 threads; latency and events/s."""
    import boto3
    from botocore.config import Config

    calls = max(1, events // EVENTS_PER_CALL)
    rng = np.random.default_rng(7)
    picks = rng.choice(len(items), size=(calls, EVENTS_PER_CALL))
    start = int(time.time())
    lock, samples = threading.Lock(), []
    local = threading.local()

    def send(call: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = boto3.session.Session().client(
                "personalize-events", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1})
            )
        user = users[call % len(users)]
        event_list = [
            {"eventType": "RATING", "itemId": items[p], "eventValue": 9.0, "sentAt": start + call * 10 + k}
            for k, p in enumerate(picks[call])
        ]
        t0 = time.perf_counter()
        client.put_events(trackingId=tracking_id, userId=user, sessionId=f"s-{user}", eventList=event_list)
        with lock:
            samples.append(time.perf_counter() - t0)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, range(calls)))
    seconds = time.perf_counter() - started
    return {
        **percentiles_ms(samples),
        "events": calls * EVENTS_PER_CALL,
        "events_per_s": calls * EVENTS_PER_CALL / seconds,
    }


def sample_users(prepared: Path, n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` users with ratings (seeded draw with repeats) and every item id, from the cached Parquet."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    users = pc.unique(pq.read_table(prepared / "interactions.parquet", columns=["USER_ID"]).column(0)).to_pylist()
    items = pc.unique(pq.read_table(prepared / "interactions.parquet", columns=["ITEM_ID"]).column(0)).to_pylist()
    rng = np.random.default_rng(seed)
    return [users[i] for i in rng.integers(0, len(users), n)], items


def run_serving(prepared: Path, models: Path, requests: int, events: int, train_in_server: bool) -> dict[str, Any]:
    """The whole serving measurement (see the module doc)."""
    os.environ.update(FAKE_CREDENTIALS)  # the clients talk to the local server only: never a real account
    users, items = sample_users(prepared, requests)
    live_users = [f"live-{n}" for n in range(max(1, events // EVENTS_PER_CALL // 4))] + users[: requests // 2]
    child = ServerChild(prepared, models, train_in_server)
    try:
        out: dict[str, Any] = {"deploy": child.read(), "requests": requests}
        endpoint, campaign, filter_arn = out["deploy"]["endpoint"], out["deploy"]["campaign"], out["deploy"]["filter"]
        out["first_request"] = child.ask({"cmd": "first", "user": users[0]})
        out["in_process"] = child.ask({"cmd": "inprocess", "users": users})
        out["http_1"] = over_http(endpoint, campaign, None, users, 1)
        out["http_1_filter"] = over_http(endpoint, campaign, filter_arn, users, 1)
        out["http_8"] = over_http(endpoint, campaign, None, users, CLIENTS)
        out["http_8_filter"] = over_http(endpoint, campaign, filter_arn, users, CLIENTS)
        out["blas_default_threads"] = child.ask({"cmd": "blas", "threads": os.cpu_count() or 1})["blas_threads"]
        out["in_process_blas_default"] = child.ask({"cmd": "inprocess", "users": users})
        out["http_8_blas_default"] = over_http(endpoint, campaign, None, users, CLIENTS)
        child.ask({"cmd": "blas", "threads": SERVING_BLAS_THREADS})
        out["put_events"] = put_events(endpoint, out["deploy"]["tracking_id"], live_users, items, events)
        after = [live_users[i % len(live_users)] for i in range(requests)]
        out["after_events_in_process"] = child.ask({"cmd": "inprocess", "users": after})
        out["after_events_http_1"] = over_http(endpoint, campaign, None, after, 1)
        out["after_events_http_1_filter"] = over_http(endpoint, campaign, filter_arn, after, 1)
        out["load_average_during"] = round(load_average(), 1)
    finally:
        out_stop = child.stop() if child.proc.poll() is None else {}
    out["server"] = out_stop
    return out


def _mb(value: float) -> str:
    return f"{value / 1024:.1f} GB" if value >= 1024 else f"{value:.0f} MB"


def _row(label: str, stats: dict[str, Any], extra: str = "") -> str:
    return f"| {label} | {stats['p50']:.2f} | {stats['p99']:.2f} | {stats['n']:,} | {extra} |"


def report_serving(result: dict[str, Any]) -> tuple[list[str], list[tuple[str, bool]]]:
    """Serving table and target checks (targets: p50 in-process <= 1 ms, p99 over HTTP <= 10 ms)."""
    d = result["deploy"]
    server = result.get("server", {})
    trained = "trained by the server" if d["trained_in_server"] else "model of the train step, copied in"
    lines = [
        "## Serving (user-personalization campaign, 25 results)",
        "",
        f"Deploy through boto3 with the pipeline's schemas: upload to moto S3 {d['upload_seconds']:.0f} s; import "
        f"jobs: interactions {d['import_seconds']:.1f} s, items {d['items_import_seconds']:.1f} s; solution version "
        f"{d['solution_version_seconds']:.1f} s ({trained}); campaign {d['campaign_seconds']:.1f} s; first request "
        f"(builds the history index) {result['first_request']['first_request_seconds']:.1f} s. Server RSS after "
        f"deploy {_mb(d['rss_after_deploy_mb'])}, while serving {_mb(result['first_request']['rss_mb'])}, peak "
        f"{_mb(server.get('child_peak_rss_mb', 0))} (one process with moto's S3 and the import).",
        "",
        "| GetRecommendations | p50 ms | p99 ms | requests | throughput |",
        "|---|---|---|---|---|",
        _row("in-process (backend call)", result["in_process"]["plain"]),
        _row("in-process, genre filter", result["in_process"]["filtered"]),
    ]
    for key, label in (
        ("http_1", "HTTP, 1 client"),
        ("http_1_filter", "HTTP, 1 client, genre filter"),
        ("http_8", f"HTTP, {CLIENTS} concurrent clients"),
        ("http_8_filter", f"HTTP, {CLIENTS} concurrent clients, genre filter"),
    ):
        lines.append(_row(label, result[key], f"{result[key]['requests_per_s']:.0f} req/s"))
    blas = result.get("blas_default_threads")
    if blas:
        lines += [
            _row(f"in-process, BLAS at {blas} threads (no serving limit)", result["in_process_blas_default"]["plain"]),
            _row(
                f"HTTP, {CLIENTS} concurrent clients, BLAS at {blas} threads (no serving limit)",
                result["http_8_blas_default"],
                f"{result['http_8_blas_default']['requests_per_s']:.0f} req/s",
            ),
        ]
    pe = result["put_events"]
    lines += [
        _row(
            f"PutEvents ({EVENTS_PER_CALL} events per call, {CLIENTS} clients)",
            pe,
            f"{pe['events_per_s']:,.0f} events/s",
        ),
        _row(f"in-process, after {pe['events']:,} live events", result["after_events_in_process"]["plain"]),
        _row("in-process, genre filter, after events", result["after_events_in_process"]["filtered"]),
        _row("HTTP, 1 client, after events", result["after_events_http_1"], ""),
        _row("HTTP, 1 client, genre filter, after events", result["after_events_http_1_filter"], ""),
        "",
        f"load average during serving {result.get('load_average_during')}",
        "",
        f"Throughput of {CLIENTS} concurrent clients / 1 client: "
        f"{result['http_8']['requests_per_s'] / result['http_1']['requests_per_s']:.2f}x (target >= 1).",
    ]
    if blas:
        lines.append(
            f"BLAS at {SERVING_BLAS_THREADS} thread vs {blas} (same run): in-process p50 "
            f"{result['in_process']['plain']['p50'] / result['in_process_blas_default']['plain']['p50']:.2f}x "
            f"(one request alone), {CLIENTS}-client throughput "
            f"{result['http_8']['requests_per_s'] / result['http_8_blas_default']['requests_per_s']:.2f}x."
        )
    lines.append("")
    p50 = result["in_process"]["plain"]["p50"]
    p99 = max(result[k]["p99"] for k in ("http_1", "http_1_filter"))
    checks = [
        (f"in-process p50 {p50:.2f} ms (target <= {TARGET_P50_IN_PROCESS_MS:g} ms)", p50 <= TARGET_P50_IN_PROCESS_MS),
        (f"HTTP p99, 1 client {p99:.2f} ms (target <= {TARGET_P99_HTTP_MS:g} ms)", p99 <= TARGET_P99_HTTP_MS),
    ]
    return lines, checks


if __name__ == "__main__":
    server_child(Path(sys.argv[1]), Path(sys.argv[2]), "--train-in-server" in sys.argv[3:])
