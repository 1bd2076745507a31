"""Personalize Local: solution versions that would train the same model share one training."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from personalize_local import local_personalize
from personalize_local.evaluation import Evaluation
from personalize_local.recipes.base import TrainingData
from personalize_local.recipes.popularity import PopularityCountRecipe
from personalize_local.recipes.registry import get_recipe, resolve_hyperparameters
from personalize_local.recipes.user_personalization import PersonalizedRankingModel, UserPersonalizationRecipe
from personalize_local.training_cache import TrainingCache, data_fingerprint, train_or_reuse, training_key
from testing.personalize_setup import deploy_small_recommender, small_dataset

UP = get_recipe("aws-user-personalization")
RANKING = get_recipe("aws-personalized-ranking")


def _data() -> TrainingData:
    dataset = small_dataset(n_users=60, n_items=30, per_user=12)
    interactions = pd.read_csv(io.StringIO(dataset.interactions_csv), dtype={"USER_ID": str, "ITEM_ID": str})
    items = pd.read_csv(io.StringIO(dataset.items_csv), dtype={"ITEM_ID": str})
    return TrainingData(interactions, items)


def test_fingerprint_follows_every_row_and_the_items() -> None:
    data = _data()
    same = TrainingData(data.interactions.copy(), data.items.copy())
    changed = data.interactions.copy()
    changed.loc[5, "ITEM_ID"] = (
        changed.loc[6, "ITEM_ID"] if changed.loc[5, "ITEM_ID"] != changed.loc[6, "ITEM_ID"] else "x"
    )
    fewer_items = data.items.iloc[:-1]
    assert data_fingerprint(data) == data_fingerprint(same)
    assert data_fingerprint(TrainingData(changed, data.items)) != data_fingerprint(data)
    assert data_fingerprint(TrainingData(data.interactions, fewer_items)) != data_fingerprint(data)
    assert data_fingerprint(TrainingData(data.interactions)) != data_fingerprint(data)


def test_key_is_shared_by_user_personalization_and_ranking_only() -> None:
    params = resolve_hyperparameters(UP, None)
    key = training_key(UP, params, 0, "data")
    assert training_key(RANKING, resolve_hyperparameters(RANKING, None), 0, "data") == key
    assert training_key(get_recipe("aws-sims"), params, 0, "data") != key
    assert training_key(UP, params, 1, "data") != key
    assert training_key(UP, {**params, "hidden_dimension": "64"}, 0, "data") != key
    assert training_key(UP, params, 0, "other data") != key


def test_ranking_reuses_the_user_personalization_result(tmp_path: Path) -> None:
    data = _data()
    cache = TrainingCache(tmp_path)
    evaluations: list[str] = []

    def evaluate(name: str):
        return lambda: evaluations.append(name) or Evaluation({"coverage": 0.5}, None)

    params = resolve_hyperparameters(UP, None)
    trained, metrics, reused = train_or_reuse(cache, UP, data, params, 0, evaluate("up"))
    assert not reused and metrics == {"coverage": 0.5}
    ranking, ranking_metrics, reused = train_or_reuse(cache, RANKING, data, params, 0, evaluate("ranking"))
    # the served model is reused; the metrics are the ranking recipe's own (they rank with ``rank``)
    assert reused and ranking_metrics == metrics and evaluations == ["up", "ranking"]
    assert isinstance(ranking, PersonalizedRankingModel)
    history = data.interactions["ITEM_ID"].iloc[:5].tolist()
    assert ranking.rank(history, trained.item_ids.tolist()) == trained.rank(history, trained.item_ids.tolist())
    _, _, reused = train_or_reuse(cache, RANKING, data, params, 0, evaluate("again"))
    assert reused and evaluations == ["up", "ranking"]
    _, _, reused = train_or_reuse(cache, UP, data, params, 1, evaluate("seed 1"))
    assert not reused and evaluations == ["up", "ranking", "seed 1"]


def test_a_result_without_metrics_is_not_reused_where_metrics_are_wanted(tmp_path: Path) -> None:
    data = _data()
    cache = TrainingCache(tmp_path)
    _, metrics, reused = train_or_reuse(cache, PopularityCountRecipe, data, {}, 0, None)
    assert metrics is None and not reused
    evaluated = Evaluation({"coverage": 0.1}, None)
    _, metrics, reused = train_or_reuse(cache, PopularityCountRecipe, data, {}, 0, lambda: evaluated)
    assert metrics == {"coverage": 0.1} and not reused
    _, metrics, reused = train_or_reuse(cache, PopularityCountRecipe, data, {}, 0, None)
    assert reused and metrics is None


class _CountingPopularity(PopularityCountRecipe):
    calls = 0
    started = threading.Event()
    release = threading.Event()

    def train(self, data, hyperparameters, seed=0):  # type: ignore[no-untyped-def]
        type(self).calls += 1
        type(self).started.set()
        assert type(self).release.wait(10), "the test never released training"
        return super().train(data, hyperparameters, seed)


def test_concurrent_versions_of_one_key_train_once(tmp_path: Path) -> None:
    data = _data()
    cache = TrainingCache(tmp_path)
    results: list[bool] = []

    def run() -> None:
        results.append(train_or_reuse(cache, _CountingPopularity, data, {}, 0, None)[2])

    first = threading.Thread(target=run)
    first.start()
    assert _CountingPopularity.started.wait(10)
    second = threading.Thread(target=run)
    second.start()
    _CountingPopularity.release.set()
    first.join(10)
    second.join(10)
    assert _CountingPopularity.calls == 1 and sorted(results) == [False, True]


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    data = _data()
    cache = TrainingCache(tmp_path, keep=2)
    for seed in range(3):
        train_or_reuse(cache, PopularityCountRecipe, data, {}, seed, None)
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2
    _, _, reused = train_or_reuse(cache, PopularityCountRecipe, data, {}, 0, None)
    assert not reused  # seed 0 was the oldest entry


@pytest.mark.slow  # over 3 s on 2 busy cores
@pytest.mark.parametrize("share", [True, False])
def test_the_service_trains_user_personalization_once_for_both_solutions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, share: bool
) -> None:
    calls: list[str] = []
    original = UserPersonalizationRecipe._fit

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(UserPersonalizationRecipe, "_fit", counting)  # every model User-Personalization trains
    dataset = small_dataset()
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="shared-training")
        with local_personalize(tmp_path, share_training=share):
            deployed = deploy_small_recommender(
                "shared-training",
                dataset.interactions_csv,
                dataset.items_csv,
                ("aws-user-personalization", "aws-personalized-ranking"),
            )
            personalize = boto3.client("personalize")
            metrics = {
                recipe: personalize.get_solution_metrics(solutionVersionArn=arn)["metrics"]
                for recipe, arn in deployed.solution_version_arns.items()
            }
            runtime = boto3.client("personalize-runtime")
            ranked = runtime.get_personalized_ranking(
                campaignArn=deployed.campaign_arns["aws-personalized-ranking"],
                userId="u000",
                inputList=["i000", "i001", "i002", "i003"],
            )["personalizedRanking"]
    assert set(metrics["aws-user-personalization"]) == set(metrics["aws-personalized-ranking"])
    assert len(ranked) == 4
    # evaluation model + served model per solution; when shared, the ranking solution reuses both
    assert len(calls) == (2 if share else 4)
