"""Serving: GetRecommendations, GetPersonalizedRanking (personalize-runtime) and PutEvents, PutItems, PutUsers
(personalize-events), with the caches that keep serving fast: loaded models, per-campaign deployments, and per
dataset group histories that PutEvents updates in place."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from personalize_local.exceptions import InvalidInputException
from personalize_local.filters import FilterContext, FilterExpression, FilterValueError, parse_filter
from personalize_local.models.base import ACTIVE, BackendCore
from personalize_local.models.campaigns import exploration_config
from personalize_local.models.groupdata import (
    Event,
    HistoryIndex,
    TrainingFrames,
    events_frame,
    property_column,
    records_frame,
)
from personalize_local.recipes import registry
from personalize_local.recipes.base import ExplorationConfig, Scored, TrainedModel
from personalize_local.store import Resource

DEFAULT_NUM_RESULTS = 25
MAX_NUM_RESULTS = 500
MAX_WITH_METADATA = 50
MAX_FILTER_VALUES = 25
MAX_EVENT_PROPERTIES = 1024
_FORBIDDEN_PROPERTIES = {"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"}
_MAX_PROPERTIES = {"Items": 32000, "Users": 24000}


@dataclass
class GroupState:
    """Serving-time data of one dataset group."""

    history: HistoryIndex
    items: pd.DataFrame | None  # Items dataset + PutItems, indexed by ITEM_ID
    users: pd.DataFrame | None  # Users dataset + PutUsers, indexed by USER_ID
    user_rows: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Deployment:
    """What a campaign serves."""

    group_arn: str
    model: TrainedModel
    recipe_type: str
    exploration: ExplorationConfig | None
    keep: Callable[[Event], bool] | None  # the solution's eventType / eventValueThreshold on histories
    metadata_enabled: bool


def _event_filter(solution_body: Mapping[str, Any]) -> Callable[[Event], bool] | None:
    event_type = (solution_body.get("eventType") or "").lower()
    threshold = (solution_body.get("solutionConfig") or {}).get("eventValueThreshold")
    limit = None if threshold is None else float(threshold)
    if not event_type and limit is None:
        return None

    def keep(event: Event) -> bool:
        if event_type and event[2].lower() != event_type:
            return False
        return limit is None or (event[3] is not None and event[3] >= limit)

    return keep


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


def _properties(raw: str | None, limit: int, where: str) -> dict[str, Any]:
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


class RuntimeMixin(BackendCore):
    """personalize-runtime and personalize-events operations, and the data caches they share with training."""

    def init_runtime(self) -> None:
        """Empty caches."""
        self._runtime_lock = threading.RLock()
        self._groups: dict[str, GroupState] = {}
        self._models: dict[str, TrainedModel] = {}
        self._deployments: dict[str, Deployment] = {}
        self._filters: dict[str, FilterExpression] = {}

    # ------------------------------------------------------------------ data of a dataset group
    def _bulk(self, dataset: Resource | None) -> pd.DataFrame | None:
        return None if dataset is None else self.files.read_bulk(dataset.internal["id"])

    def group_frames(self, group_arn: str) -> TrainingFrames:
        """Interactions (bulk + streamed events, duplicates dropped), Items and Users (bulk + put records)."""
        datasets = self.datasets_of(group_arn)
        interactions_ds = datasets.get("Interactions")
        schema = self.dataset_schema(interactions_ds) if interactions_ds else None
        bulk = self._bulk(interactions_ds)
        live = events_frame(self.store.events(group_arn), schema)
        parts = [frame for frame in (bulk, live) if frame is not None and len(frame)]
        if parts:
            interactions = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        else:
            interactions = pd.DataFrame({"USER_ID": [], "ITEM_ID": [], "TIMESTAMP": []})
        interactions["TIMESTAMP"] = interactions["TIMESTAMP"].astype("int64")
        key = [c for c in ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE") if c in interactions.columns]
        interactions = interactions.drop_duplicates(subset=key, keep="first").reset_index(drop=True)
        items = self._put_overlay(datasets.get("Items"), "Items")
        users = self._put_overlay(datasets.get("Users"), "Users")
        return TrainingFrames(interactions, items, users)

    def _put_overlay(self, dataset: Resource | None, dataset_type: str) -> pd.DataFrame | None:
        if dataset is None:
            return None
        return records_frame(self._bulk(dataset), self.store.records(dataset.arn), dataset_type)

    def _group_state(self, group_arn: str) -> GroupState:
        state = self._groups.get(group_arn)
        if state is not None:
            return state
        with self._runtime_lock:
            state = self._groups.get(group_arn)
            if state is None:
                datasets = self.datasets_of(group_arn)
                history = HistoryIndex(self._bulk(datasets.get("Interactions")), self.store.events(group_arn))
                state = self._groups[group_arn] = self._with_records(group_arn, history)
            return state

    def _with_records(self, group_arn: str, history: HistoryIndex) -> GroupState:
        """A group state around ``history`` with fresh Items and Users tables (bulk + put records)."""
        datasets = self.datasets_of(group_arn)
        items = self._put_overlay(datasets.get("Items"), "Items")
        users = self._put_overlay(datasets.get("Users"), "Users")
        return GroupState(
            history=history,
            items=None if items is None else items.set_index(items["ITEM_ID"].astype(str), drop=False),
            users=None if users is None else users.set_index(users["USER_ID"].astype(str), drop=False),
        )

    def refresh_records(self, group_arn: str) -> None:
        """After PutItems/PutUsers: rebuild the group's Items/Users tables, keep its history index."""
        with self._runtime_lock:
            state = self._groups.get(group_arn)
            if state is not None:
                self._groups[group_arn] = self._with_records(group_arn, state.history)

    def forget_dataset_group(self, group_arn: str) -> None:
        """Drop a dataset group's serving data (after an import, a delete)."""
        with self._runtime_lock:
            self._groups.pop(group_arn, None)

    # ------------------------------------------------------------------ models and deployments
    def load_model(self, version_arn: str) -> TrainedModel:
        """A solution version's trained model (loaded once, then cached)."""
        model = self._models.get(version_arn)
        if model is None:
            version = self.store.get(version_arn)
            if version is None:
                raise KeyError(f"solution version {version_arn} no longer exists")
            recipe = registry.get_recipe(version.internal["recipe"])
            model = recipe.model_class().load(self.files.model_dir(version.internal["modelId"]))
            self._models[version_arn] = model
        return model

    def forget_model(self, version_arn: str) -> None:
        """Drop a deleted solution version's model from the cache."""
        self._models.pop(version_arn, None)

    def forget_campaign(self, campaign_arn: str) -> None:
        """Drop a campaign's cached deployment (after an update or delete)."""
        self._deployments.pop(campaign_arn, None)

    def _deployment(self, campaign_arn: str) -> Deployment:
        deployment = self._deployments.get(campaign_arn)
        if deployment is not None:
            return deployment
        campaign = self.get("campaign", campaign_arn)
        if campaign.status != ACTIVE:
            raise InvalidInputException(f"Campaign {campaign_arn} is not ACTIVE (status {campaign.status})")
        version = self.get("solution-version", campaign.internal["deployedVersion"])
        recipe = registry.get_recipe(version.internal["recipe"])
        explore = recipe.recipe_type == "USER_PERSONALIZATION" and recipe.name != "aws-popularity-count"
        config = campaign.body.get("campaignConfig") or {}
        deployment = Deployment(
            group_arn=version.body["datasetGroupArn"],
            model=self.load_model(version.arn),
            recipe_type=recipe.recipe_type,
            exploration=exploration_config(config) if explore else None,
            keep=_event_filter(version.body),
            metadata_enabled=bool(config.get("enableMetadataWithRecommendations")),
        )
        self._deployments[campaign_arn] = deployment
        return deployment

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
        resource = self.get("filter", filter_arn)
        if resource.status != ACTIVE:
            raise InvalidInputException(f"Filter {filter_arn} is not ACTIVE (status {resource.status})")
        if resource.parent != deployment.group_arn:
            raise InvalidInputException(f"Filter {filter_arn} belongs to another dataset group than the campaign")
        expression = self._filters.get(filter_arn)
        if expression is None:
            expression = self._filters[filter_arn] = parse_filter(resource.body["filterExpression"])
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

    # ------------------------------------------------------------------ personalize-runtime
    def _shape(
        self, scored: list[Scored], state: GroupState, metadata_columns: Mapping[str, list[str]] | None
    ) -> list[dict[str, Any]]:
        columns = (metadata_columns or {}).get("ITEMS") or []
        out: list[dict[str, Any]] = []
        for item, score in scored:
            entry: dict[str, Any] = {"itemId": item}
            if score is not None:
                entry["score"] = round(float(score), 7)
            if columns:
                entry["metadata"] = self._item_metadata(state, item, columns)
            out.append(entry)
        return out

    @staticmethod
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

    def _check_metadata(self, deployment: Deployment, metadata_columns: Mapping[str, list[str]] | None, n: int) -> None:
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
        campaignArn: str | None = None,
        itemId: str | None = None,
        userId: str | None = None,
        numResults: int | None = None,
        context: Mapping[str, str] | None = None,
        filterArn: str | None = None,
        filterValues: Mapping[str, str] | None = None,
        recommenderArn: str | None = None,
        promotions: list[dict[str, Any]] | None = None,
        metadataColumns: Mapping[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        """GetRecommendations for a user (user-personalization recipes) or an item (related-items recipes)."""
        if recommenderArn:
            raise InvalidInputException("Recommenders (domain dataset groups) are not supported; use a campaignArn")
        if not campaignArn:
            raise InvalidInputException("campaignArn is required")
        if promotions:
            raise InvalidInputException("promotions are not supported by Personalize Local")
        n = DEFAULT_NUM_RESULTS if numResults is None else numResults
        if not 0 <= n <= MAX_NUM_RESULTS:
            raise InvalidInputException(f"numResults must be between 0 and {MAX_NUM_RESULTS}, got {n}")
        deployment = self._deployment(campaignArn)
        self._check_metadata(deployment, metadataColumns, n)
        state = self._group_state(deployment.group_arn)
        if deployment.recipe_type == "USER_PERSONALIZATION":
            if not userId:
                raise InvalidInputException("userId is required for a campaign with a USER_PERSONALIZATION recipe")
            allowed = self._filter_mask(deployment, state, filterArn, filterValues, userId)
            history = state.history.items(userId, deployment.keep)
            scored = deployment.model.recommend(history, n, allowed, deployment.exploration, context)
        elif deployment.recipe_type == "RELATED_ITEMS":
            if not itemId:
                raise InvalidInputException("itemId is required for a campaign with a RELATED_ITEMS recipe")
            allowed = self._filter_mask(deployment, state, filterArn, filterValues, userId, itemId)
            scored = deployment.model.related(itemId, n, allowed)
        else:
            raise InvalidInputException(
                "This campaign's recipe is PERSONALIZED_RANKING: call GetPersonalizedRanking instead"
            )
        return {"itemList": self._shape(scored[:n], state, metadataColumns), "recommendationId": _recommendation_id()}

    def get_personalized_ranking(
        self,
        campaignArn: str,
        inputList: list[str],
        userId: str,
        context: Mapping[str, str] | None = None,
        filterArn: str | None = None,
        filterValues: Mapping[str, str] | None = None,
        metadataColumns: Mapping[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        """GetPersonalizedRanking: ``inputList`` reordered for the user; unknown items last without a score."""
        if not inputList:
            raise InvalidInputException("inputList must contain at least one item")
        if len(inputList) > MAX_NUM_RESULTS:
            raise InvalidInputException(f"inputList may hold at most {MAX_NUM_RESULTS} items, got {len(inputList)}")
        deployment = self._deployment(campaignArn)
        if deployment.recipe_type != "PERSONALIZED_RANKING":
            raise InvalidInputException(
                f"GetPersonalizedRanking needs a PERSONALIZED_RANKING campaign; this one is {deployment.recipe_type}"
            )
        self._check_metadata(deployment, metadataColumns, len(inputList))
        state = self._group_state(deployment.group_arn)
        allowed = self._filter_mask(deployment, state, filterArn, filterValues, userId)
        ranked = deployment.model.rank(
            state.history.items(userId, deployment.keep), list(dict.fromkeys(inputList)), context
        )
        if allowed is not None:
            position = {item: i for i, item in enumerate(deployment.model.item_ids.tolist())}
            ranked = [(item, score) for item, score in ranked if item not in position or allowed[position[item]]]
        return {
            "personalizedRanking": self._shape(ranked, state, metadataColumns),
            "recommendationId": _recommendation_id(),
        }

    # ------------------------------------------------------------------ personalize-events
    def put_events(
        self, trackingId: str, sessionId: str, eventList: list[dict[str, Any]], userId: str | None = None
    ) -> dict[str, Any]:
        """PutEvents: stored at once, part of the user's history from the next request, and of the next training."""
        if not 1 <= len(eventList) <= 10:
            raise InvalidInputException(f"eventList must hold 1 to 10 events, got {len(eventList)}")
        tracker = self.tracker_by_tracking_id(trackingId)
        group_arn = tracker.body["datasetGroupArn"]
        interactions = self.datasets_of(group_arn).get("Interactions")
        schema = self.dataset_schema(interactions) if interactions else None
        rows = []
        for index, event in enumerate(eventList):
            where = f"eventList[{index}]"
            props = _properties(event.get("properties"), MAX_EVENT_PROPERTIES, where)
            forbidden = sorted(k for k in props if k.lower() in _FORBIDDEN_PROPERTIES)
            if forbidden:
                raise InvalidInputException(f"{where}: properties may not contain {', '.join(forbidden)}")
            if schema is not None:
                unknown = [k for k in props if property_column(k) not in schema.names]
                if unknown:
                    raise InvalidInputException(
                        f"{where}: properties {', '.join(unknown)} are not fields of the Interactions schema"
                    )
            impression = event.get("impression")
            rows.append(
                {
                    "user_id": userId or sessionId,
                    "session_id": sessionId,
                    "item_id": event.get("itemId"),
                    "event_type": event["eventType"],
                    "event_value": event.get("eventValue"),
                    "timestamp": _epoch(event["sentAt"], where),
                    "event_id": event.get("eventId") or str(uuid.uuid4()),
                    "recommendation_id": event.get("recommendationId"),
                    "properties": json.dumps(props) if props else None,
                    "impression": "|".join(impression) if impression else None,
                }
            )
        with self._runtime_lock:
            self.store.add_events(group_arn, rows)
            state = self._groups.get(group_arn)
            if state is not None:
                for row in rows:
                    state.history.add(row)
        return {}

    def _put_records(self, dataset_arn: str, records: list[dict[str, Any]], dataset_type: str) -> None:
        key = "itemId" if dataset_type == "Items" else "userId"
        if not 1 <= len(records) <= 10:
            raise InvalidInputException(f"{dataset_type.lower()} must hold 1 to 10 records, got {len(records)}")
        dataset = self.get("dataset", dataset_arn)
        if dataset.body["datasetType"] != dataset_type:
            raise InvalidInputException(f"Dataset {dataset_arn} is a {dataset.body['datasetType']} dataset")
        if dataset.status != ACTIVE:
            raise InvalidInputException(f"Dataset {dataset_arn} is not ACTIVE (status {dataset.status})")
        schema = self.dataset_schema(dataset)
        parsed: list[tuple[str, dict[str, Any]]] = []
        for index, record in enumerate(records):
            where = f"{dataset_type.lower()}[{index}]"
            props = _properties(record.get("properties"), _MAX_PROPERTIES[dataset_type], where)
            for name, value in props.items():
                f = schema.field(property_column(name))
                if f is None or f.name in ("ITEM_ID", "USER_ID"):
                    raise InvalidInputException(f"{where}: property {name} is not a metadata field of the schema")
                if f.base_type in ("int", "long", "float", "double"):
                    props[name] = _number(value, f"{where}: property {name} ({f.base_type})")
            parsed.append((record[key], props))
        self.store.put_records(dataset.arn, parsed)
        self.refresh_records(dataset.body["datasetGroupArn"])

    def put_items(self, datasetArn: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        """PutItems: add or replace items of an Items dataset."""
        self._put_records(datasetArn, items, "Items")
        return {}

    def put_users(self, datasetArn: str, users: list[dict[str, Any]]) -> dict[str, Any]:
        """PutUsers: add or replace users of a Users dataset."""
        self._put_records(datasetArn, users, "Users")
        return {}


def _number(value: Any, where: str) -> float | int:
    if not isinstance(value, bool):
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except (TypeError, ValueError):
            pass
    raise InvalidInputException(f"{where} must be a number, got {value!r}")


def _recommendation_id() -> str:
    """``RID-`` + a UUID: 40 characters, the limit PutEvents accepts for ``recommendationId``."""
    return f"RID-{uuid.uuid4()}"
