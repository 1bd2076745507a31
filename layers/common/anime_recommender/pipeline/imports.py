"""Step "Import data": one import job per dataset for this drop's content, started once, then polled."""

from __future__ import annotations

from typing import Any

from anime_recommender.pipeline.config import PollBudget
from anime_recommender.pipeline.datasets import DATASET_TYPES
from anime_recommender.pipeline.personalize import PersonalizeResources
from anime_recommender.pipeline.polling import poll_result


def import_data(
    resources: PersonalizeResources,
    datasets: dict[str, str],
    data_uris: dict[str, str],
    content_hash: str,
    import_mode: str,
    attempt: int,
    budget: PollBudget,
    previous_jobs: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One poll: the ``imports`` section (``jobs`` dataset -> job ARN, ``complete``).

    ``previous_jobs`` (the last poll's ``jobs``) makes later polls follow exactly the jobs the first poll started.
    """
    states = []
    jobs: dict[str, str] = {}
    for dataset_type, key in DATASET_TYPES.items():
        known = (previous_jobs or {}).get(key)
        state = resources.ensure_import_job(
            datasets[key], dataset_type, content_hash, data_uris[key], import_mode, known_arn=known
        )
        states.append(state)
        if state.arn:
            jobs[key] = state.arn
    return {**poll_result("importing the prepared data", states, attempt, budget), "jobs": jobs}
