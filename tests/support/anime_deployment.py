"""The anime recommender deployed on moto (S3, SSM) and Personalize Local as the pipeline leaves it: three trained
campaigns, the pipeline's filters, the catalog and the published SSM parameters - for the API's component and
integration tests."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pandas as pd
from moto import mock_aws

from anime_recommender.contracts.filters import FILTER_EXPRESSIONS
from anime_recommender.pipeline.names import ResourceNames
from anime_recommender.recommendations_api import PublishedSettings, RecommendationService, SettingsConfig
from personalize_local import local_personalize
from testing.personalize_setup import deploy_small_recommender, small_dataset

PROJECT = "anime-recs"
BUCKET = "anime-recs-data"
CATALOG_KEY = "prepared/drop-test/catalog.json"
STUDIOS = ("Bones", "Madhouse", "Sunrise")
RECIPES = {
    "user-personalization": "aws-user-personalization",
    "sims": "aws-sims",
    "personalized-ranking": "aws-personalized-ranking",
}


@dataclass(frozen=True)
class AnimeDeployment:
    """A trained recommender as the pipeline would leave it: SSM parameters, catalog and what the data holds."""

    parameters: dict[str, str]
    catalog: dict[str, dict[str, Any]]
    watched: dict[str, set[int]]
    taste_of: dict[str, str]

    def genres(self, anime_id: int) -> list[str]:
        """The catalog's genres of one anime."""
        return self.catalog[str(anime_id)]["genres"]


def anime_id(item_id: str) -> int:
    """``i007`` (small_dataset) → 8: positive integers, like MyAnimeList ids."""
    return int(item_id.lstrip("i")) + 1


def deploy_anime_recommender(project: str = PROJECT) -> AnimeDeployment:
    """Train and deploy the three campaigns plus the pipeline's filters, publish like the pipeline does.

    Needs moto (S3/SSM) and Personalize Local active (``AWS_ENDPOINT_URL_PERSONALIZE*`` set).
    """
    data = small_dataset()
    interactions = pd.read_csv(io.StringIO(data.interactions_csv), dtype={"USER_ID": str})
    interactions["ITEM_ID"] = interactions["ITEM_ID"].map(anime_id)
    items = pd.read_csv(io.StringIO(data.items_csv))
    items["ITEM_ID"] = items["ITEM_ID"].map(anime_id)
    items["STUDIOS"] = [STUDIOS[n % len(STUDIOS)] for n in range(len(items))]
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    deployed = deploy_small_recommender(
        BUCKET,
        interactions.to_csv(index=False),
        items.to_csv(index=False),
        recipes=tuple(RECIPES.values()),
        filters=FILTER_EXPRESSIONS,
        name=project,
    )
    catalog = {
        str(row.ITEM_ID): {
            "title": f"Anime {row.ITEM_ID}",
            "englishTitle": f"Anime {row.ITEM_ID} (English)" if row.ITEM_ID % 2 else None,
            "genres": [row.GENRES],
            "year": int(row.YEAR),
            "score": 7.5,
            "type": "TV",
            "studios": [row.STUDIOS],
        }
        for row in items.itertuples()
    }
    boto3.client("s3").put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=json.dumps(catalog).encode())
    names = ResourceNames(project)
    parameters = {
        **{names.parameters.campaign(key): deployed.campaign_arns[recipe] for key, recipe in RECIPES.items()},
        names.parameters.tracking_id: deployed.tracking_id,
        names.parameters.filters: json.dumps(deployed.filter_arns),
        names.parameters.event_types: json.dumps(sorted(interactions["EVENT_TYPE"].unique().tolist())),
        names.parameters.catalog: f"s3://{BUCKET}/{CATALOG_KEY}",
    }
    ssm = boto3.client("ssm")
    for name, value in parameters.items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    watched = interactions.groupby("USER_ID")["ITEM_ID"].agg(lambda ids: set(ids.tolist())).to_dict()
    return AnimeDeployment(parameters=parameters, catalog=catalog, watched=watched, taste_of=data.taste_of)


@dataclass
class Live:
    """The module's deployment and clients pointed at its Personalize Local."""

    deployment: AnimeDeployment
    endpoint_url: str


@contextlib.contextmanager
def live_deployment(state_dir: Path) -> Iterator[Live]:
    """moto (SSM/S3) plus Personalize Local in ``state_dir``, with the anime recommender trained and published."""
    environment = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "x"}
    with mock.patch.dict(os.environ, environment), mock_aws(), local_personalize(data_dir=state_dir) as personalize:
        yield Live(deploy_anime_recommender(), personalize.endpoint_url)


def live_service(live: Live, events_client: Any = None) -> RecommendationService:
    """A fresh service (empty caches) on the live campaigns (``events_client``: one the caller watches)."""
    return RecommendationService(
        settings=PublishedSettings(SettingsConfig(project_name=PROJECT), boto3.client("ssm")),
        runtime_client=boto3.client("personalize-runtime", endpoint_url=live.endpoint_url),
        events_client=events_client or boto3.client("personalize-events", endpoint_url=live.endpoint_url),
        s3_client=boto3.client("s3"),
    )
