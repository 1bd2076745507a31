"""Trained models of solution versions, loaded from the data directory once and then kept in memory."""

from __future__ import annotations

import threading

from personalize_local.models.lifecycle import Lifecycle
from personalize_local.recipes import registry
from personalize_local.recipes.base import TrainedModel


class ModelCache:
    """Loaded models by solution-version ARN."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self._lock = threading.Lock()
        self._models: dict[str, TrainedModel] = {}

    def load(self, version_arn: str) -> TrainedModel:
        """A solution version's trained model (KeyError when the version no longer exists)."""
        model = self._models.get(version_arn)
        if model is None:
            version = self.lifecycle.store.get(version_arn)
            if version is None:
                raise KeyError(f"solution version {version_arn} no longer exists")
            recipe = registry.get_recipe(version.internal["recipe"])
            model = recipe.model_class().load(self.lifecycle.files.model_dir(version.internal["modelId"]))
            with self._lock:
                self._models[version_arn] = model
        return model

    def forget(self, version_arn: str) -> None:
        """Drop a deleted solution version's model."""
        with self._lock:
            self._models.pop(version_arn, None)
