"""Campaigns: deploy a solution version (CreateCampaign), redeploy while serving (UpdateCampaign)."""

from __future__ import annotations

from typing import Any

from personalize_local.exceptions import InvalidInputException, ResourceInUseException
from personalize_local.models.deployments import Deployments, exploration_config
from personalize_local.models.domain import Campaign, Page, from_resource, to_body
from personalize_local.models.lifecycle import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATING,
    CreateFailed,
    Lifecycle,
    now,
)
from personalize_local.models.model_cache import ModelCache
from personalize_local.models.solutions import recipe_class
from personalize_local.store import Resource

LATEST = "/$LATEST"


class Campaigns:
    """CreateCampaign ... DeleteCampaign."""

    def __init__(self, lifecycle: Lifecycle, models: ModelCache, deployments: Deployments) -> None:
        self.lifecycle = lifecycle
        self.models = models
        self.deployments = deployments
        lifecycle.register("campaign", create=self._deploy, delete=lambda campaign: deployments.forget(campaign.arn))

    def _resolve_version(self, solution_version_arn: str, sync: bool) -> Resource:
        """The ACTIVE solution version a campaign deploys (``<solutionArn>/$LATEST`` = the newest ACTIVE one)."""
        lc = self.lifecycle
        if sync and not solution_version_arn.endswith(LATEST):
            raise InvalidInputException("syncWithLatestSolutionVersion needs solutionVersionArn <solutionArn>/$LATEST")
        if solution_version_arn.endswith(LATEST):
            solution = lc.get("solution", solution_version_arn[: -len(LATEST)])
            active = [v for v in lc.store.find("solution-version", parent=solution.arn) if v.status == ACTIVE]
            if not active:
                raise ResourceInUseException(f"Solution {solution.arn} has no ACTIVE solution version")
            return active[-1]
        return lc.get_active("solution-version", solution_version_arn)

    @staticmethod
    def _check_config(version: Resource, config: dict[str, Any]) -> None:
        recipe = recipe_class(version.body["recipe_arn"])
        if recipe.recipe_type == "USER_SEGMENTATION":  # segments come from batch segment jobs only
            # (https://docs.aws.amazon.com/personalize/latest/dg/user-segmentation-recipes.html)
            raise InvalidInputException(f"{recipe.name} makes user segments: use CreateBatchSegmentJob, not a campaign")
        if config.get("item_exploration_config"):
            if recipe.recipe_type != "USER_PERSONALIZATION":
                raise InvalidInputException(
                    f"itemExplorationConfig applies to USER_PERSONALIZATION recipes, not {recipe.name}"
                )
            exploration_config(config)
        if config.get("ranking_influence"):
            raise InvalidInputException("rankingInfluence is not supported by Personalize Local")

    @staticmethod
    def _check_tps(tps: int | None) -> None:
        if tps is not None and tps < 1:
            raise InvalidInputException(f"minProvisionedTPS must be at least 1, got {tps}")

    def create_campaign(
        self,
        name: str,
        solution_version_arn: str,
        min_provisioned_tps: int | None = None,
        campaign_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> Campaign:
        """CreateCampaign: deploys an ACTIVE solution version."""
        lc = self.lifecycle
        lc.check_name(name)
        self._check_tps(min_provisioned_tps)
        config = dict(campaign_config or {})
        with lc.lock:
            version = self._resolve_version(solution_version_arn, bool(config.get("sync_with_latest_solution_version")))
            self._check_config(version, config)
            lc.ensure_unique_name("campaign", name)
            campaign = Campaign(
                name=name,
                campaign_arn=lc.arn(f"campaign/{name}"),
                solution_version_arn=solution_version_arn,
                min_provisioned_tps=1 if min_provisioned_tps is None else min_provisioned_tps,
                campaign_config=config,
            )
            internal = {"deployedVersion": version.arn, "datasetGroupArn": version.body["dataset_group_arn"]}
            resource = Resource(
                "campaign", campaign.campaign_arn, name, version.body["solution_arn"], to_body(campaign), internal
            )
            resource = lc.create(resource, tags)
        return from_resource(Campaign, resource)

    def _deploy(self, campaign: Resource) -> None:
        try:
            self.models.load(campaign.internal["deployedVersion"])
        except (OSError, ValueError, KeyError) as exc:
            raise CreateFailed(f"Cannot load the model of {campaign.internal['deployedVersion']}: {exc}") from exc

    def describe_campaign(self, campaign_arn: str) -> Campaign:
        """DescribeCampaign."""
        return from_resource(Campaign, self.lifecycle.get("campaign", campaign_arn))

    def list_campaigns(
        self, solution_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[Campaign]:
        """ListCampaigns (newest first)."""
        parent = ("solution", solution_arn)
        return self.lifecycle.list_page("campaign", Campaign, next_token, max_results, parent)

    def update_campaign(
        self,
        campaign_arn: str,
        solution_version_arn: str | None = None,
        min_provisioned_tps: int | None = None,
        campaign_config: dict[str, Any] | None = None,
    ) -> Campaign:
        """UpdateCampaign: the campaign keeps serving; ``latest_campaign_update`` tracks the new deployment."""
        lc = self.lifecycle
        with lc.lock:
            campaign = lc.get_active("campaign", campaign_arn)
            latest = campaign.body.get("latest_campaign_update")
            if latest and latest["status"] in CREATING:
                raise ResourceInUseException(f"Campaign {campaign.arn} has an update in progress")
            self._check_tps(min_provisioned_tps)
            target = solution_version_arn or campaign.body["solution_version_arn"]
            config = dict(campaign.body["campaign_config"] if campaign_config is None else campaign_config)
            version = self._resolve_version(target, bool(config.get("sync_with_latest_solution_version")))
            if version.body["solution_arn"] != campaign.parent:
                raise InvalidInputException("A campaign can only deploy versions of its own solution")
            self._check_config(version, config)
            stamp = now()
            campaign.body["latest_campaign_update"] = {
                "solution_version_arn": target,
                "min_provisioned_tps": campaign.body["min_provisioned_tps"]
                if min_provisioned_tps is None
                else min_provisioned_tps,
                "campaign_config": config,
                "status": CREATE_PENDING,
                "creation_date_time": stamp,
                "last_updated_date_time": stamp,
            }
            campaign.internal["pendingVersion"] = version.arn
            campaign.body["last_updated_date_time"] = stamp
            lc.store.save(campaign)
        lc.submit(self.run_update, campaign.arn)
        return from_resource(Campaign, campaign)

    def _set_update_status(self, arn: str, status: str, failure: str | None = None) -> Resource | None:
        return self.lifecycle.set_update_status(arn, "latest_campaign_update", status, failure, _apply_update)

    def run_update(self, arn: str) -> None:
        """Worker: the update goes CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE (then it serves) or CREATE FAILED."""
        self.lifecycle.pause()
        campaign = self._set_update_status(arn, CREATE_IN_PROGRESS)
        if campaign is None:
            return
        self.lifecycle.pause()
        try:
            self.models.load(campaign.internal["pendingVersion"])
        except (OSError, ValueError, KeyError) as exc:
            self._set_update_status(arn, CREATE_FAILED, f"Cannot load the model: {exc}")
            return
        self._set_update_status(arn, ACTIVE)
        self.deployments.forget(arn)

    def resume(self) -> None:
        """After a restart: finish campaign updates that were under way."""
        for campaign in self.lifecycle.store.find("campaign"):
            update = campaign.body.get("latest_campaign_update")
            if update and update["status"] in CREATING:
                self.lifecycle.submit(self.run_update, campaign.arn)

    def delete_campaign(self, campaign_arn: str) -> None:
        """DeleteCampaign."""
        with self.lifecycle.lock:
            self.lifecycle.delete(self.lifecycle.get("campaign", campaign_arn))


def _apply_update(campaign: Resource, update: dict[str, Any]) -> None:
    """An ACTIVE update becomes the campaign's settings and its pending version the deployed one."""
    for key in ("solution_version_arn", "min_provisioned_tps", "campaign_config"):
        campaign.body[key] = update[key]
    campaign.internal["deployedVersion"] = campaign.internal.pop("pendingVersion")
