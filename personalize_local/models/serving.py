"""Serving: GetRecommendations, GetPersonalizedRanking (personalize-runtime) and PutEvents, PutItems, PutUsers
(personalize-events). Reads models through :class:`Deployments` and data through :class:`GroupDataCache`; PutEvents
updates the cached histories in place, so an event changes the very next recommendation."""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from personalize_local.exceptions import InvalidInputException
from personalize_local.filters import FilterContext, FilterValueError
from personalize_local.models.deployments import Deployment, Deployments
from personalize_local.models.domain import Ranking, Recommendations, RecommendedItem
from personalize_local.models.event_trackers import EventTrackers
from personalize_local.models.filters import Filters
from personalize_local.models.group_cache import GroupDataCache, GroupState
from personalize_local.models.groupdata import property_column
from personalize_local.models.lifecycle import ACTIVE, Lifecycle
from personalize_local.recipes.base import Scored

DEFAULT_NUM_RESULTS = 25
MAX_NUM_RESULTS = 500
MAX_WITH_METADATA = 50
MAX_FILTER_VALUES = 25
MAX_EVENT_PROPERTIES = 1024
_FORBIDDEN_PROPERTIES = {"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"}
_MAX_PROPERTIES = {"Items": 32000, "Users": 24000, "Actions": 32000}
_RECORD_KEYS = {"Items": "item_id", "Users": "user_id", "Actions": "action_id"}


def _epoch(value: Any, where: str) -> int:
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            try:
                return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
            except ValueError:
                pass
    raise InvalidInputException(f"{where}: sentAt must be a timestamp, got {value!r}")


def parse_properties(raw: str | None, limit: int, where: str) -> dict[str, Any]:
    """An event's ``properties`` JSON string as a dict; InvalidInputException naming ``where`` when too long or bad."""
    if raw is None:
        return {}
    if len(raw) > limit:
        raise InvalidInputException(f"{where}: properties is {len(raw)} characters long; the maximum is {limit}")
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputException(f"{where}: properties is not a JSON object string: {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise InvalidInputException(f"{where}: properties must be a JSON object string")
    return parsed


def _number(value: Any, where: str) -> float | int:
    if not isinstance(value, bool):
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except (TypeError, ValueError):
            pass
    raise InvalidInputException(f"{where} must be a number, got {value!r}")


def recommendation_id() -> str:
    """``RID-`` + a UUID: 40 characters, the limit PutEvents accepts for ``recommendationId``."""
    return f"RID-{uuid.uuid4()}"


class Serving:
    """The personalize-runtime and personalize-events operations."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        group_data: GroupDataCache,
        deployments: Deployments,
        filters: Filters,
        event_trackers: EventTrackers,
    ) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        self.deployments = deployments
        self.filters = filters
        self.event_trackers = event_trackers

    # ------------------------------------------------------------------ filters
    def _filter_mask(
        self,
        deployment: Deployment,
        state: GroupState,
        filter_arn: str | None,
        filter_values: Mapping[str, str] | None,
        user_id: str | None,
        item_id: str | None = None,
    ) -> np.ndarray | None:
        if not filter_arn:
            if filter_values:
                raise InvalidInputException("filterValues were given without a filterArn")
            return None
        if filter_values and len(filter_values) > MAX_FILTER_VALUES:
            raise InvalidInputException(f"At most {MAX_FILTER_VALUES} filterValues, got {len(filter_values)}")
        _, expression = self.filters.active(filter_arn, deployment.group_arn)
        unknown = sorted(set(filter_values or {}) - expression.parameters)
        if unknown:
            raise InvalidInputException(
                f"filterValues key(s) {', '.join(unknown)} are not placeholders of filter {filter_arn} "
                f"(its placeholders: {', '.join(sorted(expression.parameters)) or 'none'})"
            )
        user = None
        if user_id and expression.uses_current_user and state.users is not None:
            user = state.user_rows.get(user_id)
            if user is None and user_id in state.users.index:
                user = state.user_rows[user_id] = state.users.loc[user_id].to_dict()
        current_item = None
        if item_id and state.items is not None and item_id in state.items.index:
            current_item = state.items.loc[item_id].to_dict()
        context = FilterContext(
            item_ids=deployment.model.item_ids,
            items=state.items,
            user_events=state.history.user_events(user_id) if user_id and expression.uses_interactions else [],
            user=user,
            current_item=current_item,
        )
        try:
            return expression.evaluate(context, filter_values or {})
        except FilterValueError as exc:
            raise InvalidInputException(str(exc)) from None

    @staticmethod
    def _without_seen(
        deployment: Deployment, state: GroupState, user_id: str | None, allowed: np.ndarray | None
    ) -> np.ndarray | None:
        """A use case's automatic filter: the user's items of its event types are not recommended
        (https://docs.aws.amazon.com/personalize/latest/dg/VIDEO_ON_DEMAND-use-cases.html)."""
        if not deployment.exclude_seen or not user_id:
            return allowed
        excluded = deployment.exclude_seen.lower()
        seen = {event[1] for event in state.history.events(user_id) if event[2].lower() == excluded}
        if not seen:
            return allowed
        mask = ~np.isin(deployment.model.item_ids, list(seen))
        return mask if allowed is None else allowed & mask

    # ------------------------------------------------------------------ personalize-runtime
    @staticmethod
    def _items(
        scored: list[tuple[str, float | None, str | None]],
        state: GroupState,
        metadata_columns: Mapping[str, list[str]] | None,
    ) -> list[RecommendedItem]:
        """(item, score, promotion name) triples as result entries (with the requested metadata)."""
        columns = (metadata_columns or {}).get("ITEMS") or []
        return [
            RecommendedItem(
                item_id=item,
                score=None if score is None else round(float(score), 7),
                metadata=_item_metadata(state, item, columns) if columns else None,
                promotion_name=promotion,
            )
            for item, score, promotion in scored
        ]

    @staticmethod
    def _check_metadata(deployment: Deployment, metadata_columns: Mapping[str, list[str]] | None, n: int) -> None:
        if not metadata_columns:
            return
        if not deployment.metadata_enabled:
            raise InvalidInputException("metadataColumns need a campaign with enableMetadataWithRecommendations")
        if set(metadata_columns) - {"ITEMS"}:
            raise InvalidInputException("metadataColumns supports only the ITEMS dataset")
        if n > MAX_WITH_METADATA:
            raise InvalidInputException(f"At most {MAX_WITH_METADATA} results when metadata is requested, got {n}")

    def get_recommendations(
        self,
        campaign_arn: str | None = None,
        item_id: str | None = None,
        user_id: str | None = None,
        num_results: int | None = None,
        context: Mapping[str, str] | None = None,
        filter_arn: str | None = None,
        filter_values: Mapping[str, str] | None = None,
        recommender_arn: str | None = None,
        promotions: list[dict[str, Any]] | None = None,
        metadata_columns: Mapping[str, list[str]] | None = None,
    ) -> Recommendations:
        """GetRecommendations for a user (user-personalization recipes) or an item (related-items recipes)."""
        if bool(campaign_arn) == bool(recommender_arn):
            raise InvalidInputException("Give exactly one of campaignArn and recommenderArn")
        n = DEFAULT_NUM_RESULTS if num_results is None else num_results
        if not 0 <= n <= MAX_NUM_RESULTS:
            raise InvalidInputException(f"numResults must be between 0 and {MAX_NUM_RESULTS}, got {n}")
        deployment = (
            self.deployments.campaign(campaign_arn) if campaign_arn else self.deployments.recommender(recommender_arn)
        )
        self._check_metadata(deployment, metadata_columns, n)
        state = self.group_data.state(deployment.group_arn)
        if deployment.recipe_type == "USER_PERSONALIZATION":
            if not user_id:
                raise InvalidInputException("userId is required for a USER_PERSONALIZATION recipe or use case")
            history = state.history.items(user_id, deployment.keep)

            def top(count: int, allowed: np.ndarray | None) -> list[Scored]:
                return deployment.model.recommend(history, count, allowed, deployment.exploration, context)[:count]

        elif deployment.recipe_type == "RELATED_ITEMS":
            if not item_id:
                raise InvalidInputException("itemId is required for a RELATED_ITEMS recipe or use case")

            def top(count: int, allowed: np.ndarray | None) -> list[Scored]:
                return deployment.model.related(item_id, count, allowed)[:count]

        else:
            actions = deployment.recipe_type == "PERSONALIZED_ACTIONS"
            call = "GetActionRecommendations" if actions else "GetPersonalizedRanking"
            raise InvalidInputException(f"This recipe is {deployment.recipe_type}: call {call} instead")
        allowed = self._filter_mask(deployment, state, filter_arn, filter_values, user_id, item_id)
        allowed = self._without_seen(deployment, state, user_id, allowed)
        if promotions:
            items = self._promoted(deployment, state, promotions[0], n, top, allowed, user_id, item_id)
        else:
            items = [(item, score, None) for item, score in top(n, allowed)]
        return Recommendations(self._items(items, state, metadata_columns), recommendation_id())

    def _promoted(
        self,
        deployment: Deployment,
        state: GroupState,
        promotion: Mapping[str, Any],
        n: int,
        top: Callable[[int, np.ndarray | None], list[Scored]],
        allowed: np.ndarray | None,
        user_id: str | None,
        item_id: str | None,
    ) -> list[tuple[str, float | None, str | None]]:
        """``n`` results of which ``percentPromotedItems`` come from the promotion's filter.

        As documented (https://docs.aws.amazon.com/personalize/latest/dg/promoting-items.html): the promotion filter
        applies to the promoted items only and the request filter to the others; promoted items sit at random
        positions but keep their own order; with too few matching items, as many as possible are promoted.
        """
        if not promotion.get("filter_arn"):
            raise InvalidInputException("A promotion needs a filterArn")
        percent = promotion.get("percent_promoted_items", 100)
        wanted = math.floor(n * percent / 100 + 0.5)
        promo_mask = self._filter_mask(
            deployment, state, promotion["filter_arn"], promotion.get("filter_values"), user_id, item_id
        )
        promoted = top(wanted, promo_mask) if wanted else []
        taken = {item for item, _ in promoted}
        regular = [(item, score) for item, score in top(n + len(taken), allowed) if item not in taken]
        regular = regular[: n - len(promoted)]
        slots = sorted(random.sample(range(len(promoted) + len(regular)), len(promoted)))
        name = promotion.get("name")
        merged: list[tuple[str, float | None, str | None]] = []
        promoted_iter, regular_iter = iter(promoted), iter(regular)
        for position in range(len(promoted) + len(regular)):
            if slots and position == slots[0]:
                slots.pop(0)
                item, score = next(promoted_iter)
                merged.append((item, score, name))
            else:
                item, score = next(regular_iter)
                merged.append((item, score, None))
        return merged

    def get_personalized_ranking(
        self,
        campaign_arn: str,
        input_list: list[str],
        user_id: str,
        context: Mapping[str, str] | None = None,
        filter_arn: str | None = None,
        filter_values: Mapping[str, str] | None = None,
        metadata_columns: Mapping[str, list[str]] | None = None,
    ) -> Ranking:
        """GetPersonalizedRanking: ``input_list`` reordered for the user; unknown items last without a score."""
        if not input_list:
            raise InvalidInputException("inputList must contain at least one item")
        if len(input_list) > MAX_NUM_RESULTS:
            raise InvalidInputException(f"inputList may hold at most {MAX_NUM_RESULTS} items, got {len(input_list)}")
        deployment = self.deployments.campaign(campaign_arn)
        if deployment.recipe_type != "PERSONALIZED_RANKING":
            raise InvalidInputException(
                f"GetPersonalizedRanking needs a PERSONALIZED_RANKING campaign; this one is {deployment.recipe_type}"
            )
        self._check_metadata(deployment, metadata_columns, len(input_list))
        state = self.group_data.state(deployment.group_arn)
        allowed = self._filter_mask(deployment, state, filter_arn, filter_values, user_id)
        history = state.history.items(user_id, deployment.keep)
        ranked = deployment.model.rank(history, list(dict.fromkeys(input_list)), context)
        if allowed is not None:
            position = {item: i for i, item in enumerate(deployment.model.item_ids.tolist())}
            ranked = [(item, score) for item, score in ranked if item not in position or allowed[position[item]]]
        entries = [(item, score, None) for item, score in ranked]
        return Ranking(self._items(entries, state, metadata_columns), recommendation_id())

    # ------------------------------------------------------------------ personalize-events
    def put_events(
        self, tracking_id: str, session_id: str, event_list: list[dict[str, Any]], user_id: str | None = None
    ) -> None:
        """PutEvents: stored at once, part of the user's history from the next request, and of the next training."""
        if not 1 <= len(event_list) <= 10:
            raise InvalidInputException(f"eventList must hold 1 to 10 events, got {len(event_list)}")
        tracker = self.event_trackers.by_tracking_id(tracking_id)
        group_arn = tracker.dataset_group_arn
        schema = self.group_data.interactions_schema(group_arn)
        rows = []
        for index, event in enumerate(event_list):
            where = f"eventList[{index}]"
            props = parse_properties(event.get("properties"), MAX_EVENT_PROPERTIES, where)
            forbidden = sorted(k for k in props if k.lower() in _FORBIDDEN_PROPERTIES)
            if forbidden:
                raise InvalidInputException(f"{where}: properties may not contain {', '.join(forbidden)}")
            if schema is not None:
                if event.get("event_value") is not None and "EVENT_VALUE" not in schema.names:
                    raise InvalidInputException(
                        f"{where}: eventValue was given but the Interactions schema has no EVENT_VALUE field"
                    )
                unknown = [k for k in props if property_column(k) not in schema.names]
                if unknown:
                    raise InvalidInputException(
                        f"{where}: properties {', '.join(unknown)} are not fields of the Interactions schema"
                    )
            impression = event.get("impression")
            rows.append(
                {
                    "user_id": user_id or session_id,
                    "session_id": session_id,
                    "item_id": event.get("item_id"),
                    "event_type": event["event_type"],
                    "event_value": event.get("event_value"),
                    "timestamp": _epoch(event["sent_at"], where),
                    "event_id": event.get("event_id") or str(uuid.uuid4()),
                    "recommendation_id": event.get("recommendation_id"),
                    "properties": props,
                    "impression": "|".join(impression) if impression else None,
                }
            )
        self.group_data.add_events(group_arn, rows)

    def _put_records(self, dataset_arn: str, records: list[dict[str, Any]], dataset_type: str) -> None:
        key = _RECORD_KEYS[dataset_type]
        if not 1 <= len(records) <= 10:
            raise InvalidInputException(f"{dataset_type.lower()} must hold 1 to 10 records, got {len(records)}")
        dataset = self.lifecycle.get("dataset", dataset_arn)
        if dataset.body["dataset_type"] != dataset_type:
            raise InvalidInputException(f"Dataset {dataset_arn} is a {dataset.body['dataset_type']} dataset")
        if dataset.status != ACTIVE:
            raise InvalidInputException(f"Dataset {dataset_arn} is not ACTIVE (status {dataset.status})")
        schema = self.group_data.dataset_schema(dataset)
        parsed: list[tuple[str, dict[str, Any]]] = []
        for index, record in enumerate(records):
            where = f"{dataset_type.lower()}[{index}]"
            props = parse_properties(record.get("properties"), _MAX_PROPERTIES[dataset_type], where)
            for name, value in props.items():
                f = schema.field(property_column(name))
                if f is None or f.name == key.upper():
                    raise InvalidInputException(f"{where}: property {name} is not a metadata field of the schema")
                if f.base_type in ("int", "long", "float", "double"):
                    props[name] = _number(value, f"{where}: property {name} ({f.base_type})")
            parsed.append((record[key], props))
        self.lifecycle.store.put_records(dataset.arn, parsed)
        self.group_data.refresh_records(dataset.body["dataset_group_arn"])

    def put_items(self, dataset_arn: str, items: list[dict[str, Any]]) -> None:
        """PutItems: add or replace items of an Items dataset."""
        self._put_records(dataset_arn, items, "Items")

    def put_users(self, dataset_arn: str, users: list[dict[str, Any]]) -> None:
        """PutUsers: add or replace users of a Users dataset."""
        self._put_records(dataset_arn, users, "Users")


def _item_metadata(state: GroupState, item: str, columns: list[str]) -> dict[str, str]:
    if state.items is None or item not in state.items.index:
        return {}
    row = state.items.loc[item]
    values = {}
    for column in columns:
        value = row.get(column.upper())
        if value is not None and not pd.isna(value):
            values[column] = str(value)
    return values
