"""Serving latency and training time of Personalize Local's recipes on the generated demo sample.

* Training time per recipe (``Recipe.train`` on all users, as a solution version's served model).
* In-process latency per request: the pipeline's ``genre`` filter evaluated into a mask + the model call
  (``recommend`` / ``related`` / ``rank`` of 50 items), p50 / p99 over many requests with real user histories,
  with BLAS limited as the server limits it (``SERVING_BLAS_THREADS``); user-personalization also without the limit.
* Over HTTP (``--http``, default on): GetRecommendations through plain boto3 against Personalize Local started
  in-process (``personalize_local.local_personalize``) with S3 from moto, p50 / p99. A dict-lookup baseline
  measured in the same run is printed next to the numbers so they can be compared across machines.

    .venv/bin/python bench/serving.py [--requests 2000] [--no-http]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anime_recommender.contracts.filters import FILTER_EXPRESSIONS
from bench.datasets import demo_data, describe
from personalize_local.filters import FilterContext, UserEvent, parse_filter
from personalize_local.recipes.base import ExplorationConfig, TrainingData
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.server import SERVING_BLAS_THREADS

GENRE_FILTER = FILTER_EXPRESSIONS["genre"]
FILTER_VALUES = {"GENRES": '"Action","Comedy"', "YEAR_FROM": "2000", "WATCHED_EVENT_TYPES": '"RATING"'}


def percentiles(samples: list[float]) -> str:
    """``p50 … ms, p99 … ms`` of samples in seconds."""
    arr = np.array(samples) * 1000
    return f"p50 {np.percentile(arr, 50):.3f} ms, p99 {np.percentile(arr, 99):.3f} ms"


def train_all(data: TrainingData) -> dict[str, tuple[object, float, float]]:
    """Each recipe's model on all users, with its training wall and CPU time."""
    out = {}
    for name in ("aws-popularity-count", "aws-sims", "aws-user-personalization", "aws-personalized-ranking"):
        cls = get_recipe(name)
        start, cpu = time.perf_counter(), time.process_time()
        model = cls().train(data, resolve_hyperparameters(cls, None))
        out[name] = (model, time.perf_counter() - start, time.process_time() - cpu)
    return out


def in_process(
    data: TrainingData, models: dict[str, tuple[object, float, float]], requests: int
) -> dict[str, list[float]]:
    """Per-request latency (filter + model) for each recipe."""
    rng = np.random.default_rng(0)
    ordered = data.interactions.sort_values("TIMESTAMP")
    histories = ordered.groupby("USER_ID")["ITEM_ID"].apply(list)
    stamps = ordered.groupby("USER_ID")["TIMESTAMP"].apply(list)
    users = rng.choice(histories.index.to_numpy(), requests)
    items = data.items.set_index("ITEM_ID", drop=False)
    genre_filter = parse_filter(GENRE_FILTER)
    timings: dict[str, list[float]] = {}
    for name, (model, _, _) in models.items():
        samples = []
        for user in users:
            history = histories[user]
            events = [UserEvent(i, "RATING", int(t)) for i, t in zip(history, stamps[user], strict=True)]
            start = time.perf_counter()
            mask = genre_filter.evaluate(FilterContext(model.item_ids, items, events), FILTER_VALUES)
            if model.recipe_type == "RELATED_ITEMS":
                model.related(history[-1], 25, allowed=mask)
            elif model.recipe_type == "PERSONALIZED_RANKING":
                model.rank(history, model.item_ids[:50].tolist())
            else:
                model.recommend(history, 25, allowed=mask, exploration=ExplorationConfig())
            samples.append(time.perf_counter() - start)
        timings[name] = samples
    return timings


def dict_baseline(requests: int) -> list[float]:
    """A trivial in-process operation (sorting 2,000 floats) timed the same way, to compare machines."""
    rng = np.random.default_rng(1)
    values = rng.random(2000)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        np.argsort(values)
        samples.append(time.perf_counter() - start)
    return samples


def over_http(data: TrainingData, requests: int) -> str:
    """GetRecommendations p50/p99 through boto3 against an in-process Personalize Local (S3 from moto)."""
    import os
    import tempfile

    import boto3
    from moto import mock_aws

    from personalize_local import local_personalize
    from testing.personalize_setup import deploy_small_recommender

    for name, value in (
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "x"),
    ):
        os.environ.setdefault(name, value)  # moto and the local server only: never a real account
    interactions = data.interactions[["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"]].to_csv(index=False)
    items = data.items[["ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP"]].to_csv(index=False)
    with tempfile.TemporaryDirectory() as tmp, mock_aws(), local_personalize(data_dir=Path(tmp)):
        boto3.client("s3").create_bucket(Bucket="bench")
        start = time.perf_counter()
        deployed = deploy_small_recommender(
            "bench", interactions, items, recipes=("aws-user-personalization",), filters={"genre": GENRE_FILTER}
        )
        setup = time.perf_counter() - start
        runtime = boto3.client("personalize-runtime")
        campaign = deployed.campaign_arns["aws-user-personalization"]
        filter_arn = deployed.filter_arns["genre"]
        users = np.random.default_rng(0).choice(data.interactions["USER_ID"].unique(), requests)
        plain, filtered = [], []
        for user in users:
            t0 = time.perf_counter()
            runtime.get_recommendations(campaignArn=campaign, userId=str(user), numResults=25)
            t1 = time.perf_counter()
            runtime.get_recommendations(
                campaignArn=campaign, userId=str(user), numResults=25, filterArn=filter_arn, filterValues=FILTER_VALUES
            )
            filtered.append(time.perf_counter() - t1)
            plain.append(t1 - t0)
        return (
            f"HTTP GetRecommendations (boto3, {requests} requests; setup incl. import+train+deploy {setup:.1f} s):\n"
            f"  no filter:   {percentiles(plain)}\n  genre filter: {percentiles(filtered)}"
        )


def main(argv: list[str] | None = None) -> int:
    """Print training times and latency percentiles."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurement")
    args = parser.parse_args(argv)
    data = demo_data("demo")
    print(f"demo sample: {describe(data)}\n")
    models = train_all(data)
    total = sum(wall for _, wall, _ in models.values())
    total_cpu = sum(cpu for _, _, cpu in models.values())
    print(f"training time (all users; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    for name, (_, wall, cpu) in models.items():
        print(f"  {name:28s} {wall:6.2f} s wall, {cpu:6.2f} s CPU")
    print(f"  {'all four':28s} {total:6.2f} s wall, {total_cpu:6.2f} s CPU (target <= 30 s on 2 cores)\n")
    print(
        f"in-process latency, genre filter + model ({args.requests} requests, real histories, "
        f"BLAS at {SERVING_BLAS_THREADS} thread as in the server):"
    )
    with threadpool_limits(limits=SERVING_BLAS_THREADS, user_api="blas"):
        timings = in_process(data, models, args.requests)
    for name, samples in timings.items():
        print(f"  {name:28s} {percentiles(samples)}")
    up = {"aws-user-personalization": models["aws-user-personalization"]}
    unlimited = in_process(data, up, args.requests)["aws-user-personalization"]
    ratio = np.percentile(unlimited, 50) / np.percentile(timings["aws-user-personalization"], 50)
    print(f"  {'same, BLAS not limited':28s} {percentiles(unlimited)} (p50 {ratio:.1f}x the limited one)")
    print(f"  {'baseline: argsort 2k floats':28s} {percentiles(dict_baseline(args.requests))}\n")
    if not args.no_http:
        try:
            print(over_http(data, min(args.requests, 1000)))
        except Exception as error:  # the server is another team's work in progress: report, do not hide
            print(f"HTTP measurement failed: {type(error).__name__}: {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
