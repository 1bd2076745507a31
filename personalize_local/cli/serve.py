"""``python -m personalize_local serve``: the standalone server, its options (flags or ``PERSONALIZE_LOCAL_*``
variables), an optional embedded S3 endpoint, and the banner that tells a user everything they need."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from typing import TextIO

from personalize_local.cli.embedded_s3 import EmbeddedS3, point_imports_at
from personalize_local.cli.options import add_env_option
from personalize_local.datadir_lock import DataDirInUse
from personalize_local.local import ENDPOINT_VARIABLES
from personalize_local.models import BackendConfig
from personalize_local.server import HOST, SERVING_BLAS_THREADS, PersonalizeServer, data_dir_path

ALL_INTERFACES = "0.0.0.0"
#: The line after which the banner is complete and the server answers requests.
READY_LINE = "# Ready."
#: Any key works (requests are not signature-checked); boto3 only needs some.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``serve`` sub-command and its options."""
    serve = commands.add_parser(
        "serve",
        help="serve personalize, personalize-runtime and personalize-events (and optionally S3)",
        description="Serve the three Personalize APIs on 127.0.0.1. Every option can also be set through the "
        "environment variable named in its help; a flag wins over its variable.",
    )
    add_env_option(serve, "--port", type=int, default=4580, help="port on 127.0.0.1 (0 = any free)")
    add_env_option(serve, "--data-dir", default=".personalize-local", help="state directory")
    add_env_option(
        serve, "--s3", switch=True, help="also serve an S3 endpoint (moto, in memory) that imports read from"
    )
    add_env_option(serve, "--s3-port", type=int, default=4566, help="port of the embedded S3 endpoint (0 = any free)")
    add_env_option(
        serve,
        "--s3-endpoint",
        help="S3 endpoint URL imports read from (an S3 emulator already running); default: the server's own "
        "AWS_ENDPOINT_URL_S3 or real S3",
    )
    add_env_option(serve, "--region", default="us-east-1", help="region named in ARNs")
    add_env_option(serve, "--account-id", default="123456789012", help="account named in ARNs")
    add_env_option(serve, "--step-delay", type=float, default=0.02, help="seconds between status transitions")
    add_env_option(
        serve,
        "--clock-speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second of the schedules' clock (automatic training, recommender "
        "retraining), e.g. 86400 = one day per second",
    )
    add_env_option(serve, "--max-dataset-groups", type=int, default=5, help="dataset-group quota (AWS default 5)")
    add_env_option(
        serve,
        "--blas-threads",
        type=int,
        default=SERVING_BLAS_THREADS,
        help="BLAS threads of the server process (concurrent requests scale; 0 = leave BLAS as it is)",
    )
    add_env_option(
        serve,
        "--no-shared-training",
        switch=True,
        help="train every solution version itself, even when an identical training's result is stored",
    )
    add_env_option(
        serve,
        "--recommender-retrain-seconds",
        type=float,
        default=7 * 86400,
        help="how often recommenders retrain when their data changed (7 days, as on AWS)",
    )
    add_env_option(
        serve,
        "--bind-all-interfaces",
        switch=True,
        help="listen on 0.0.0.0 instead of 127.0.0.1: for the container image only (its port is then reachable "
        "from wherever the container's port is published)",
    )
    add_env_option(serve, "--verbose", switch=True, help="log every request")
    serve.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Start the server (and the embedded S3), print the banner, serve until Ctrl-C or SIGTERM."""
    out = out or sys.stdout
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if not 0 < args.clock_speed < float("inf"):
        print(f"--clock-speed must be a positive number, got {args.clock_speed}", file=sys.stderr)
        return 2
    host = ALL_INTERFACES if args.bind_all_interfaces else HOST
    config = BackendConfig(
        data_dir=data_dir_path(args.data_dir),
        region=args.region,
        account_id=args.account_id,
        step_delay=args.step_delay,
        max_dataset_groups=args.max_dataset_groups,
        share_training=not args.no_shared_training,
        recommender_retrain_seconds=args.recommender_retrain_seconds,
        clock_speed=args.clock_speed,
    )
    s3 = EmbeddedS3(host, args.s3_port) if args.s3 else None
    try:
        server, s3_endpoint = _start(args, config, host, s3)
    except DataDirInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the port (or the S3 port) is taken, or the data directory cannot be written
        print(f"error: cannot start Personalize Local: {exc}", file=sys.stderr)
        return 1
    out.write(banner(server.endpoint_url, config, s3_endpoint, embedded=s3 is not None))
    out.flush()
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly on SIGTERM as on Ctrl-C
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        if s3 is not None:
            s3.stop()
    return 0


def _start(
    args: argparse.Namespace, config: BackendConfig, host: str, s3: EmbeddedS3 | None
) -> tuple[PersonalizeServer, str | None]:
    """The embedded S3 (if any) and the server; the S3 endpoint imports read. Nothing is left running on failure."""
    try:
        s3_endpoint = s3.start() if s3 is not None else args.s3_endpoint
        if s3_endpoint:
            point_imports_at(s3_endpoint)
        server = PersonalizeServer(config, port=args.port, blas_threads=args.blas_threads or None, host=host)
    except BaseException:
        if s3 is not None:
            s3.stop()
        raise
    return server, s3_endpoint


def banner(endpoint_url: str, config: BackendConfig, s3_endpoint: str | None, embedded: bool) -> str:
    """What a user pastes into a shell (or a script's environment) to use the server with boto3 or the AWS CLI."""
    lines = [
        f"# Personalize Local on {endpoint_url}",
        f"# State in {config.data_dir} (delete the directory to start over; one server per directory)",
    ]
    if embedded:
        lines.append(f"# S3 on {s3_endpoint} (embedded, in memory: its buckets are gone when the server stops)")
    elif s3_endpoint:
        lines.append(f"# Imports read S3 at {s3_endpoint}")
    else:
        where = os.environ.get("AWS_ENDPOINT_URL_S3") or "real AWS S3 (with this process's credentials)"
        lines.append(f"# Imports read S3 from {where}; start with --s3 for an embedded S3 endpoint")
    lines.append("# Point boto3 and the AWS CLI at it (any key works, requests are not signature-checked):")
    exports = {**DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": config.region}
    exports.update(dict.fromkeys(ENDPOINT_VARIABLES, endpoint_url))
    if s3_endpoint:
        exports["AWS_ENDPOINT_URL_S3"] = s3_endpoint
    lines += [f"export {name}={value}" for name, value in exports.items()]
    lines.append(READY_LINE)
    return "\n".join(lines) + "\n"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
