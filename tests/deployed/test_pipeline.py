"""The real wiring of template.yaml on the emulator: S3 drop -> EventBridge rule -> state machine -> campaigns."""

from __future__ import annotations

import json

from tests.deployed.tier import Cloud, RetrainedDrop


def test_upload_to_incoming_runs_the_pipeline_to_success(retrained_drop: RetrainedDrop) -> None:
    """Each upload started one execution through the deployed rule; the last upload (anime.csv) retrained."""
    executions = retrained_drop.executions
    assert [e.object_key for e in executions] == retrained_drop.keys
    failed = [(e.object_key, e.error, (e.cause or "")[:3000]) for e in executions if e.status != "SUCCEEDED"]
    assert not failed, f"executions did not succeed: {failed}"
    *waiting, ran = executions
    assert [e.output.get("status") for e in waiting] == ["INCOMPLETE"] * len(waiting)
    assert ran.output.get("status") == "READY", ran.output
    assert ran.output["drop"]["dropPrefix"] == f"incoming/{retrained_drop.folder}/"


def test_campaigns_are_active_and_published(cloud: Cloud, retrained_drop: RetrainedDrop) -> None:
    """The deployed functions reached Personalize Local: campaigns ACTIVE, their ARNs and the catalog in SSM."""
    ssm = cloud.client("ssm")
    personalize = cloud.personalize()
    project = cloud.project
    for recipe in ("user-personalization", "sims", "personalized-ranking"):
        arn = ssm.get_parameter(Name=f"/{project}/campaigns/{recipe}")["Parameter"]["Value"]
        assert arn.startswith("arn:aws:personalize:"), (recipe, arn)
        assert personalize.describe_campaign(campaignArn=arn)["campaign"]["status"] == "ACTIVE"
    catalog_uri = ssm.get_parameter(Name=f"/{project}/catalog")["Parameter"]["Value"]
    ran = next(e for e in retrained_drop.executions if e.output.get("status") == "READY")
    assert catalog_uri.startswith(f"s3://{cloud.output('DataBucketName')}/prepared/{ran.output['drop']['dropId']}/")
    filters = json.loads(ssm.get_parameter(Name=f"/{project}/filters")["Parameter"]["Value"])
    assert set(filters) == {"base", "genre", "studio", "genre-studio"}
