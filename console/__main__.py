"""`make console`: the execution console on http://127.0.0.1:<port>/.

Sources (first match): ``--endpoint-url`` / ``--profile`` / ``--aws`` read the Step Functions API through boto3
(its usual environment: ``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, ``AWS_REGION``...); ``--local-cloud`` reads the
local cloud tier's emulator; otherwise the offline stack's recorded runs (``--runs-dir``, default .offline-runs/).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from console.reader import StepFunctionsReader
from console.server import HOST, ConsoleApp, serving
from console.sources import open_reader

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = REPO_ROOT / ".offline-runs"
DEFAULT_PORT = 8765


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (environment variables give the defaults)."""
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--runs-dir", type=Path, default=Path(os.environ.get("CONSOLE_RUNS_DIR", RUNS_DIR)), help="recorded runs"
    )
    parser.add_argument("--endpoint-url", default=os.environ.get("CONSOLE_ENDPOINT_URL"), help="a Step Functions URL")
    parser.add_argument("--profile", default=os.environ.get("CONSOLE_PROFILE"), help="an AWS profile (real AWS)")
    parser.add_argument("--region", default=None, help="AWS region (default: boto3's)")
    parser.add_argument("--aws", action="store_true", help="boto3's default endpoint and credentials")
    parser.add_argument("--local-cloud", action="store_true", help="the local cloud tier (make local-cloud)")
    parser.add_argument("--screenshot", type=Path, help="write a PNG of the page (headless chromium) and exit")
    return parser.parse_args(argv)


def reader_for(args: argparse.Namespace) -> tuple[StepFunctionsReader, str]:
    """The reader the options ask for and a one-line description of it."""
    if args.local_cloud:
        from local_cloud.layout import Layout
        from local_cloud.state import TierState

        state = TierState.load(Layout.default())
        args.endpoint_url, args.region = state.ministack_url, args.region or state.region
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    if args.endpoint_url or args.profile or args.aws:
        reader = open_reader(endpoint_url=args.endpoint_url, profile=args.profile, region=args.region)
        where = args.endpoint_url or (
            f"AWS profile {args.profile}" if args.profile else reader.client.meta.endpoint_url
        )
        return reader, f"Step Functions at {where}"
    return open_reader(runs_dir=args.runs_dir), f"recorded offline runs in {_shown(args.runs_dir)}/"


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is under it (what the user typed, not the machine's)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C (or write a screenshot and exit)."""
    args = parse_args(argv)
    reader, source = reader_for(args)
    app = ConsoleApp(reader, source)
    if args.screenshot:
        from console.browser import screenshot

        with serving(app) as server:
            screenshot(f"http://{HOST}:{server.server_port}/", args.screenshot, height=1500)
        print(f"wrote {args.screenshot}")
        return 0
    with serving(app, args.port) as server:
        print(f"Execution console ({source}): http://{HOST}:{server.server_port}/  (Ctrl-C stops it)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
