"""Benchmark of the live watch-events forwarder: events/s through the Lambda handler itself.

    python -m bench.forward_events           # 40 batches of 500 records per workload and endpoint
    python -m bench.forward_events --quick   # 4 batches (CI size)

The handler runs in-process exactly as Lambda calls it (Kinesis event in, ``batchItemFailures`` out), with SSM
and SQS from moto, against two PutEvents endpoints:

- **instant**: a botocore ``before-send`` hook answers 200 without any I/O, so the number is the handler's own cost
  (parse + validate + group + PutEvents serialisation/signing + settle + metrics). Target: >= 20,000 events/s.
- **personalize-local**: a real Personalize Local server on 127.0.0.1 in its own process (HTTP, stores every
  event in SQLite).

Workloads (500-record batches, the template's BatchSize): ``dense`` 50 users x 10 events (full PutEvents calls),
``mixed`` 150 users with skewed activity, ``sparse`` 500 users x 1 event (one call per event, the worst case).
The baseline, measured in the same run on the same endpoint, is the common public sample: one PutEvents call per
record, no validation, no grouping. Ratios are forwarder / baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BATCH = 500
ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_PERSONALIZE",
    "AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME",
    "AWS_ENDPOINT_URL_PERSONALIZE_EVENTS",
)


def workload(name: str, batches: int, seed: int = 2020) -> list[dict[str, Any]]:
    """Lambda Kinesis events for one workload (deterministic)."""
    from testing.watch_event_batches import kinesis_event

    rng = random.Random(seed)
    events = []
    for batch in range(batches):
        if name == "dense":
            users = [f"d{batch}-{n // 10}" for n in range(BATCH)]
        elif name == "sparse":
            users = [f"s{batch}-{n}" for n in range(BATCH)]
        else:  # mixed: a few very active users, many occasional ones
            users = [f"m{int(rng.paretovariate(1.2)) % 150}" for _ in range(BATCH)]
        payloads = [
            {
                "userId": user,
                "itemId": str(rng.randint(1, 5000)),
                "eventType": rng.choice(["WATCHING", "COMPLETED", "RATING"]),
                "sentAt": 1_767_225_000 + n,
                **({"properties": {"device": "tv"}} if n % 4 == 0 else {}),
            }
            for n, user in enumerate(users)
        ]
        events.append(kinesis_event(payloads, first_sequence=batch * BATCH))
    return events


def naive_forwarder(client: Any, tracking_id: str) -> Callable[[dict[str, Any]], None]:
    """The baseline: one PutEvents call per record (what the popular public sample does)."""
    import base64
    from datetime import UTC, datetime

    def handle(event: dict[str, Any]) -> None:
        for record in event["Records"]:
            body = json.loads(base64.b64decode(record["kinesis"]["data"]))
            item = {"eventType": body["eventType"], "itemId": body["itemId"]}
            item["sentAt"] = datetime.fromtimestamp(body["sentAt"], UTC)
            client.put_events(trackingId=tracking_id, userId=body["userId"], sessionId=body["userId"], eventList=[item])

    return handle


def measure(run: Callable[[dict[str, Any]], Any], events: list[dict[str, Any]]) -> tuple[float, float]:
    """(events per wall-clock second, events per CPU second of this process) over all batches, after one warm-up.

    The CPU rate does not depend on what else runs on the machine; for the instant endpoint it is the handler's
    own cost (with Personalize Local, the client side only: the server is another process).
    """
    run(events[0])
    wall, cpu = time.perf_counter(), time.process_time()
    for event in events:
        run(event)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    count = sum(len(event["Records"]) for event in events)
    return count / wall, count / cpu


def groups_in(event: dict[str, Any]) -> int:
    """Distinct (user, session) groups of a batch: the minimum number of PutEvents calls."""
    import base64

    return len({json.loads(base64.b64decode(record["kinesis"]["data"]))["userId"] for record in event["Records"]})


def bench_endpoint(
    endpoint: str, tracking_id: str, batches: int, concurrency: int, baseline_batches: int
) -> list[dict[str, Any]]:
    """All workloads against one endpoint; returns one result row per workload."""
    import boto3
    from botocore.config import Config

    from sam_app.handlers import LambdaContext, load_function
    from testing.watch_event_batches import PUT_EVENTS_EVENT, aws_response

    def instant(request: Any, **_: Any) -> Any:
        return aws_response(request, 200)

    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # each endpoint has its own tracking id
    sqs = boto3.client("sqs")
    os.environ["DLQ_URL"] = sqs.create_queue(QueueName=f"bench-dlq-{endpoint}-{concurrency}")["QueueUrl"]
    boto3.client("ssm").put_parameter(
        Name=os.environ["TRACKING_ID_PARAMETER"], Value=tracking_id, Type="String", Overwrite=True
    )
    os.environ["PUT_EVENTS_CONCURRENCY"] = str(concurrency)
    app = load_function("forward_events")
    if endpoint == "instant":
        app.forwarder().events_client.meta.events.register(PUT_EVENTS_EVENT, instant)
    context = LambdaContext.for_function("forward-events", memory_mb=512)
    baseline_client = boto3.client("personalize-events", config=Config(retries={"total_max_attempts": 1}))
    if endpoint == "instant":
        baseline_client.meta.events.register(PUT_EVENTS_EVENT, instant)
    naive = naive_forwarder(baseline_client, tracking_id)

    rows = []
    for name in ("dense", "mixed", "sparse"):
        events = workload(name, batches)
        failures: list[int] = []

        def forward(event: dict[str, Any], failures: list[int] = failures) -> None:
            failures.append(len(app.lambda_handler(event, context)["batchItemFailures"]))

        output = io.StringIO()
        with contextlib.redirect_stdout(output):  # EMF metrics and logs are printed; keep the report readable
            rate, cpu_rate = measure(forward, events)
        for line in output.getvalue().splitlines():
            if "records reported for retry" in line:
                print(f"{endpoint} {name}: {line}", file=sys.stderr)
        baseline, baseline_cpu = measure(naive, events[:baseline_batches])
        app.metrics.clear_metrics()
        rows.append(
            {
                "endpoint": endpoint,
                "workload": name,
                "concurrency": concurrency,
                "events_per_s": round(rate),
                "events_per_cpu_s": round(cpu_rate),
                "baseline_events_per_s": round(baseline),
                "baseline_events_per_cpu_s": round(baseline_cpu),
                "ratio": round(rate / baseline, 2),
                "groups_per_batch": round(sum(groups_in(event) for event in events) / len(events)),
                "failed_records": sum(failures),
            }
        )
    return rows


@contextlib.contextmanager
def personalize_local_process(data_dir: str) -> Iterator[str]:
    """Personalize Local in its own process (so its work does not share this process's GIL), on a free port."""
    server = subprocess.Popen(
        [sys.executable, "-m", "personalize_local", "serve", "--port", "0", "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
        if match is None:
            raise RuntimeError("Personalize Local did not print its endpoint")
        for name in ENDPOINT_VARIABLES:
            os.environ[name] = match.group(0)
        yield match.group(0)
    finally:
        for name in ENDPOINT_VARIABLES:
            os.environ.pop(name, None)
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="4 batches per workload instead of 40")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args(argv)
    batches = 4 if args.quick else 40
    baseline_batches = 1 if args.quick else 4

    from anime_recommender.contracts.parameters import ParameterNames

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_METRICS_NAMESPACE": "AnimeRecommenderBench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "TRACKING_ID_PARAMETER": ParameterNames("anime-recs").tracking_id,
        }
    )
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the moto server's request log

    from testing.personalize_setup import create_event_tracker

    # SSM and SQS from a moto server (not in-process mock_aws, whose hook would inspect every PutEvents call too)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL_SSM"] = os.environ["AWS_ENDPOINT_URL_SQS"] = f"http://{host}:{port}"
    rows: list[dict[str, Any]] = []
    try:
        rows += bench_endpoint("instant", "tracking-bench", batches, 1, baseline_batches)
        with tempfile.TemporaryDirectory(prefix="bench-forwarder-") as scratch, personalize_local_process(scratch):
            tracking_id = create_event_tracker("bench-forwarder")
            for concurrency in (1, 4):
                rows += bench_endpoint("personalize-local", tracking_id, batches, concurrency, baseline_batches)
    finally:
        moto.stop()

    load = os.getloadavg()[0]
    print(
        f"forwarder benchmark: {batches} batches x {BATCH} records per workload, {os.cpu_count()} CPUs, load {load:.1f}"
    )
    print(
        f"{'endpoint':18} {'workload':8} {'conc':>4} {'groups':>6} {'events/s':>10} {'per CPU-s':>10} "
        f"{'baseline/s':>10} {'base/CPU-s':>10} {'ratio':>6}"
    )
    for row in rows:
        print(
            f"{row['endpoint']:18} {row['workload']:8} {row['concurrency']:>4} {row['groups_per_batch']:>6} "
            f"{row['events_per_s']:>10,} {row['events_per_cpu_s']:>10,} {row['baseline_events_per_s']:>10,} "
            f"{row['baseline_events_per_cpu_s']:>10,} {row['ratio']:>6}"
        )
    print("groups: (user, session) groups per 500-record batch; ratio: events/s over the baseline's (one PutEvents")
    print("call per record), same run, same endpoint; per CPU-s: events per CPU second of this process")
    failed = sum(row["failed_records"] for row in rows)
    print(f"records reported for retry: {failed} (must be 0)")
    if args.json:
        print(json.dumps(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
