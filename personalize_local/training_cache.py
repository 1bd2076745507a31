"""Trained solution versions shared between solutions that would train the very same model.

``aws-user-personalization`` and ``aws-personalized-ranking`` run one training procedure (the ranking model is the
user-personalization model served through GetPersonalizedRanking), so a dataset group with both solutions would
train the same model twice — 20 minutes each on the full Kaggle drop. A solution version's result (its served model
and its offline metrics) is stored here under a key of everything that determines it: the recipe's training
procedure, the resolved hyperparameters, the seed and a fingerprint of the training data (pandas' row hashes of the
interactions, items and users, in order). A later version with the same key loads that result instead of training:
the same thing training again would produce, in seconds. Retraining on unchanged data hits the cache as well; any
change to the data, a hyperparameter or the seed misses it. Metrics are stored per recipe type: the ranking
recipe's GetSolutionMetrics rank the catalogue with ``rank`` (ordered by taste) where User-Personalization uses
``recommend``, so a ranking version that reuses the model still computes its own metrics.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from personalize_local.evaluation import Evaluation
from personalize_local.recipes.base import Recipe, TrainedModel, TrainingData

METRICS_JSON = "metrics.json"
MODEL_DIR = "model"


def data_fingerprint(data: TrainingData) -> str:
    """SHA-256 of the training data: column names, dtypes and pandas' hash of every row, frame by frame."""
    digest = hashlib.sha256()
    for name, frame in (("interactions", data.interactions), ("items", data.items), ("users", data.users)):
        digest.update(name.encode())
        if frame is None:
            digest.update(b"<none>")
            continue
        digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
        digest.update(np.ascontiguousarray(pd.util.hash_pandas_object(frame, index=False).to_numpy()).tobytes())
    return digest.hexdigest()


def training_key(
    recipe: type[Recipe], hyperparameters: Mapping[str, str], seed: int, fingerprint: str, purpose: str = "served"
) -> str:
    """The cache key of one solution version's result (``purpose`` "served"), or of the model its evaluation
    trained on the training users (``purpose`` "evaluation")."""
    identity: dict[str, object] = {
        "procedure": recipe.training_procedure or recipe.name,
        "hyperparameters": dict(sorted(hyperparameters.items())),
        "seed": seed,
        "data": fingerprint,
    }
    if purpose != "served":  # served keys stay what they were before evaluation models were cached
        identity["purpose"] = purpose
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


class TrainingCache:
    """Served models and their metrics under ``root/<key>/`` (the newest ``keep`` entries are kept).

    Versions created together (the pipeline starts all its solution versions at once) share too: the second
    training of a key waits for the first one's result instead of training alongside it.
    """

    def __init__(self, root: Path, keep: int = 8) -> None:
        self.root = root
        self.keep = keep
        self._guard = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def lock(self, key: str) -> threading.Lock:
        """The lock held while ``key`` is looked up and, on a miss, trained and stored."""
        with self._guard:
            return self._key_locks.setdefault(key, threading.Lock())

    def load(self, key: str, recipe: type[Recipe]) -> tuple[TrainedModel, dict[str, float] | None] | None:
        """The stored model (as ``recipe``'s model class) and metrics (None when not computed), or None."""
        entry = self.root / key
        if not (entry / MODEL_DIR).is_dir():
            return None
        metrics = self._metrics(entry).get(recipe.recipe_type)
        os.utime(entry)  # most recently used
        return recipe.model_class().load(entry / MODEL_DIR), metrics

    @staticmethod
    def _metrics(entry: Path) -> dict[str, dict[str, float]]:
        path = entry / METRICS_JSON
        return json.loads(path.read_text()) if path.exists() else {}

    def has_metrics(self, key: str) -> bool:
        """Whether the stored result of ``key`` has metrics of any recipe type."""
        return bool(self._metrics(self.root / key))

    def add_metrics(self, key: str, recipe_type: str, metrics: Mapping[str, float]) -> None:
        """Record ``recipe_type``'s metrics next to a stored model (call under :meth:`lock`)."""
        entry = self.root / key
        stored = {**self._metrics(entry), recipe_type: dict(metrics)}
        staging = entry / f".{uuid.uuid4().hex}.tmp"
        staging.write_text(json.dumps(stored, sort_keys=True))
        os.replace(staging, entry / METRICS_JSON)

    def store(self, key: str, model: TrainedModel, metrics: Mapping[str, float] | None, recipe_type: str) -> None:
        """Store a result atomically (written aside, then renamed), then drop the least recently used entries."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".{uuid.uuid4().hex}.tmp"
        (staging / MODEL_DIR).mkdir(parents=True)
        model.save(staging / MODEL_DIR)
        if metrics is not None:
            (staging / METRICS_JSON).write_text(json.dumps({recipe_type: dict(metrics)}, sort_keys=True))
        target = self.root / key
        shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(staging, target)
        except OSError:  # another thread stored the same key first: theirs is the same result
            shutil.rmtree(staging, ignore_errors=True)
        self._evict()

    def _evict(self) -> None:
        entries = sorted(
            (p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in entries[self.keep :]:
            shutil.rmtree(old, ignore_errors=True)


def train_or_reuse(
    cache: TrainingCache | None,
    recipe: type[Recipe],
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    seed: int,
    evaluate: Callable[[], Evaluation] | None,
) -> tuple[TrainedModel, dict[str, float] | None, bool]:
    """A solution version's served model and metrics: from ``cache`` when present there, else trained (and stored).

    ``evaluate`` computes the offline metrics (None: not wanted, e.g. a trainingMode UPDATE version keeps its base
    version's); the served model then starts from the evaluation's model (``Recipe.train_served``). A stored model
    with another recipe type's metrics only is reused; only the metrics are computed. Returns
    ``(model, metrics, reused)``.
    """
    if cache is None:
        evaluation = evaluate() if evaluate is not None else None
        return _served(recipe, data, hyperparameters, seed, evaluation), _metrics_of(evaluation), False
    key = training_key(recipe, hyperparameters, seed, data_fingerprint(data))
    with cache.lock(key):
        hit = cache.load(key, recipe)
        if hit is not None and (evaluate is None or hit[1] is not None):
            return hit[0], hit[1] if evaluate is not None else None, True
        evaluation = evaluate() if evaluate is not None else None
        metrics = _metrics_of(evaluation)
        if hit is not None and metrics is not None and cache.has_metrics(key):  # another recipe type's result
            cache.add_metrics(key, recipe.recipe_type, metrics)
            return hit[0], metrics, True
        model = _served(recipe, data, hyperparameters, seed, evaluation)
        cache.store(key, model, metrics, recipe.recipe_type)
    return model, metrics, False


def train_evaluation_model(
    cache: TrainingCache | None,
    recipe: type[Recipe],
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    seed: int,
) -> TrainedModel:
    """The model an evaluation trains on its training users' ``data``: from ``cache`` when another version of the
    same training procedure trained it already (User-Personalization and Personalized-Ranking share it), else
    trained and stored."""
    if cache is None:
        return recipe().train(data, hyperparameters, seed=seed)
    key = training_key(recipe, hyperparameters, seed, data_fingerprint(data), purpose="evaluation")
    with cache.lock(key):
        hit = cache.load(key, recipe)
        if hit is not None:
            return hit[0]
        model = recipe().train(data, hyperparameters, seed=seed)
        cache.store(key, model, None, recipe.recipe_type)
    return model


def _served(
    recipe: type[Recipe],
    data: TrainingData,
    hyperparameters: Mapping[str, str],
    seed: int,
    evaluation: Evaluation | None,
) -> TrainedModel:
    return recipe().train_served(data, hyperparameters, seed, evaluation.model if evaluation is not None else None)


def _metrics_of(evaluation: Evaluation | None) -> dict[str, float] | None:
    return dict(evaluation.metrics) if evaluation is not None else None
