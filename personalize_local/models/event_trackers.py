"""Event trackers: one per dataset group; their tracking id is what PutEvents takes."""

from __future__ import annotations

import uuid

from personalize_local.exceptions import InvalidInputException, ResourceAlreadyExistsException
from personalize_local.models.domain import EventTracker, Page, from_resource, to_body
from personalize_local.models.lifecycle import ACTIVE, Lifecycle
from personalize_local.store import Resource


class EventTrackers:
    """CreateEventTracker ... DeleteEventTracker, and the tracking-id lookup of PutEvents."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    def create_event_tracker(
        self, name: str, dataset_group_arn: str, tags: list[dict[str, str]] | None = None
    ) -> EventTracker:
        """CreateEventTracker: one per dataset group."""
        lc = self.lifecycle
        lc.check_name(name)
        with lc.lock:
            group = lc.get_active("dataset-group", dataset_group_arn)
            existing = lc.store.find("event-tracker", parent=group.arn)
            if existing:
                raise ResourceAlreadyExistsException(
                    f"Dataset group {group.arn} already has an event tracker ({existing[0].arn})"
                )
            lc.ensure_unique_name("event-tracker", name)
            tracker = EventTracker(
                name=name,
                event_tracker_arn=lc.arn(f"event-tracker/{lc.new_id()}"),
                account_id=lc.config.account_id,
                tracking_id=str(uuid.uuid4()),
                dataset_group_arn=group.arn,
            )
            resource = Resource("event-tracker", tracker.event_tracker_arn, name, group.arn, to_body(tracker))
            resource = lc.create(resource, tags)
        return from_resource(EventTracker, resource)

    def describe_event_tracker(self, event_tracker_arn: str) -> EventTracker:
        """DescribeEventTracker."""
        return from_resource(EventTracker, self.lifecycle.get("event-tracker", event_tracker_arn))

    def list_event_trackers(
        self, dataset_group_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[EventTracker]:
        """ListEventTrackers (newest first)."""
        parent = ("dataset-group", dataset_group_arn)
        return self.lifecycle.list_page("event-tracker", EventTracker, next_token, max_results, parent)

    def delete_event_tracker(self, event_tracker_arn: str) -> None:
        """DeleteEventTracker."""
        with self.lifecycle.lock:
            self.lifecycle.delete(self.lifecycle.get("event-tracker", event_tracker_arn))

    def by_tracking_id(self, tracking_id: str) -> EventTracker:
        """The ACTIVE event tracker with this trackingId (PutEvents models only InvalidInputException)."""
        for resource in self.lifecycle.find("event-tracker"):
            if resource.body["tracking_id"] == tracking_id:
                if resource.status != ACTIVE:
                    raise InvalidInputException(f"Event tracker {resource.arn} is not ACTIVE ({resource.status})")
                return from_resource(EventTracker, resource)
        raise InvalidInputException(f"No event tracker has the trackingId {tracking_id}")
