"""``python -m personalize_local serve --port 4580 --data-dir .personalize-local``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys

from personalize_local import ENDPOINT_VARIABLES
from personalize_local.models import BackendConfig
from personalize_local.server import SERVING_BLAS_THREADS, PersonalizeServer, data_dir_path


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the server in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m personalize_local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve personalize, personalize-runtime and personalize-events")
    serve.add_argument("--port", type=int, default=4580, help="port on 127.0.0.1 (default 4580; 0 = any free)")
    serve.add_argument("--data-dir", default=".personalize-local", help="state directory (default .personalize-local)")
    serve.add_argument("--region", default="us-east-1", help="region named in ARNs")
    serve.add_argument("--account-id", default="123456789012", help="account named in ARNs")
    serve.add_argument("--step-delay", type=float, default=0.02, help="seconds between status transitions")
    serve.add_argument("--max-dataset-groups", type=int, default=5, help="dataset-group quota (AWS default 5)")
    serve.add_argument(
        "--blas-threads",
        type=int,
        default=SERVING_BLAS_THREADS,
        help=f"BLAS threads of the server process (default {SERVING_BLAS_THREADS}: concurrent requests scale; "
        "0 = leave BLAS as it is)",
    )
    serve.add_argument(
        "--no-shared-training",
        action="store_true",
        help="train every solution version itself, even when an identical training's result is stored "
        "(e.g. aws-personalized-ranking after aws-user-personalization on the same data)",
    )
    serve.add_argument(
        "--recommender-retrain-seconds",
        type=float,
        default=7 * 86400,
        help="how often recommenders retrain when their data changed (default 7 days, as on AWS)",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    config = BackendConfig(
        data_dir=data_dir_path(args.data_dir),
        region=args.region,
        account_id=args.account_id,
        step_delay=args.step_delay,
        max_dataset_groups=args.max_dataset_groups,
        share_training=not args.no_shared_training,
        recommender_retrain_seconds=args.recommender_retrain_seconds,
    )
    server = PersonalizeServer(config, port=args.port, blas_threads=args.blas_threads or None)
    print(f"# Personalize Local on {server.endpoint_url} (data in {config.data_dir}); point boto3 at it with:")
    for name in ENDPOINT_VARIABLES:
        print(f"export {name}={server.endpoint_url}")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly on SIGTERM as on Ctrl-C
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
