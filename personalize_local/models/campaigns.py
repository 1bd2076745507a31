"""Campaigns (with UpdateCampaign), event trackers and filters."""

from __future__ import annotations

import uuid
from typing import Any

from personalize_local.exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
)
from personalize_local.filters import FilterSyntaxError, parse_filter
from personalize_local.models.base import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATING,
    BackendCore,
    CreateFailed,
    now,
    pick,
    with_token,
)
from personalize_local.models.solutions import recipe_class
from personalize_local.recipes.base import ExplorationConfig
from personalize_local.store import Resource

MAX_FILTERS_PER_GROUP = 30
LATEST = "/$LATEST"
_CAMPAIGN_SUMMARY = ("name", "campaignArn", "status", "creationDateTime", "lastUpdatedDateTime", "failureReason")
_EXPLORATION_KEYS = ("explorationWeight", "explorationItemAgeCutOff")


def exploration_config(campaign_config: dict[str, Any] | None) -> ExplorationConfig:
    """A campaign's ``itemExplorationConfig`` parsed (Personalize's defaults: weight 0.3, cut-off 30 days)."""
    raw = (campaign_config or {}).get("itemExplorationConfig") or {}
    unknown = sorted(set(raw) - set(_EXPLORATION_KEYS))
    if unknown:
        raise InvalidInputException(
            f"Unknown itemExplorationConfig key(s) {', '.join(unknown)}: use {' and '.join(_EXPLORATION_KEYS)}"
        )
    try:
        weight = float(raw.get("explorationWeight", "0.3"))
        cutoff = float(raw.get("explorationItemAgeCutOff", "30"))
    except ValueError:
        raise InvalidInputException(f"itemExplorationConfig values must be numbers, got {raw}") from None
    if not 0.0 <= weight <= 1.0:
        raise InvalidInputException(f"explorationWeight must be between 0 and 1, got {weight}")
    if cutoff <= 0:
        raise InvalidInputException(f"explorationItemAgeCutOff must be greater than 0 days, got {cutoff}")
    return ExplorationConfig(weight=weight, item_age_cutoff_days=cutoff)


class CampaignsMixin(BackendCore):
    """CreateCampaign ... DeleteFilter."""

    def register_campaign_jobs(self) -> None:
        """Hook campaign deployment and clean-ups into the lifecycle."""
        self.create_jobs["campaign"] = self._deploy_campaign
        self.delete_jobs["campaign"] = lambda campaign: self.forget_campaign(campaign.arn)

    # ------------------------------------------------------------------ campaigns
    def _resolve_version(self, solution_version_arn: str, sync: bool) -> Resource:
        """The ACTIVE solution version a campaign deploys (``<solutionArn>/$LATEST`` = the newest ACTIVE one)."""
        if sync and not solution_version_arn.endswith(LATEST):
            raise InvalidInputException("syncWithLatestSolutionVersion needs solutionVersionArn <solutionArn>/$LATEST")
        if solution_version_arn.endswith(LATEST):
            solution = self.get("solution", solution_version_arn[: -len(LATEST)])
            active = [v for v in self.store.find("solution-version", parent=solution.arn) if v.status == ACTIVE]
            if not active:
                raise ResourceInUseException(f"Solution {solution.arn} has no ACTIVE solution version")
            return active[-1]
        return self.get_active("solution-version", solution_version_arn)

    def _check_campaign_config(self, version: Resource, campaign_config: dict[str, Any] | None) -> None:
        config = campaign_config or {}
        recipe = recipe_class(version.body["recipeArn"])
        if config.get("itemExplorationConfig"):
            if recipe.recipe_type != "USER_PERSONALIZATION":
                raise InvalidInputException(
                    f"itemExplorationConfig applies to USER_PERSONALIZATION recipes, not {recipe.name}"
                )
            exploration_config(config)
        if config.get("rankingInfluence"):
            raise InvalidInputException("rankingInfluence is not supported by Personalize Local")

    def create_campaign(
        self,
        name: str,
        solutionVersionArn: str,
        minProvisionedTPS: int | None = None,
        campaignConfig: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """CreateCampaign: deploys an ACTIVE solution version."""
        self.check_name(name)
        tps = 1 if minProvisionedTPS is None else minProvisionedTPS
        if tps < 1:
            raise InvalidInputException(f"minProvisionedTPS must be at least 1, got {tps}")
        config = dict(campaignConfig or {})
        with self.lock:
            version = self._resolve_version(solutionVersionArn, bool(config.get("syncWithLatestSolutionVersion")))
            self._check_campaign_config(version, config)
            self.ensure_unique_name("campaign", name)
            arn = self.arn(f"campaign/{name}")
            body = {
                "name": name,
                "campaignArn": arn,
                "solutionVersionArn": solutionVersionArn,
                "minProvisionedTPS": tps,
                "campaignConfig": config,
            }
            internal = {"deployedVersion": version.arn, "datasetGroupArn": version.body["datasetGroupArn"]}
            self.create(Resource("campaign", arn, name, version.body["solutionArn"], body, internal), tags)
        return {"campaignArn": arn}

    def _deploy_campaign(self, campaign: Resource) -> None:
        try:
            self.load_model(campaign.internal["deployedVersion"])
        except (OSError, ValueError, KeyError) as exc:
            raise CreateFailed(f"Cannot load the model of {campaign.internal['deployedVersion']}: {exc}") from exc

    def describe_campaign(self, campaignArn: str) -> dict[str, Any]:
        """DescribeCampaign."""
        return {"campaign": self.get("campaign", campaignArn).body}

    def list_campaigns(
        self, solutionArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        """ListCampaigns."""
        if solutionArn:
            self.get("solution", solutionArn)
        found = self.store.find("campaign", parent=solutionArn or None)
        page, token = self.paginate([pick(c.body, _CAMPAIGN_SUMMARY) for c in reversed(found)], nextToken, maxResults)
        return with_token({"campaigns": page}, token)

    def update_campaign(
        self,
        campaignArn: str,
        solutionVersionArn: str | None = None,
        minProvisionedTPS: int | None = None,
        campaignConfig: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """UpdateCampaign: the campaign keeps serving; ``latestCampaignUpdate`` tracks the new deployment."""
        with self.lock:
            campaign = self.get_active("campaign", campaignArn)
            latest = campaign.body.get("latestCampaignUpdate")
            if latest and latest["status"] in CREATING:
                raise ResourceInUseException(f"Campaign {campaign.arn} has an update in progress")
            if minProvisionedTPS is not None and minProvisionedTPS < 1:
                raise InvalidInputException(f"minProvisionedTPS must be at least 1, got {minProvisionedTPS}")
            target = solutionVersionArn or campaign.body["solutionVersionArn"]
            config = dict(campaign.body["campaignConfig"] if campaignConfig is None else campaignConfig)
            version = self._resolve_version(target, bool(config.get("syncWithLatestSolutionVersion")))
            if version.body["solutionArn"] != campaign.parent:
                raise InvalidInputException("A campaign can only deploy versions of its own solution")
            self._check_campaign_config(version, config)
            stamp = now()
            campaign.body["latestCampaignUpdate"] = {
                "solutionVersionArn": target,
                "minProvisionedTPS": campaign.body["minProvisionedTPS"]
                if minProvisionedTPS is None
                else minProvisionedTPS,
                "campaignConfig": config,
                "status": CREATE_PENDING,
                "creationDateTime": stamp,
                "lastUpdatedDateTime": stamp,
            }
            campaign.internal["pendingVersion"] = version.arn
            campaign.body["lastUpdatedDateTime"] = stamp
            self.store.save(campaign)
        self.submit(self.run_campaign_update, campaign.arn)
        return {"campaignArn": campaign.arn}

    def _set_update_status(self, arn: str, status: str, failure: str | None = None) -> Resource | None:
        with self.lock:
            campaign = self.store.get(arn)
            if campaign is None or "latestCampaignUpdate" not in campaign.body:
                return None
            update = campaign.body["latestCampaignUpdate"]
            update["status"] = status
            update["lastUpdatedDateTime"] = now()
            if failure:
                update["failureReason"] = failure
            if status == ACTIVE:
                for key in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig"):
                    campaign.body[key] = update[key]
                campaign.internal["deployedVersion"] = campaign.internal.pop("pendingVersion")
                campaign.body["lastUpdatedDateTime"] = update["lastUpdatedDateTime"]
            self.store.save(campaign)
            return campaign

    def run_campaign_update(self, arn: str) -> None:
        """Worker: the update goes CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE (then it serves) or CREATE FAILED."""
        self.pause()
        campaign = self._set_update_status(arn, CREATE_IN_PROGRESS)
        if campaign is None:
            return
        self.pause()
        try:
            self.load_model(campaign.internal["pendingVersion"])
        except (OSError, ValueError, KeyError) as exc:
            self._set_update_status(arn, CREATE_FAILED, f"Cannot load the model: {exc}")
            return
        self._set_update_status(arn, ACTIVE)
        self.forget_campaign(arn)

    def resume_campaign_updates(self) -> None:
        """After a restart: finish campaign updates that were under way."""
        for campaign in self.store.find("campaign"):
            update = campaign.body.get("latestCampaignUpdate")
            if update and update["status"] in CREATING:
                self.submit(self.run_campaign_update, campaign.arn)

    def delete_campaign(self, campaignArn: str) -> dict[str, Any]:
        """DeleteCampaign."""
        with self.lock:
            self.delete(self.get("campaign", campaignArn))
        return {}

    # ------------------------------------------------------------------ event trackers
    def create_event_tracker(
        self, name: str, datasetGroupArn: str, tags: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        """CreateEventTracker: one per dataset group; its trackingId is what PutEvents takes."""
        self.check_name(name)
        with self.lock:
            group = self.get_active("dataset-group", datasetGroupArn)
            existing = self.store.find("event-tracker", parent=group.arn)
            if existing:
                raise ResourceAlreadyExistsException(
                    f"Dataset group {group.arn} already has an event tracker ({existing[0].arn})"
                )
            self.ensure_unique_name("event-tracker", name)
            arn = self.arn(f"event-tracker/{self.new_id()}")
            tracking_id = str(uuid.uuid4())
            body = {
                "name": name,
                "eventTrackerArn": arn,
                "accountId": self.config.account_id,
                "trackingId": tracking_id,
                "datasetGroupArn": group.arn,
            }
            self.create(Resource("event-tracker", arn, name, group.arn, body), tags)
        return {"eventTrackerArn": arn, "trackingId": tracking_id}

    def describe_event_tracker(self, eventTrackerArn: str) -> dict[str, Any]:
        """DescribeEventTracker."""
        return {"eventTracker": self.get("event-tracker", eventTrackerArn).body}

    def list_event_trackers(
        self, datasetGroupArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        """ListEventTrackers."""
        if datasetGroupArn:
            self.get("dataset-group", datasetGroupArn)
        keys = ("name", "eventTrackerArn", "status", "creationDateTime", "lastUpdatedDateTime")
        found = self.store.find("event-tracker", parent=datasetGroupArn or None)
        page, token = self.paginate([pick(t.body, keys) for t in reversed(found)], nextToken, maxResults)
        return with_token({"eventTrackers": page}, token)

    def delete_event_tracker(self, eventTrackerArn: str) -> dict[str, Any]:
        """DeleteEventTracker."""
        with self.lock:
            self.delete(self.get("event-tracker", eventTrackerArn))
        return {}

    def tracker_by_tracking_id(self, tracking_id: str) -> Resource:
        """The ACTIVE event tracker with this trackingId (PutEvents models only InvalidInputException)."""
        for tracker in self.store.find("event-tracker"):
            if tracker.body["trackingId"] == tracking_id:
                if tracker.status != ACTIVE:
                    raise InvalidInputException(f"Event tracker {tracker.arn} is not ACTIVE ({tracker.status})")
                return tracker
        raise InvalidInputException(f"No event tracker has the trackingId {tracking_id}")

    # ------------------------------------------------------------------ filters
    def create_filter(
        self, name: str, datasetGroupArn: str, filterExpression: str, tags: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        """CreateFilter: the expression is parsed now; a syntax error is an InvalidInputException naming the place."""
        self.check_name(name)
        try:
            parse_filter(filterExpression)
        except FilterSyntaxError as exc:
            raise InvalidInputException(f"Could not create filter. {exc}") from None
        with self.lock:
            group = self.get_active("dataset-group", datasetGroupArn)
            self.ensure_unique_name("filter", name)
            if len(self.store.find("filter", parent=group.arn)) >= MAX_FILTERS_PER_GROUP:
                raise LimitExceededException(f"At most {MAX_FILTERS_PER_GROUP} filters per dataset group")
            arn = self.arn(f"filter/{name}")
            body = {"name": name, "filterArn": arn, "datasetGroupArn": group.arn, "filterExpression": filterExpression}
            self.create(Resource("filter", arn, name, group.arn, body), tags)
        return {"filterArn": arn}

    def describe_filter(self, filterArn: str) -> dict[str, Any]:
        """DescribeFilter."""
        return {"filter": self.get("filter", filterArn).body}

    def list_filters(
        self, datasetGroupArn: str | None = None, nextToken: str | None = None, maxResults: int | None = None
    ) -> dict[str, Any]:
        """ListFilters (the response key is ``Filters``, capitalised, as in Personalize's model)."""
        if datasetGroupArn:
            self.get("dataset-group", datasetGroupArn)
        keys = ("name", "filterArn", "creationDateTime", "lastUpdatedDateTime", "datasetGroupArn", "failureReason")
        keys += ("status",)
        found = self.store.find("filter", parent=datasetGroupArn or None)
        page, token = self.paginate([pick(f.body, keys) for f in reversed(found)], nextToken, maxResults)
        return with_token({"Filters": page}, token)

    def delete_filter(self, filterArn: str) -> dict[str, Any]:
        """DeleteFilter."""
        with self.lock:
            self.delete(self.get("filter", filterArn))
        return {}
