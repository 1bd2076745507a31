"""The state machine definitions, the template wiring and the moto internals the offline runner patches."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from anime_recommender.pipeline.config import load_config, metric_label
from anime_recommender.pipeline.notification import error_message, metrics_table
from sam_app.intrinsics import UnresolvableError, resolve, substitute_definition
from sam_app.template import REPO_ROOT, TemplateModel, load_template

TEMPLATE = TemplateModel(load_template())
MACHINES = {
    "RetrainStateMachine": "statemachine/retrain.asl.json",
    "CleanupStateMachine": "statemachine/cleanup.asl.json",
}


def _states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state, including those inside Map iterations and Parallel branches."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        found[name] = state
        if "ItemProcessor" in state:
            found.update(_states(state["ItemProcessor"]))
        for branch in state.get("Branches", []):
            found.update(_states(branch))
    return found


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(machine: str) -> None:
    spec = TEMPLATE.state_machine(machine)
    assert spec.definition_path == REPO_ROOT / MACHINES[machine]
    text = spec.definition_path.read_text("utf-8")
    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(spec.substitutions)
    for value in spec.substitutions.values():
        logical_id = value["Fn::GetAtt"][0]
        function = TEMPLATE.function(logical_id)
        app = function.code_dir / "app.py"
        assert app.is_file(), f"{logical_id}: {app} is missing"
        assert "def lambda_handler(" in app.read_text("utf-8")


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_personalize_is_only_reached_through_lambda_tasks(machine: str) -> None:
    definition = json.loads((REPO_ROOT / MACHINES[machine]).read_text("utf-8"))
    assert definition["TimeoutSeconds"] > 0
    for name, state in _states(definition).items():
        if state["Type"] == "Task":
            assert re.fullmatch(r"\$\{\w+FunctionArn\}", state["Resource"]), f"{name}: {state['Resource']}"
            assert state.get("TimeoutSeconds"), f"{name} has no TimeoutSeconds"
            retried = {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}
            assert retried <= {
                "Lambda.ServiceException",
                "Lambda.AWSLambdaException",
                "Lambda.SdkClientException",
                "Lambda.TooManyRequestsException",
            }, f"{name}: only Lambda service errors are retried; polling is Wait + Choice"


def test_every_step_of_the_retrain_machine_is_caught_and_reported() -> None:
    definition = json.loads((REPO_ROOT / MACHINES["RetrainStateMachine"]).read_text("utf-8"))
    for name, state in definition["States"].items():
        if state["Type"] in {"Task", "Map"}:
            assert state.get("Catch"), f"{name} has no Catch"
    failure_targets = {c["Next"] for s in definition["States"].values() for c in s.get("Catch", [])}
    for target in failure_targets - {"Notify failure", "Retrained", "Pipeline failed", "Notification failed"}:
        assert definition["States"][target]["Type"] == "Pass" and target.endswith(" failed")
    assert definition["States"]["Pipeline failed"] == {
        "Type": "Fail",
        "Comment": definition["States"]["Pipeline failed"]["Comment"],
        "ErrorPath": "$.failure.error",
        "CausePath": "$.notification.summary",
    }


def test_the_overall_timeout_covers_every_poll_budget() -> None:
    definition = json.loads((REPO_ROOT / MACHINES["RetrainStateMachine"]).read_text("utf-8"))
    polling = load_config(None).polling
    budgets = [polling.lock, polling.datasets, polling.imports, polling.training, polling.deployment]
    assert definition["TimeoutSeconds"] >= sum(b.intervalSeconds * b.maxAttempts for b in budgets)
    waits = [s for s in _states(definition).values() if s["Type"] == "Wait"]
    assert waits and all("SecondsPath" in s for s in waits)


def test_the_trigger_rule_filters_object_created_under_incoming() -> None:
    rule = TEMPLATE.state_machine("RetrainStateMachine").events["DropUploaded"]
    pattern = resolve(rule["Properties"]["Pattern"], {"DataBucket": {"Ref": "bucket-1"}}, {})
    assert pattern == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["bucket-1"]}, "object": {"key": [{"prefix": "incoming/"}]}},
    }


def test_intrinsics_resolve_and_unknown_ones_fail_loudly() -> None:
    physical = {"Fn": {"Ref": "fn", "Arn": "arn:fn"}}
    pseudo = {"AWS::Region": "eu-west-1", "ProjectName": "p"}
    assert (
        resolve({"Fn::Sub": "${ProjectName}-${AWS::Region}-${Fn.Arn}-${Fn}"}, physical, pseudo)
        == "p-eu-west-1-arn:fn-fn"
    )
    with pytest.raises(UnresolvableError, match=r"GetAtt Other\.Arn"):
        resolve({"Fn::GetAtt": ["Other", "Arn"]}, physical, pseudo)
    with pytest.raises(UnresolvableError, match="placeholders with no substitution: Missing"):
        substitute_definition('{"Resource": "${Missing}"}', {})


def test_the_moto_internals_the_offline_runner_patches_still_exist() -> None:
    """moto is pinned; this fails loudly if an upgrade renames what offline.harness / offline.lambdas patch."""
    from moto.awslambda.models import LambdaFunction
    from moto.s3.responses import S3Response
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    assert callable(LambdaFunction._invoke_lambda)
    assert callable(WaitFunction._wait_interval)
    assert hasattr(retrier_decl, "time")
    assert callable(S3Response.put_object)


def test_sam_template_declares_what_the_issue_asks_for() -> None:
    resources = TEMPLATE.resources
    machine = resources["RetrainStateMachine"]["Properties"]
    assert machine["Type"] == "STANDARD" and machine["Tracing"] == {"Enabled": True}
    assert machine["Logging"]["Level"] in {"ALL", "ERROR"}
    assert {r["Type"] for r in resources.values()} >= {
        "AWS::IAM::Role",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Topic",
        "AWS::SSM::Parameter",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
    }
    pass_role = [
        statement
        for statement in resources["ImportDataFunction"]["Properties"]["Policies"][0]["Statement"]
        if statement["Action"] == "iam:PassRole"
    ]
    assert pass_role[0]["Resource"] == {"Fn::GetAtt": ["PersonalizeServiceRole", "Arn"]}
    for logical_id in TEMPLATE.resources_of_type("AWS::Serverless::Function"):
        for policy in resources[logical_id]["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any(a in {"*", "personalize:*", "s3:*"} for a in actions), logical_id


def test_notification_helpers_read_well() -> None:
    assert metric_label("normalized_discounted_cumulative_gain_at_10") == "NDCG@10"
    assert metric_label("precision_at_25") == "P@25" and metric_label("mean_reciprocal_rank_at_25") == "MRR@25"
    table = metrics_table(
        {"sims": {"coverage": 0.5, "precision_at_5": 0.01}, "user-personalization": {"coverage": 0.25}}
    )
    lines = table.splitlines()
    assert lines[0].split() == ["recipe", "coverage", "P@5"]
    assert lines[2].split() == ["sims", "0.5000", "0.0100"] and lines[3].split() == [
        "user-personalization",
        "0.2500",
        "-",
    ]
    assert len({len(line) for line in lines}) == 1
    assert error_message(json.dumps({"errorMessage": "boom", "errorType": "X"})) == "boom"
    assert error_message("States.Timeout: task timed out") == "States.Timeout: task timed out"


def test_every_asl_file_is_referenced_by_the_template() -> None:
    referenced = {
        TEMPLATE.state_machine(m).definition_path for m in TEMPLATE.resources_of_type("AWS::Serverless::StateMachine")
    }
    assert set((REPO_ROOT / "statemachine").glob("*.asl.json")) <= referenced
