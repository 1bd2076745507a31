"""Step "Ensure datasets": the dataset group, the schemas and the two datasets, described or created."""

from __future__ import annotations

from typing import Any

from anime_recommender.pipeline.config import PollBudget
from anime_recommender.pipeline.personalize import PersonalizeResources
from anime_recommender.pipeline.polling import poll_result

#: Personalize dataset type -> key of the prepared data's schema / URI.
DATASET_TYPES = {"Interactions": "interactions", "Items": "items"}


def ensure_datasets(
    resources: PersonalizeResources, schemas: dict[str, str], attempt: int, budget: PollBudget
) -> dict[str, Any]:
    """One poll: the ``datasets`` section (``datasetGroupArn``, ``datasets`` type -> ARN, ``complete``)."""
    group = resources.ensure_dataset_group()
    states = [group]
    datasets: dict[str, str] = {}
    if group.phase == "ACTIVE":
        for dataset_type, key in DATASET_TYPES.items():
            schema_arn = resources.ensure_schema(dataset_type, schemas[key])
            dataset = resources.ensure_dataset(group.arn or "", dataset_type, schema_arn)
            states.append(dataset)
            if dataset.arn:
                datasets[key] = dataset.arn
    result = poll_result("creating the dataset group and datasets", states, attempt, budget)
    if group.phase != "ACTIVE":
        result["complete"] = False
    return {**result, "datasetGroupArn": group.arn, "datasets": datasets}
