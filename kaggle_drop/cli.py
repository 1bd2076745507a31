"""``python -m kaggle_drop`` (``make drop``): the Kaggle dataset into the pipeline with one command.

Downloads *Anime Recommendation Database 2020* with the official ``kaggle`` package (or takes a directory you
already have), verifies the files, and uploads them as a drop to ``s3://<bucket>/incoming/<drop>/`` with
``anime.csv`` last - which starts the retraining. boto3 picks the target: real AWS by default, the local cloud tier
(``eval "$(.venv/bin/python -m local_cloud env)"``) or any emulator through ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_S3``. Run it again after an interruption: objects already uploaded with the same size and
SHA-256 are skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from kaggle_drop.dataset import DATASET, DATASET_VERSION, LAST_FILE, default_download_dir
from kaggle_drop.download import KaggleDownloadError, download_dataset, kaggle_api
from kaggle_drop.upload import UploadError, plan_upload, transfer_config, upload_planned
from kaggle_drop.verify import DropVerificationError, VerifiedDrop, verify_drop


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m kaggle_drop",
        description="Download the Kaggle anime dataset, verify it and upload it as a drop (anime.csv last).",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--bucket", help="the stack's data bucket (output DataBucketName)")
    target.add_argument(
        "--download-only",
        action="store_true",
        help="download and verify, upload nothing (then: make demo DROP=.kaggle-data/v<version>)",
    )
    parser.add_argument("--drop", help="drop folder name under incoming/ (default: kaggle-v<version>)")
    parser.add_argument(
        "--version", type=int, default=DATASET_VERSION, help=f"Kaggle dataset version (default {DATASET_VERSION})"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from", dest="source", type=Path, help="use these files instead of downloading")
    source.add_argument(
        "--download-dir", type=Path, help="where to download (default .kaggle-data/v<version>; reused if complete)"
    )
    parser.add_argument(
        "--allow-small", action="store_true", help="accept fewer rows than the full dataset (a sample drop)"
    )
    parser.add_argument("--dry-run", action="store_true", help="verify and show the plan; upload nothing")
    parser.add_argument("--multipart-threshold-mib", type=int, default=64, help="multipart above this size (64)")
    parser.add_argument("--part-size-mib", type=int, default=64, help="multipart part size (64)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def say(text: str = "") -> None:
    """Print and flush."""
    print(text, flush=True)


def obtain_files(args: argparse.Namespace, api_factory: Any) -> Path:
    """The directory holding the drop: ``--from``, an earlier complete download, or a fresh download."""
    if args.source is not None:
        say(f"[1/3] Using the files in {args.source}")
        return args.source
    target = args.download_dir or default_download_dir(args.version)
    if (target / LAST_FILE).is_file():
        say(f"[1/3] {DATASET} version {args.version} is already in {target} (delete it to download again)")
        return target
    say(f"[1/3] Downloading {DATASET} version {args.version} into {target} with the kaggle package")
    return download_dataset(api_factory(), target, args.version)


def show_verified(verified: VerifiedDrop) -> None:
    """One line per file to upload, then what is left out."""
    for file in verified.files:
        say(f"      {file.name:<26} {file.rows:>12,} rows {file.size / 1e6:>10.1f} MB  sha256 {file.sha256[:12]}")
    if verified.ignored:
        say(f"      not part of the drop, left out: {', '.join(verified.ignored)}")


def main(argv: list[str] | None = None, api_factory: Any = kaggle_api, s3: Any = None) -> int:
    """Run the command; 0 on success, 2 when the files, the download or the upload failed (nothing is lost)."""
    args = build_parser().parse_args(argv)
    progress = not args.no_progress
    drop = args.drop or f"kaggle-v{args.version}"
    s3 = s3 or boto3.client("s3")
    if args.download_only:
        say("Kaggle dataset -> local files only (--download-only)")
    else:
        say(f"Kaggle drop -> s3://{args.bucket}/incoming/{drop}/ at {s3.meta.endpoint_url}")
    try:
        directory = obtain_files(args, api_factory)
        say("[2/3] Verifying names, headers and row counts" + (" (sample sizes allowed)" if args.allow_small else ""))
        verified = verify_drop(directory, full_size=not args.allow_small, progress=progress)
        show_verified(verified)
        if args.download_only:
            say(f"[3/3] Nothing uploaded (--download-only). The offline pipeline on them: make demo DROP={directory}")
            return 0
        plan = plan_upload(s3, args.bucket, drop, verified)
        todo = [item for item in plan if item.upload]
        verb = "Would upload (dry run)" if args.dry_run else "Uploading"
        say(
            f"[3/3] {verb} {len(todo)} of {len(plan)} files, {LAST_FILE} last (multipart above "
            f"{args.multipart_threshold_mib} MiB)"
        )
        for item in plan:
            say(f"      {'upload' if item.upload else 'skip  '}  {item.key}  - {item.reason}")
        if args.dry_run:
            say("Dry run: nothing was uploaded.")
            return 0
        config = transfer_config(args.multipart_threshold_mib, args.part_size_mib)
        uploaded = upload_planned(s3, args.bucket, plan, config, progress)
    except (KaggleDownloadError, DropVerificationError, UploadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError, S3UploadFailedError, OSError) as error:
        print(
            f"error: S3 at {s3.meta.endpoint_url}: {error}; what was uploaded stays, run again to resume",
            file=sys.stderr,
        )
        return 2
    say(f"Done: {len(uploaded)} uploaded, {len(plan) - len(uploaded)} already there.")
    if any(key.endswith("/" + LAST_FILE) for key in uploaded):
        say(f"{LAST_FILE} went last: the retraining state machine (<project>-retrain) has started for this drop.")
    else:
        say(f"{LAST_FILE} was already there with the same content: no new retraining was started.")
    return 0
