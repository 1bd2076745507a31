"""`make demo`: the retraining pipeline end to end on this machine, narrated for a newcomer.

1. generate a demo-size drop of the Kaggle "Anime Recommendation Database 2020" (the project's own generator);
2. deploy template.yaml offline: moto for S3 / SNS / SSM / EventBridge / Lambda / Step Functions (running the real
   statemachine/retrain.asl.json with the real handlers in-process) and Personalize Local for Personalize;
3. upload the drop under incoming/<drop>/ - every upload fires the S3 -> EventBridge rule - and follow the
   execution state by state;
4. show the metrics, the promotion decisions and recommendations with titles; write charts and the files
   ``make serve`` reads to demo-output/ (Personalize Local keeps its state in .personalize-local/).
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

from anime_recommender.pipeline.config import metric_label
from anime_recommender.pipeline.notification import metrics_table
from iam_audit.audit import audit_offline_run, format_report, summary_line
from offline.harness import offline_pipeline
from offline.stack import OfflineStack
from offline.template import REPO_ROOT

OUTPUT_DIR = REPO_ROOT / "demo-output"
STATE_DIR = REPO_ROOT / ".personalize-local"
DROP_NAME = "2020-demo"
WELL_KNOWN = ("Death Note", "Naruto", "Fullmetal Alchemist: Brotherhood", "Cowboy Bebop", "Shingeki no Kyojin")
QUIET_HANDLERS = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}

# Steps whose Task is polled by a Wait + Choice loop: print them once, when their section says complete.
LOOPED = {"Ensure datasets": "datasets", "Import data": "imports", "Deploy campaigns": "deployment"}


def say(text: str = "") -> None:
    """Print and flush (progress must show while the pipeline runs)."""
    print(text, flush=True)


class ProgressPrinter:
    """Turns Step Functions history events into one readable line per finished step."""

    def __init__(self, started: float) -> None:
        self.started = started

    def line(self, state: str, text: str) -> None:
        """One progress line: elapsed time, state name, what happened."""
        say(f"  {time.monotonic() - self.started:6.1f}s  {state:<22} {text}")

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "ExecutionFailed":
            self.line("FAILED", str(event.get("executionFailedEventDetails", {}).get("cause", ""))[:400])
            return
        if not kind.endswith("StateExited"):
            return
        details = event["stateExitedEventDetails"]
        name = details["name"]
        output = json.loads(details.get("output") or "{}")
        try:
            text = self.describe(name, output)
        except (KeyError, TypeError):  # a state left through its Catch has no result section
            text = None
        if text is not None:
            self.line(name, text)

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


def run_pipeline(stack: OfflineStack, drop_dir: Path) -> dict[str, Any]:
    """Upload the drop, start what the uploads triggered, follow the one execution that runs; its description."""
    keys = stack.upload_drop(drop_dir, DROP_NAME)
    say(f"      uploaded {len(keys)} files to s3://{stack.bucket}/incoming/{DROP_NAME}/ (anime.csv last)")
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
    result = stack.wait(runner, timeout=900, on_event=ProgressPrinter(started), poll=0.5)
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


def show_recommendations(published: dict[str, str], catalog: dict[str, Any], drop_dir: Path) -> None:
    """Top 10 for a user, similar anime to a well-known title, the same user filtered by genre."""
    runtime = boto3.client("personalize-runtime")
    ratings = pd.read_csv(drop_dir / "rating_complete.csv", dtype={"user_id": str, "anime_id": str})
    counts = ratings["user_id"].value_counts()
    user = str(counts[(counts >= 20) & (counts <= 80)].index.sort_values()[0])
    favourites = ratings[ratings["user_id"] == user].sort_values("rating", ascending=False).head(5)
    liked = [catalog[a]["title"] for a in favourites["anime_id"] if a in catalog]
    say(f"  User {user} has rated {counts[user]} anime; favourites include: {'; '.join(liked[:3])}")
    say("")
    campaigns = {key: published[f"/anime-recs/campaigns/{key}"] for key in ("user-personalization", "sims")}
    top = runtime.get_recommendations(campaignArn=campaigns["user-personalization"], userId=user, numResults=10)
    show_titles(f"Top 10 for user {user} (user-personalization campaign):", top["itemList"], catalog)

    by_title = {anime["title"]: anime_id for anime_id, anime in catalog.items()}
    known = next((name for name in WELL_KNOWN if name in by_title), None)
    anime_id = by_title[known] if known else str(ratings["anime_id"].value_counts().index[0])
    similar = runtime.get_recommendations(campaignArn=campaigns["sims"], itemId=anime_id, numResults=10)
    show_titles(f"Anime similar to {catalog[anime_id]['title']} (SIMS campaign):", similar["itemList"], catalog)

    genres = Counter(g for a in favourites["anime_id"] if a in catalog for g in catalog[a]["genres"])
    genre = genres.most_common(1)[0][0] if genres else "Action"
    filters = json.loads(published["/anime-recs/filters"])
    filtered = runtime.get_recommendations(
        campaignArn=campaigns["user-personalization"],
        userId=user,
        numResults=10,
        filterArn=filters["genre"],
        filterValues={"GENRES": json.dumps(genre)},
    )
    show_titles(f'User {user} again, only {genre} (filter "genre", GENRES="{genre}"):', filtered["itemList"], catalog)


def write_charts(evaluation: dict[str, Any], output_dir: Path) -> list[Path]:
    """One PNG per recipe: its offline metrics next to the popularity baseline's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics: dict[str, dict[str, float]] = evaluation["metrics"]
    baseline = metrics.get("popularity-count", {})
    written = []
    for recipe, values in metrics.items():
        names = [n for n in values if n in baseline or recipe == "popularity-count"]
        labels = [metric_label(n) for n in names]
        figure, axis = plt.subplots(figsize=(8, 4.2))
        positions = range(len(names))
        axis.bar([p - 0.2 for p in positions], [values[n] for n in names], width=0.4, label=recipe, color="#3b75af")
        if recipe != "popularity-count":
            axis.bar(
                [p + 0.2 for p in positions],
                [baseline[n] for n in names],
                width=0.4,
                label="popularity baseline",
                color="#c9c9c9",
            )
        decision = evaluation["decisions"].get(recipe, {})
        verdict = (
            "promoted" if decision.get("promote") else "baseline" if recipe == "popularity-count" else "not promoted"
        )
        axis.set_title(f"{recipe}: offline metrics ({verdict})")
        axis.set_xticks(list(positions), labels, rotation=20)
        axis.set_ylim(0, 1)
        axis.legend()
        figure.tight_layout()
        path = output_dir / f"metrics-{recipe}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when the pipeline succeeded."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # moto logs every failed state; the demo explains them
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keep-state",
        action="store_true",
        help="keep .personalize-local/ from an earlier run and drop other data (seed 2021): the new models are "
        "compared with the live campaigns",
    )
    args = parser.parse_args(argv)
    begin = time.monotonic()
    say("Anime recommender - the retraining pipeline, offline")
    say("  template.yaml's state machine runs on moto's Step Functions engine with every step's real Lambda")
    say("  handler in-process, and Personalize Local stands in for Amazon Personalize. No AWS account needed.")
    say("")
    OUTPUT_DIR.mkdir(exist_ok=True)
    if not args.keep_state and STATE_DIR.exists():
        shutil.rmtree(STATE_DIR)

    say("[1/5] Generating a demo-size Kaggle-format drop (the project's own generator)")
    started = time.monotonic()
    seed = 2021 if args.keep_state else 2020  # new data for the second run, so there is something to compare
    drop_dir = generate_drop(OUTPUT_DIR / "drop", seed)
    files = sorted(drop_dir.iterdir())
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    say(f"      {', '.join(p.name for p in files)} ({size_mb:.1f} MB) in {time.monotonic() - started:.1f} s")
    say("")
    say("[2/5] Deploying template.yaml offline (bucket, topic, SSM parameters, 9 functions, 2 state machines,")
    say("      the S3 -> EventBridge trigger); Personalize Local keeps its state in .personalize-local/")
    with offline_pipeline(STATE_DIR, poll_interval=0.5, environment=QUIET_HANDLERS) as stack:
        say("")
        say("[3/5] Dropping the data into S3")
        result = run_pipeline(stack, drop_dir)
        if result["status"] != "SUCCEEDED":
            say("")
            say(f"The pipeline failed: {result.get('cause')}")
            for message in stack.read_notifications():
                say(message["Message"])
            return 1
        state = json.loads(result["output"])
        evaluation = state["evaluation"]
        say("")
        say("      Uploading the identical drop again ...")
        stack.upload_drop(drop_dir, DROP_NAME)
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
        catalog_uri = published["/anime-recs/catalog"]
        bucket, key = catalog_uri.removeprefix("s3://").split("/", 1)
        catalog = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        show_recommendations(published, catalog, drop_dir)

        (OUTPUT_DIR / "ssm-parameters.json").write_text(json.dumps(published, indent=2) + "\n", encoding="utf-8")
        (OUTPUT_DIR / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False) + "\n", encoding="utf-8")
        report_bucket, report_key = evaluation["reportUri"].removeprefix("s3://").split("/", 1)
        report = boto3.client("s3").get_object(Bucket=report_bucket, Key=report_key)["Body"].read()
        (OUTPUT_DIR / "metrics.json").write_bytes(report)
        notifications = stack.read_notifications()
        (OUTPUT_DIR / "notification.txt").write_text(
            "\n\n".join(f"Subject: {n['Subject']}\n\n{n['Message']}" for n in notifications) + "\n", encoding="utf-8"
        )
        charts = write_charts(evaluation, OUTPUT_DIR)
        least_privilege = audit_offline_run(stack)  # every recorded AWS call vs template.yaml (docs/security.md)
        (OUTPUT_DIR / "least-privilege.txt").write_text(format_report(least_privilege) + "\n", encoding="utf-8")
        say(f"  {summary_line(least_privilege)} - details: demo-output/least-privilege.txt")
    say("  Files written:")
    say(f"    {OUTPUT_DIR.relative_to(REPO_ROOT)}/metrics-<recipe>.png   one chart per recipe ({len(charts)})")
    say(f"    {OUTPUT_DIR.relative_to(REPO_ROOT)}/metrics.json            the metrics report the pipeline wrote to S3")
    say(f"    {OUTPUT_DIR.relative_to(REPO_ROOT)}/notification.txt        the SNS message an operator would receive")
    say(f"    {OUTPUT_DIR.relative_to(REPO_ROOT)}/ssm-parameters.json     what the pipeline published to SSM")
    say(f"    {OUTPUT_DIR.relative_to(REPO_ROOT)}/catalog.json            the live catalog (anime id -> title...)")
    say(f"    {STATE_DIR.relative_to(REPO_ROOT)}/                   Personalize Local's state (campaigns stay live)")
    say("")
    say(f"Done in {time.monotonic() - begin:.0f} s. Next: `make serve` serves these campaigns over the REST API.")
    say("Watch it: `make console` shows this run's executions (graph, states, notification) on http://127.0.0.1:8765/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
