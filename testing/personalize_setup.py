"""Deploy a small working recommender on Personalize (Local) with plain boto3, for tests that need live campaigns.

``deploy_small_recommender`` creates the schemas, a dataset group, the datasets, imports the CSVs from S3, creates
an event tracker and filters, trains one solution per recipe and deploys each as a campaign, polling every
resource until it is ACTIVE (raising with the ``failureReason`` when one fails). It speaks only the public API,
so it works against whatever ``AWS_ENDPOINT_URL_PERSONALIZE`` points at (normally ``local_personalize``), and
reads/writes S3 through ``AWS_ENDPOINT_URL_S3`` or in-process moto.

``small_dataset`` writes interactions with a known structure (two taste groups) that every recipe can train on;
``create_event_tracker`` makes a dataset group with an ACTIVE event tracker and no training. Tests and benchmarks
share this module (``bench/`` may import ``testing``, never ``tests``).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import numpy as np
import pandas as pd

from testing.avro_schemas import avro_record, avro_schema_json
from testing.polling import WaitTimeout, wait_until

ROLE_ARN = "arn:aws:iam::123456789012:role/PersonalizeLocal"
_TEXTUAL = {"SYNOPSIS", "DESCRIPTION"}
_RESERVED_TYPES: dict[str, Any] = {
    "USER_ID": "string",
    "ITEM_ID": "string",
    "TIMESTAMP": "long",
    "EVENT_TYPE": "string",
    "EVENT_VALUE": ["null", "float"],
    "CREATION_TIMESTAMP": "long",
    "IMPRESSION": ["null", "string"],
    "RECOMMENDATION_ID": ["null", "string"],
}


class DeploymentFailed(RuntimeError):
    """A resource ended in CREATE FAILED, or did not become ACTIVE in time."""


@dataclass
class DeployedRecommender:
    """Everything ``deploy_small_recommender`` created (recipe-keyed maps use the recipe name, e.g. ``aws-sims``)."""

    dataset_group_arn: str
    interactions_dataset_arn: str
    items_dataset_arn: str | None
    event_tracker_arn: str
    tracking_id: str
    solution_arns: dict[str, str] = field(default_factory=dict)
    solution_version_arns: dict[str, str] = field(default_factory=dict)
    campaign_arns: dict[str, str] = field(default_factory=dict)
    filter_arns: dict[str, str] = field(default_factory=dict)


def wait_active(describe: Callable[[], Mapping[str, Any]], what: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll ``describe()`` (returning the resource document) until ACTIVE; DeploymentFailed on failure or timeout."""
    last: dict[str, Any] = {}

    def active() -> dict[str, Any] | None:
        last.clear()
        last.update(describe())
        status = last.get("status")
        if status and "FAILED" in status:
            raise DeploymentFailed(f"{what} is {status}: {last.get('failureReason')}")
        return dict(last) if status == "ACTIVE" else None

    try:
        return wait_until(active, timeout=timeout, message=lambda: f"{what} still {last.get('status')}")
    except WaitTimeout as timed_out:
        raise DeploymentFailed(str(timed_out)) from timed_out


def infer_schema(csv_text: str, record_name: str) -> str:
    """An Avro schema for a CSV: reserved columns get Personalize's types, other columns are typed from values
    (numbers nullable, strings categorical; SYNOPSIS/DESCRIPTION textual)."""
    frame = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False, nrows=2000)
    fields: list[dict[str, Any]] = []
    for column in frame.columns:
        name = str(column).strip()
        if name in _RESERVED_TYPES:
            fields.append({"name": name, "type": _RESERVED_TYPES[name]})
            continue
        values = frame[column][frame[column] != ""]
        numbers = pd.to_numeric(values, errors="coerce")
        if len(values) and numbers.notna().all():
            kind = "long" if (numbers % 1 == 0).all() else "float"
            fields.append({"name": name, "type": ["null", kind]})
        elif name in _TEXTUAL:
            fields.append({"name": name, "type": ["null", "string"], "textual": True})
        else:
            fields.append({"name": name, "type": ["null", "string"], "categorical": True})
    return avro_schema_json(record_name, fields)


def _location(s3: Any, bucket: str, csv: str, prefix: str, filename: str) -> tuple[str, str]:
    """(s3 location, CSV text): an ``s3://`` URI is read, CSV text is uploaded under ``prefix``."""
    if csv.startswith("s3://"):
        bucket_name, _, key = csv[len("s3://") :].partition("/")
        text = s3.get_object(Bucket=bucket_name, Key=key)["Body"].read().decode()
        return csv, text
    key = f"{prefix}/{filename}"
    s3.put_object(Bucket=bucket, Key=key, Body=csv.encode())
    return f"s3://{bucket}/{key}", csv


def deploy_small_recommender(
    bucket: str,
    interactions_csv: str,
    items_csv: str | None = None,
    recipes: Sequence[str] = ("aws-user-personalization",),
    filters: Mapping[str, str] | None = None,
    *,
    name: str | None = None,
    solution_configs: Mapping[str, Mapping[str, Any]] | None = None,
    campaign_configs: Mapping[str, Mapping[str, Any]] | None = None,
    timeout: float = 180.0,
) -> DeployedRecommender:
    """Build a dataset group from ``interactions_csv`` (and ``items_csv``), train ``recipes`` and deploy campaigns.

    ``interactions_csv`` / ``items_csv`` are CSV text (uploaded to ``bucket``) or ``s3://`` URIs of existing
    objects. ``filters`` maps filter names to expressions. ``solution_configs`` / ``campaign_configs`` map a
    recipe name to its ``solutionConfig`` / ``campaignConfig``. The bucket must exist.
    """
    personalize = boto3.client("personalize")
    s3 = boto3.client("s3")
    base = name or f"small-{uuid.uuid4().hex[:8]}"
    prefix = f"personalize-setup/{base}"
    interactions_location, interactions_text = _location(s3, bucket, interactions_csv, prefix, "interactions.csv")

    group_arn = personalize.create_dataset_group(name=base)["datasetGroupArn"]
    interactions_schema = personalize.create_schema(
        name=f"{base}-interactions", schema=infer_schema(interactions_text, "Interactions")
    )["schemaArn"]
    items_schema = None
    if items_csv is not None:
        items_location, items_text = _location(s3, bucket, items_csv, prefix, "items.csv")
        items_schema = personalize.create_schema(name=f"{base}-items", schema=infer_schema(items_text, "Items"))[
            "schemaArn"
        ]
    wait_active(
        lambda: personalize.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"], group_arn, timeout
    )

    datasets = {"Interactions": (interactions_schema, interactions_location)}
    if items_schema is not None:
        datasets["Items"] = (items_schema, items_location)
    dataset_arns: dict[str, str] = {}
    for dataset_type, (schema_arn, _) in datasets.items():
        dataset_arns[dataset_type] = personalize.create_dataset(
            name=f"{base}-{dataset_type.lower()}",
            schemaArn=schema_arn,
            datasetGroupArn=group_arn,
            datasetType=dataset_type,
        )["datasetArn"]
    tracker = personalize.create_event_tracker(name=f"{base}-tracker", datasetGroupArn=group_arn)
    filter_arns = {
        filter_name: personalize.create_filter(
            name=f"{base}-{filter_name}", datasetGroupArn=group_arn, filterExpression=expression
        )["filterArn"]
        for filter_name, expression in (filters or {}).items()
    }
    jobs = []
    for dataset_type, (_, location) in datasets.items():
        arn = dataset_arns[dataset_type]
        wait_active(lambda arn=arn: personalize.describe_dataset(datasetArn=arn)["dataset"], arn, timeout)
        jobs.append(
            personalize.create_dataset_import_job(
                jobName=f"{base}-{dataset_type.lower()}-import",
                datasetArn=arn,
                dataSource={"dataLocation": location},
                roleArn=ROLE_ARN,
            )["datasetImportJobArn"]
        )
    for job in jobs:
        wait_active(
            lambda job=job: personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"],
            job,
            timeout,
        )

    deployed = DeployedRecommender(
        dataset_group_arn=group_arn,
        interactions_dataset_arn=dataset_arns["Interactions"],
        items_dataset_arn=dataset_arns.get("Items"),
        event_tracker_arn=tracker["eventTrackerArn"],
        tracking_id=tracker["trackingId"],
        filter_arns=filter_arns,
    )
    for recipe in recipes:
        config = dict((solution_configs or {}).get(recipe, {}))
        deployed.solution_arns[recipe] = personalize.create_solution(
            name=f"{base}-{recipe}",
            datasetGroupArn=group_arn,
            recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
            performAutoTraining=False,
            **({"solutionConfig": config} if config else {}),
        )["solutionArn"]
    for recipe, solution_arn in deployed.solution_arns.items():
        wait_active(lambda s=solution_arn: personalize.describe_solution(solutionArn=s)["solution"], solution_arn)
        deployed.solution_version_arns[recipe] = personalize.create_solution_version(
            solutionArn=solution_arn, trainingMode="FULL"
        )["solutionVersionArn"]
    for recipe, version_arn in deployed.solution_version_arns.items():
        wait_active(
            lambda v=version_arn: personalize.describe_solution_version(solutionVersionArn=v)["solutionVersion"],
            version_arn,
            timeout,
        )
        config = dict((campaign_configs or {}).get(recipe, {}))
        deployed.campaign_arns[recipe] = personalize.create_campaign(
            name=f"{base}-{recipe}",
            solutionVersionArn=version_arn,
            minProvisionedTPS=1,
            **({"campaignConfig": config} if config else {}),
        )["campaignArn"]
    for campaign_arn in deployed.campaign_arns.values():
        wait_active(lambda c=campaign_arn: personalize.describe_campaign(campaignArn=c)["campaign"], campaign_arn)
    wait_active(
        lambda: personalize.describe_event_tracker(eventTrackerArn=deployed.event_tracker_arn)["eventTracker"],
        deployed.event_tracker_arn,
    )
    for filter_arn in filter_arns.values():
        wait_active(lambda f=filter_arn: personalize.describe_filter(filterArn=f)["filter"], filter_arn)
    return deployed


@dataclass(frozen=True)
class SmallDataset:
    """CSV text of a small dataset with known structure."""

    interactions_csv: str
    items_csv: str
    genre_of: dict[str, str]  # item id -> its genre ("Action" or "Drama")
    taste_of: dict[str, str]  # user id -> the genre they mostly watch


def small_dataset(n_users: int = 80, n_items: int = 40, per_user: int = 16, seed: int = 7) -> SmallDataset:
    """Users in two taste groups (Action / Drama) watching mostly items of their genre; items have GENRES, YEAR and
    CREATION_TIMESTAMP. Enough rows (n_users * per_user >= 1000) for Personalize's training minimums."""
    rng = np.random.default_rng(seed)
    items = [f"i{n:03d}" for n in range(n_items)]
    genre_of = {item: ("Action" if n % 2 == 0 else "Drama") for n, item in enumerate(items)}
    by_genre = {g: [i for i in items if genre_of[i] == g] for g in ("Action", "Drama")}
    rows = []
    taste_of: dict[str, str] = {}
    start = 1_600_000_000
    for u in range(n_users):
        user = f"u{u:03d}"
        taste = "Action" if u % 2 == 0 else "Drama"
        taste_of[user] = taste
        other = "Drama" if taste == "Action" else "Action"
        # popular items of the genre first: a skewed choice makes a clear popularity order
        weights = np.linspace(2.0, 0.5, len(by_genre[taste]))
        liked = rng.choice(by_genre[taste], size=min(per_user - 2, len(by_genre[taste])), replace=False,
                           p=weights / weights.sum())  # fmt: skip
        chosen = [*liked.tolist(), *rng.choice(by_genre[other], size=2, replace=False).tolist()]
        for k, item in enumerate(chosen):
            rows.append((user, item, start + u * 1000 + k * 10, "RATING", float(rng.integers(5, 11))))
    interactions = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"])
    items_frame = pd.DataFrame(
        {
            "ITEM_ID": items,
            "GENRES": [genre_of[i] for i in items],
            "YEAR": [1990 + (n % 30) for n in range(n_items)],
            "CREATION_TIMESTAMP": [start - 86400 * (n_items - n) for n in range(n_items)],
        }
    )
    return SmallDataset(
        interactions_csv=interactions.to_csv(index=False),
        items_csv=items_frame.to_csv(index=False),
        genre_of=genre_of,
        taste_of=taste_of,
    )


INTERACTIONS_SCHEMA = avro_record(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "DEVICE", "type": ["null", "string"], "categorical": True},
        {"name": "EPISODE", "type": ["null", "long"]},
    ],
)


def create_event_tracker(name: str = "watch-events") -> str:
    """A dataset group with an Interactions dataset (DEVICE and EPISODE columns) and an ACTIVE event tracker, on
    whatever ``AWS_ENDPOINT_URL_PERSONALIZE`` points at (Personalize Local); returns the tracking id. No training."""
    personalize = boto3.client("personalize")
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    schema = personalize.create_schema(name=f"{name}-interactions", schema=json.dumps(INTERACTIONS_SCHEMA))["schemaArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], group)
    dataset = personalize.create_dataset(
        name=f"{name}-interactions", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    wait_active(lambda: personalize.describe_dataset(datasetArn=dataset)["dataset"], dataset)
    tracker = personalize.create_event_tracker(name=f"{name}-tracker", datasetGroupArn=group)
    arn = tracker["eventTrackerArn"]
    wait_active(lambda: personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"], arn)
    return tracker["trackingId"]
