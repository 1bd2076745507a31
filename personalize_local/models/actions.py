"""Next Best Action: PutActions, PutActionInteractions (personalize-events) and GetActionRecommendations
(personalize-runtime).

- PutActions adds or replaces actions of an Actions dataset, like PutItems
  (https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_PutActions.html).
- PutActionInteractions records 1-10 action interaction events for the event tracker's dataset group, which must have
  an Action interactions dataset; the event types are ``Viewed``, ``Taken`` and ``Not taken``; without ``userId``
  the event belongs to ``sessionId``; of several events with one ``eventId`` only the first is kept
  (https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_PutActionInteractions.html,
  https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_ActionInteraction.html). They reach the next training.
- GetActionRecommendations answers a campaign of an ``aws-next-best-action`` solution version: the actions by the
  user's propensity, highest first, at most 100, default 5; actions whose ``ACTION_EXPIRATION_TIMESTAMP`` has passed
  are left out (https://docs.aws.amazon.com/personalize/latest/dg/API_RS_GetActionRecommendations.html,
  https://docs.aws.amazon.com/personalize/latest/dg/action-dataset-requirements.html)."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from personalize_local.exceptions import InvalidInputException
from personalize_local.models.action_data import (
    ACTION_INTERACTIONS,
    ACTIONS,
    action_datasets,
    action_interactions_frame,
    actions_frame,
)
from personalize_local.models.deployments import Deployments
from personalize_local.models.event_trackers import EventTrackers
from personalize_local.models.groupdata import property_column
from personalize_local.models.lifecycle import Lifecycle
from personalize_local.models.serving import Serving, parse_properties, recommendation_id
from personalize_local.recipes.next_best_action import event_kind

DEFAULT_NUM_RESULTS = 5
MAX_NUM_RESULTS = 100
MAX_EVENTS = 10
MAX_PROPERTIES = 1024
EVENT_TYPES = ("Viewed", "Taken", "Not taken")
_EVENT_KEYS = {re.sub(r"[^A-Za-z]", "", t).upper() for t in EVENT_TYPES}
_RESERVED_PROPERTIES = {"userid", "sessionid", "actionid", "eventtype", "timestamp", "recommendationid", "impression"}


@dataclass(frozen=True)
class ActionRecommendations:
    """GetActionRecommendations' answer."""

    action_list: list[dict[str, Any]]
    recommendation_id: str


class Actions:
    """PutActions, PutActionInteractions and GetActionRecommendations."""

    def __init__(
        self, lifecycle: Lifecycle, serving: Serving, event_trackers: EventTrackers, deployments: Deployments
    ) -> None:
        self.lifecycle = lifecycle
        self.serving = serving
        self.event_trackers = event_trackers
        self.deployments = deployments

    # ------------------------------------------------------------------ personalize-events
    def put_actions(self, dataset_arn: str, actions: list[dict[str, Any]]) -> None:
        """PutActions: add or replace actions of an Actions dataset (properties checked against its schema)."""
        self.serving._put_records(dataset_arn, actions, ACTIONS)

    def put_action_interactions(self, tracking_id: str, action_interactions: list[dict[str, Any]]) -> None:
        """PutActionInteractions: stored at once, part of the user's history and of the next training."""
        if not 1 <= len(action_interactions) <= MAX_EVENTS:
            raise InvalidInputException(
                f"actionInteractions must hold 1 to {MAX_EVENTS} events, got {len(action_interactions)}"
            )
        tracker = self.event_trackers.by_tracking_id(tracking_id)
        dataset = action_datasets(self.lifecycle, tracker.dataset_group_arn).get(ACTION_INTERACTIONS)
        if dataset is None:
            raise InvalidInputException(
                f"Dataset group {tracker.dataset_group_arn} has no ACTIVE Action interactions dataset"
            )
        schema = self.serving.group_data.dataset_schema(dataset)
        rows = [
            self._row(event, f"actionInteractions[{i}]", schema.names) for i, event in enumerate(action_interactions)
        ]
        known = {event_id for event_id, _ in self.lifecycle.store.records(dataset.arn)}
        fresh: list[tuple[str, dict[str, Any]]] = []
        for event_id, row in rows:
            if event_id not in known:  # only the first event with an eventId is kept
                known.add(event_id)
                fresh.append((event_id, row))
        if fresh:
            self.lifecycle.store.put_records(dataset.arn, fresh)

    @staticmethod
    def _row(event: dict[str, Any], where: str, columns: list[str]) -> tuple[str, dict[str, Any]]:
        event_type = event["event_type"]
        if re.sub(r"[^A-Za-z]", "", event_type).upper() not in _EVENT_KEYS:
            raise InvalidInputException(
                f"{where}: eventType must be one of {', '.join(EVENT_TYPES)}, got {event_type!r}"
            )
        props = parse_properties(event.get("properties"), MAX_PROPERTIES, where)
        forbidden = sorted(k for k in props if k.lower() in _RESERVED_PROPERTIES)
        if forbidden:
            raise InvalidInputException(f"{where}: properties may not contain {', '.join(forbidden)}")
        unknown = [k for k in props if property_column(k) not in columns]
        if unknown:
            raise InvalidInputException(
                f"{where}: properties {', '.join(unknown)} are not fields of the Action interactions schema"
            )
        timestamp = event["timestamp"]
        row: dict[str, Any] = {
            "USER_ID": event.get("user_id") or event["session_id"],
            "ACTION_ID": event["action_id"],
            "TIMESTAMP": int(timestamp.timestamp() if hasattr(timestamp, "timestamp") else float(timestamp)),
            "EVENT_TYPE": event_type,
            **{property_column(k): v for k, v in props.items()},
        }
        if event.get("recommendation_id") and "RECOMMENDATION_ID" in columns:
            row["RECOMMENDATION_ID"] = event["recommendation_id"]
        if event.get("impression") and "IMPRESSION" in columns:
            row["IMPRESSION"] = "|".join(event["impression"])
        return event.get("event_id") or str(uuid.uuid4()), row

    # ------------------------------------------------------------------ personalize-runtime
    def get_action_recommendations(
        self,
        campaign_arn: str | None = None,
        user_id: str | None = None,
        num_results: int | None = None,
        filter_arn: str | None = None,
        filter_values: dict[str, str] | None = None,
    ) -> ActionRecommendations:
        """GetActionRecommendations: the user's actions by propensity (expired actions left out)."""
        if not campaign_arn:
            raise InvalidInputException("campaignArn is required")
        if not user_id:
            raise InvalidInputException("userId is required")
        n = DEFAULT_NUM_RESULTS if num_results is None else num_results
        if not 0 <= n <= MAX_NUM_RESULTS:
            raise InvalidInputException(f"numResults must be between 0 and {MAX_NUM_RESULTS}, got {n}")
        if filter_arn is not None or filter_values:
            raise InvalidInputException("Filters on action recommendations are not supported by Personalize Local")
        deployment = self.deployments.campaign(campaign_arn)
        if deployment.recipe_type != "PERSONALIZED_ACTIONS":
            raise InvalidInputException(
                f"Campaign {campaign_arn} does not serve aws-next-best-action: call GetRecommendations instead"
            )
        datasets = action_datasets(self.lifecycle, deployment.group_arn)
        history = self._taken(action_interactions_frame(self.lifecycle, datasets.get(ACTION_INTERACTIONS)), user_id)
        allowed = self._not_expired(actions_frame(self.lifecycle, datasets.get(ACTIONS)), deployment.model.item_ids)
        scored = deployment.model.recommend(history, n, allowed)
        return ActionRecommendations(
            [{"action_id": action, "score": score} for action, score in scored], recommendation_id()
        )

    @staticmethod
    def _taken(interactions: pd.DataFrame | None, user_id: str) -> list[str]:
        """The actions ``user_id`` took, oldest first."""
        if interactions is None or interactions.empty:
            return []
        mine = interactions[interactions["USER_ID"].astype(str) == user_id].sort_values("TIMESTAMP", kind="stable")
        taken = mine["EVENT_TYPE"].map(event_kind).eq("TAKEN")
        return mine.loc[taken, "ACTION_ID"].astype(str).tolist()

    @staticmethod
    def _not_expired(actions: pd.DataFrame | None, action_ids: np.ndarray) -> np.ndarray | None:
        """The mask of actions whose ACTION_EXPIRATION_TIMESTAMP has not passed (None: no expirations)."""
        if actions is None or "ACTION_EXPIRATION_TIMESTAMP" not in actions.columns:
            return None
        expiry = pd.to_numeric(actions["ACTION_EXPIRATION_TIMESTAMP"], errors="coerce")
        expired = set(actions.loc[expiry.notna() & (expiry < time.time()), "ACTION_ID"].astype(str))
        if not expired:
            return None
        return np.array([action not in expired for action in action_ids.tolist()], dtype=bool)
