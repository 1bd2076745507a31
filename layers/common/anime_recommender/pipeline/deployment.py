"""Step "Deploy campaigns": promoted versions to campaigns, the event tracker, the filters, then SSM.

Only promoted recipes are touched; a refused recipe's campaign keeps serving exactly what it served. Everything
is published to SSM once all of it is ACTIVE.
"""

from __future__ import annotations

import json
from typing import Any

from anime_recommender.contracts.filters import FILTER_EXPRESSIONS
from anime_recommender.pipeline.config import PipelineConfig
from anime_recommender.pipeline.names import ResourceNames
from anime_recommender.pipeline.personalize import PersonalizeResources
from anime_recommender.pipeline.polling import poll_result
from anime_recommender.pipeline.publishing import publish


def deploy(
    resources: PersonalizeResources,
    ssm: Any,
    config: PipelineConfig,
    dataset_group_arn: str,
    items_dataset_arn: str,
    trained: list[dict[str, Any]],
    promoted: list[str],
    prepared: dict[str, Any],
    attempt: int,
) -> dict[str, Any]:
    """One poll: the ``deployment`` section (campaigns, filters, tracker, what was published)."""
    names: ResourceNames = resources.names
    by_recipe = {item["recipe"]: item for item in trained}
    states = []
    campaigns: dict[str, str] = {}
    for key in promoted:
        item = by_recipe[key]
        state = resources.ensure_campaign(
            item["solutionArn"], config.recipe(key), item["solutionVersionArn"], config.campaign
        )
        states.append(state)
        if state.arn:
            campaigns[key] = state.arn
    tracker, tracking_id = resources.ensure_event_tracker(dataset_group_arn)
    states.append(tracker)
    filters: dict[str, str] = {}
    for key in config.filters:
        state = resources.ensure_filter(dataset_group_arn, key, FILTER_EXPRESSIONS[key])
        states.append(state)
        if state.arn:
            filters[key] = state.arn
    result = poll_result(
        "deploying campaigns, the event tracker and filters", states, attempt, config.polling.deployment
    )
    section: dict[str, Any] = {**result, "campaigns": campaigns, "filters": filters, "trackingId": tracking_id}
    if result["complete"]:
        values = {names.parameters.campaign(key): arn for key, arn in campaigns.items()}
        values[names.parameters.tracking_id] = tracking_id or ""
        values[names.parameters.filters] = json.dumps(filters, sort_keys=True)
        values[names.parameters.event_types] = json.dumps(sorted(prepared.get("eventTypes", [])))
        values[names.parameters.catalog] = prepared["catalogUri"]
        values[names.parameters.items_dataset] = items_dataset_arn
        section["published"] = publish(ssm, values)
    return section
