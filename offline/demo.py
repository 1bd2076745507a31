"""`make demo`: the retraining pipeline end to end on this machine, narrated for a newcomer.

1. generate a demo-size drop of the Kaggle "Anime Recommendation Database 2020" (the project's own generator), or
   take your own Kaggle files (``--drop DIR``, ``make demo DROP=DIR``; the full dataset works too);
2. deploy template.yaml offline: moto for S3 / SNS / SSM / EventBridge / Lambda / Step Functions (running the real
   statemachine/retrain.asl.json with the real handlers in-process) and Personalize Local for Personalize;
3. upload the drop under incoming/<drop>/ - every upload fires the S3 -> EventBridge rule - and follow the
   execution state by state;
4. show the metrics, the promotion decisions and recommendations with titles; write charts and the files
   ``make serve`` reads to demo-output/.

Personalize Local keeps its state in .personalize-local/ from one run to the next: the campaigns of the last run
stay live, the next run's models are compared with them, and demo-output/metrics-history.png follows the runs.
``--reset`` (``make demo RESET=1``) starts from nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pandas as pd

from anime_recommender.contracts.parameters import ParameterNames
from anime_recommender.pipeline.config import metric_label
from anime_recommender.pipeline.notification import metrics_table
from iam_audit.audit import audit_offline_run, format_report, summary_line
from kaggle_drop.upload import DROP_NAME as VALID_DROP_NAME
from kaggle_drop.verify import DropVerificationError, verify_drop
from offline.charts import comparison_chart, history_chart
from offline.demo_history import load_history, record_run
from offline.harness import offline_pipeline
from offline.publications import restore_publications
from offline.stack import OfflineStack
from sam_app.template import REPO_ROOT

OUTPUT_DIR = REPO_ROOT / "demo-output"
STATE_DIR = REPO_ROOT / ".personalize-local"
FIRST_SEED = 2020
#: Wait states last at most this many seconds (the harness shortens the template's): the generated drop trains in
#: seconds; your own files may hold the whole catalog (longer training), a big drop the full dataset (tens of minutes).
#: config.polling's budgets count polls, so the poll interval sets how long a job may take.
POLL_SECONDS = {"generated": 0.5, "yours": 2.0, "big": 5.0}
#: Drops bigger than this (MB) also skip the "same drop again" demonstration (it would upload them twice).
BIG_DROP_MB = 200
HEARTBEAT_SECONDS = 15.0
WELL_KNOWN = ("Death Note", "Naruto", "Fullmetal Alchemist: Brotherhood", "Cowboy Bebop", "Shingeki no Kyojin")
QUIET_HANDLERS = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}

# Steps whose Task is polled by a Wait + Choice loop: print them once, when their section says complete.
LOOPED = {"Ensure datasets": "datasets", "Import data": "imports", "Deploy campaigns": "deployment"}


def say(text: str = "") -> None:
    """Print and flush (progress must show while the pipeline runs)."""
    print(text, flush=True)


class ProgressPrinter:
    """Turns Step Functions history events into one readable line per finished step, and says what is still
    running (which solutions are training, for how long) when a step takes long."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.last_id = 0
        self.last_line = started
        self.running: dict[str, int] = {}  # state name -> executions of it in progress (Map iterations)
        self.training: dict[str, dict[str, Any]] = {}  # recipe -> {"since": monotonic, "attempt": n}

    def line(self, state: str, text: str) -> None:
        """One progress line: elapsed time, state name, what happened."""
        now = time.monotonic()
        self.last_line = now
        say(f"  {now - self.started:6.1f}s  {state:<22} {text}")

    def __call__(self, event: dict[str, Any]) -> None:
        if event["id"] <= self.last_id:  # the history is read again after every heartbeat
            return
        self.last_id = event["id"]
        kind = event["type"]
        if kind == "ExecutionFailed":
            self.line("FAILED", str(event.get("executionFailedEventDetails", {}).get("cause", ""))[:400])
            return
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            self.running[name] = self.running.get(name, 0) + 1
            return
        if not kind.endswith("StateExited"):
            return
        details = event["stateExitedEventDetails"]
        name = details["name"]
        self.running[name] = self.running.get(name, 1) - 1
        output = json.loads(details.get("output") or "{}")
        if name == "Train solution":
            self.follow_training(output.get("training", {}))
        try:
            text = self.describe(name, output)
        except (KeyError, TypeError):  # a state left through its Catch has no result section
            text = None
        if text is not None:
            self.line(name, text)

    def follow_training(self, training: dict[str, Any]) -> None:
        """Say when a recipe starts training; remember its poll count for the heartbeat."""
        recipe = training.get("recipe")
        if not recipe or training.get("complete"):
            self.training.pop(recipe, None)
            return
        if recipe not in self.training:
            self.training[recipe] = {"since": time.monotonic()}
            self.line("Train solution", f"{recipe}: training started")
        self.training[recipe]["attempt"] = training.get("attempt", 0)

    def heartbeat(self) -> None:
        """A "still running" line when nothing was printed for a while."""
        now = time.monotonic()
        if now - self.last_line < HEARTBEAT_SECONDS:
            return
        if self.training:
            parts = [
                f"{recipe} {now - state['since']:.0f} s (poll {state.get('attempt', 0)})"
                for recipe, state in self.training.items()
            ]
            self.line("Train solutions", "still training: " + ", ".join(parts))
            return
        busy = [name for name, count in self.running.items() if count > 0 and not name.endswith("?")]
        self.line(busy[-1] if busy else "...", "still running")

    def describe(self, name: str, output: dict[str, Any]) -> str | None:
        """What a finished state did, or None for states not worth a line."""
        if name == "Resolve the drop":
            return output.get("reason", "")
        if name == "Prepare data":
            counts = output["prepared"]["counts"]
            return (
                f"{counts['interactions']:,} interactions, {counts['users']:,} users, {counts['items']:,} anime, "
                f"{counts['rejectedRows']:,} rejected rows -> {output['prepared']['outputPrefix']}"
            )
        if name in LOOPED:
            section = output.get(LOOPED[name], {})
            if not section.get("complete"):
                return None
            polls = f"after {section['attempt']} poll{'s' if section['attempt'] != 1 else ''}"
            if name == "Ensure datasets":
                return f"dataset group + {len(section['datasets'])} datasets ACTIVE {polls}"
            if name == "Import data":
                return f"{len(section['jobs'])} import jobs ACTIVE {polls}"
            return (
                f"{len(section['campaigns'])} campaign(s), event tracker, {len(section['filters'])} filters ACTIVE "
                f"{polls}; {len(section.get('published', {}))} SSM parameters published"
            )
        if name == "Train solution":
            training = output.get("training", {})
            if not training.get("complete"):
                return None
            return f"{training['recipe']} trained after {training['attempt']} polls"
        if name == "Evaluate metrics":
            evaluation = output["evaluation"]
            return f"{len(evaluation['promoted'])} model(s) to promote; report {evaluation['reportUri']}"
        if name == "Release the drop lock":
            return "dataset group unlocked; the drop's content is marked as processed"
        if name == "Notify success":
            return f"SNS: {output['notification']['subject']}"
        return None


def generate_drop(target: Path, seed: int) -> Path:
    """A demo-size Kaggle-format drop, generated by the project's own generator."""
    from sample_data.generate import generate_dataset

    if target.exists():
        shutil.rmtree(target)
    generate_dataset("demo", target, seed=seed)
    return target


def _runner(stack: OfflineStack, arns: list[str], timeout: float = 120.0) -> str:
    """The execution that went past "Resolve the drop" (the others end there quietly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for arn in arns:
            for event in stack.history(arn):
                entered = event.get("stateEnteredEventDetails", {}).get("name")
                if entered not in {None, "Resolve the drop", "Is the drop ready?", "Nothing to do"}:
                    return arn
        time.sleep(0.1)
    raise TimeoutError("no execution went past 'Resolve the drop'")


def follow(stack: OfflineStack, arn: str, printer: ProgressPrinter, timeout: float) -> dict[str, Any]:
    """Wait for the execution, printing each finished step and, during long steps, what is still running."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return stack.wait(arn, timeout=HEARTBEAT_SECONDS, on_event=printer, poll=0.5)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} still RUNNING after {timeout:.0f} s") from None
            printer.heartbeat()


def run_pipeline(
    stack: OfflineStack, drop_dir: Path, drop_name: str, files: list[str], timeout: float
) -> dict[str, Any]:
    """Upload the drop, start what the uploads triggered, follow the one execution that runs; its description."""
    keys = stack.upload_drop(drop_dir, drop_name, files)
    say(f"      uploaded {len(keys)} files to s3://{stack.bucket}/incoming/{drop_name}/ (anime.csv last)")
    arns = stack.start_triggered_executions()
    say(f"      the S3 -> EventBridge rule started {len(arns)} executions, one per uploaded file")
    runner = _runner(stack, arns)
    quiet = [stack.wait(arn, timeout=60) for arn in arns if arn != runner]
    if quiet:
        reason = json.loads(quiet[0]["output"])["reason"]
        say(f'      {len(quiet)} of them ended at "Resolve the drop": {reason.split(" was already taken")[0]} was')
        say(f"      already taken by execution {runner.rsplit(':', 1)[-1][:8]}... - nothing to do")
    say("")
    say(f"[4/5] Following execution {runner.rsplit(':', 1)[-1][:8]}..., state by state")
    started = time.monotonic()
    result = follow(stack, runner, ProgressPrinter(started), timeout)
    say(f"      {result['status']} in {time.monotonic() - started:.1f} s")
    return result


def _status(described: dict[str, Any]) -> str:
    return json.loads(described.get("output") or "{}").get("status", "")


def show_titles(title: str, items: list[dict[str, Any]], catalog: dict[str, Any]) -> None:
    """A numbered list of anime with year and genres."""
    say(f"  {title}")
    for rank, item in enumerate(items, start=1):
        anime = catalog.get(item["itemId"], {})
        name = anime.get("title", item["itemId"])
        year = f" ({anime.get('year') or '?'})"
        if name.endswith(year):  # titles such as "Hunter x Hunter (2011)" already carry their year
            year = ""
        genres = ", ".join(anime.get("genres", [])[:4])
        say(f"    {rank:>2}. {name}{year} - {genres}")
    say("")


def sample_ratings(drop_dir: Path, rows: int = 1_000_000) -> pd.DataFrame:
    """The first ``rows`` scored interactions of the drop (its files are grouped by user, so these users' histories
    are whole): enough to pick a user to show, without reading a full-size file."""
    name = "rating_complete.csv" if (drop_dir / "rating_complete.csv").is_file() else "animelist.csv"
    ratings = pd.read_csv(
        drop_dir / name, usecols=["user_id", "anime_id", "rating"], dtype={"user_id": str, "anime_id": str}, nrows=rows
    )
    return ratings[ratings["rating"] > 0]


def show_recommendations(
    published: dict[str, str], names: ParameterNames, catalog: dict[str, Any], drop_dir: Path
) -> None:
    """Top 10 for a user, similar anime to a well-known title, the same user filtered by genre."""
    runtime = boto3.client("personalize-runtime")
    ratings = sample_ratings(drop_dir)
    counts = ratings["user_id"].value_counts()
    typical = counts[(counts >= 20) & (counts <= 80)]
    user = str((typical if len(typical) else counts).index.sort_values()[0])
    favourites = ratings[ratings["user_id"] == user].sort_values("rating", ascending=False).head(5)
    liked = [catalog[a]["title"] for a in favourites["anime_id"] if a in catalog]
    say(f"  User {user} has rated {counts[user]} anime; favourites include: {'; '.join(liked[:3])}")
    say("")
    campaigns = {key: published[names.campaign(key)] for key in ("user-personalization", "sims")}
    top = runtime.get_recommendations(campaignArn=campaigns["user-personalization"], userId=user, numResults=10)
    show_titles(f"Top 10 for user {user} (user-personalization campaign):", top["itemList"], catalog)

    by_title = {anime["title"]: anime_id for anime_id, anime in catalog.items()}
    known = next((name for name in WELL_KNOWN if name in by_title), None)
    anime_id = by_title[known] if known else str(ratings["anime_id"].value_counts().index[0])
    similar = runtime.get_recommendations(campaignArn=campaigns["sims"], itemId=anime_id, numResults=10)
    show_titles(f"Anime similar to {catalog[anime_id]['title']} (SIMS campaign):", similar["itemList"], catalog)

    genres = Counter(g for a in favourites["anime_id"] if a in catalog for g in catalog[a]["genres"])
    genre = genres.most_common(1)[0][0] if genres else "Action"
    filters = json.loads(published[names.filters])
    filtered = runtime.get_recommendations(
        campaignArn=campaigns["user-personalization"],
        userId=user,
        numResults=10,
        filterArn=filters["genre"],
        filterValues={"GENRES": json.dumps(genre)},
    )
    show_titles(f'User {user} again, only {genre} (filter "genre", GENRES="{genre}"):', filtered["itemList"], catalog)


def write_charts(evaluation: dict[str, Any], history: list[dict[str, Any]], drop_name: str) -> list[Path]:
    """The comparison chart of this run and, from the second run on, the history across drops."""
    for old in OUTPUT_DIR.glob("metrics*.png"):  # earlier runs' charts (incl. the former one-per-recipe files)
        old.unlink()
    written = [comparison_chart(evaluation, OUTPUT_DIR / "metrics.png", f"Offline metrics of drop {drop_name}")]
    if len(history) > 1:
        written.append(history_chart(history, OUTPUT_DIR / "metrics-history.png"))
    return written


def prepare_state(reset: bool) -> list[dict[str, Any]]:
    """Reset Personalize Local's state when asked, else say loudly what is kept; the earlier runs."""
    if reset and STATE_DIR.exists():
        shutil.rmtree(STATE_DIR)
        say(f"  --reset: deleted {STATE_DIR.relative_to(REPO_ROOT)}/ - starting from nothing.")
    history = load_history(STATE_DIR)
    if STATE_DIR.exists() and any(STATE_DIR.iterdir()):
        runs = f"{len(history)} earlier run{'s' if len(history) != 1 else ''}"
        say(f"  KEEPING Personalize Local's state from {runs} in {STATE_DIR.relative_to(REPO_ROOT)}/: its campaigns")
        say("  are live, so this run's models are promoted only if they match them. Start over: make demo RESET=1")
    return history


def drop_files(args: argparse.Namespace, history: list[dict[str, Any]]) -> tuple[Path, str, list[str]]:
    """Step 1: the directory, drop name and files to upload - your files (verified) or a generated drop."""
    run = len(history) + 1
    if args.drop is not None:
        say(f"[1/5] Checking your Kaggle files in {args.drop}")
        verified = verify_drop(args.drop.resolve(), full_size=False)
        for file in verified.files:
            say(f"      {file.name:<26} {file.rows:>12,} rows {file.size / 1e6:>9.1f} MB")
        if verified.ignored:
            say(f"      left out (not part of a drop): {', '.join(verified.ignored)}")
        stem = args.drop.resolve().name
        name = f"{stem}-{run}" if VALID_DROP_NAME.match(stem) else f"my-drop-{run}"
        return verified.directory, name, [file.name for file in verified.files]
    say("[1/5] Generating a demo-size Kaggle-format drop (the project's own generator)")
    started = time.monotonic()
    seed = FIRST_SEED + len(history)  # new data for every run, so there is something to compare
    drop_dir = generate_drop(OUTPUT_DIR / "drop", seed)
    files = sorted(p.name for p in drop_dir.iterdir())
    size_mb = sum(p.stat().st_size for p in drop_dir.iterdir()) / 1e6
    say(f"      {', '.join(files)} ({size_mb:.1f} MB, seed {seed}) in {time.monotonic() - started:.1f} s")
    return drop_dir, f"demo-{run}", files


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--drop",
        type=Path,
        help="run on your own Kaggle files in this directory (anime.csv plus rating_complete.csv and/or "
        "animelist.csv; the full dataset works) instead of a generated drop",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete .personalize-local/ (Personalize Local's state and the run history) first",
    )
    parser.add_argument("--keep-state", action="store_true", help=argparse.SUPPRESS)  # the default now
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when the pipeline succeeded."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # moto logs every failed state; the demo explains them
    args = parse_args(argv)
    begin = time.monotonic()
    say("Anime recommender - the retraining pipeline, offline")
    say("  template.yaml's state machine runs on moto's Step Functions engine with every step's real Lambda")
    say("  handler in-process, and Personalize Local stands in for Amazon Personalize. No AWS account needed.")
    history = prepare_state(args.reset)
    say("")
    OUTPUT_DIR.mkdir(exist_ok=True)
    try:
        drop_dir, drop_name, files = drop_files(args, history)
    except DropVerificationError as error:
        say(f"error: {error}")
        return 2
    size_mb = sum((drop_dir / name).stat().st_size for name in files) / 1e6
    big = size_mb > BIG_DROP_MB
    say("")
    say("[2/5] Deploying template.yaml offline (bucket, topic, SSM parameters, 9 functions, 2 state machines,")
    say("      the S3 -> EventBridge trigger); Personalize Local keeps its state in .personalize-local/")
    if big:
        say(f"      a {size_mb:,.0f} MB drop: Wait states poll every 5 s; the full dataset trains for tens of minutes")
    poll = POLL_SECONDS["big" if big else "yours" if args.drop is not None else "generated"]
    with offline_pipeline(STATE_DIR, poll_interval=poll, environment=QUIET_HANDLERS) as stack:
        if history and restore_publications(OUTPUT_DIR, stack.project):
            say("      the SSM parameters of the live campaigns are put back from the last run (demo-output/)")
        say("")
        say("[3/5] Dropping the data into S3")
        result = run_pipeline(stack, drop_dir, drop_name, files, timeout=max(900.0, 10 * size_mb))
        if result["status"] != "SUCCEEDED":
            say("")
            say(f"The pipeline failed: {result.get('cause')}")
            for message in stack.read_notifications():
                say(message["Message"])
            if history and "ResourceMismatchError" in str(result.get("cause")):
                say("")
                say("This run kept the Personalize resources of the earlier runs, made for other data. Start over with")
                say("make demo RESET=1 (python -m offline.demo --reset).")
            return 1
        state = json.loads(result["output"])
        evaluation = state["evaluation"]
        if not big:
            say("")
            say("      Uploading the identical drop again ...")
            stack.upload_drop(drop_dir, drop_name, files)
            again = [stack.wait(arn, timeout=60) for arn in stack.start_triggered_executions()]
            quiet = sum(1 for d in again if d["status"] == "SUCCEEDED" and _status(d) == "DUPLICATE")
            say(f"      {len(again)} executions, {quiet} ended quietly as DUPLICATE: the same content runs once")

        say("")
        say("[5/5] Results")
        say("")
        primary = metric_label(evaluation["primaryMetric"])
        say(f"  Offline metrics of the new solution versions (primary metric: {primary}):")
        say("    " + metrics_table(evaluation["metrics"]).replace("\n", "\n    "))
        say("")
        say(f"  Baseline check: {evaluation['baseline']['reason']}")
        say("  Promotion decisions:")
        for recipe, decision in evaluation["decisions"].items():
            verdict = (
                "PROMOTED" if decision["promote"] else "KEPT LIVE" if "withinTolerance" in decision else "baseline"
            )
            say(f"    {recipe:<21} {verdict:<10} {decision['reason']}")
        say("")
        published = stack.published_parameters()
        names = ParameterNames(stack.project)
        catalog_uri = published[names.catalog]
        bucket, key = catalog_uri.removeprefix("s3://").split("/", 1)
        catalog = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        show_recommendations(published, names, catalog, drop_dir)

        (OUTPUT_DIR / "ssm-parameters.json").write_text(json.dumps(published, indent=2) + "\n", encoding="utf-8")
        (OUTPUT_DIR / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False) + "\n", encoding="utf-8")
        report_bucket, report_key = evaluation["reportUri"].removeprefix("s3://").split("/", 1)
        report = boto3.client("s3").get_object(Bucket=report_bucket, Key=report_key)["Body"].read()
        (OUTPUT_DIR / "metrics.json").write_bytes(report)
        notifications = stack.read_notifications()
        (OUTPUT_DIR / "notification.txt").write_text(
            "\n\n".join(f"Subject: {n['Subject']}\n\n{n['Message']}" for n in notifications) + "\n", encoding="utf-8"
        )
        history = record_run(STATE_DIR, drop_name, evaluation)
        charts = write_charts(evaluation, history, drop_name)
        least_privilege = audit_offline_run(stack)  # every recorded AWS call vs template.yaml (docs/security.md)
        (OUTPUT_DIR / "least-privilege.txt").write_text(format_report(least_privilege) + "\n", encoding="utf-8")
        say(f"  {summary_line(least_privilege)} - details: demo-output/least-privilege.txt")
    out = OUTPUT_DIR.relative_to(REPO_ROOT)
    say("  Files written:")
    say(f"    {out}/metrics.png                every recipe's offline metrics side by side")
    if len(charts) > 1:
        say(f"    {out}/metrics-history.png        {primary} of each recipe over the {len(history)} runs so far")
    say(f"    {out}/metrics.json               the metrics report the pipeline wrote to S3")
    say(f"    {out}/notification.txt           the SNS message an operator would receive")
    say(f"    {out}/ssm-parameters.json        what the pipeline published to SSM")
    say(f"    {out}/catalog.json               the live catalog (anime id -> title...)")
    say(f"    {STATE_DIR.relative_to(REPO_ROOT)}/                 Personalize Local's state and the run history (kept)")
    say("")
    say(f"Done in {time.monotonic() - begin:.0f} s. Next: `make serve` serves these campaigns over the REST API;")
    say("`make demo` again trains on new data against these live campaigns (`make demo RESET=1` starts over).")
    say("Watch it: `make console` shows this run's executions (graph, states, notification) on http://127.0.0.1:8765/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
