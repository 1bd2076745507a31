"""iam_audit: API calls -> IAM requests, the botocore recorder, and the audit of a run against the template."""

from __future__ import annotations

from iam_audit.audit import audit, format_report, template_explanations
from iam_audit.evaluator import Decision, Request
from iam_audit.policies import load_policies
from iam_audit.recorder import RecordedCall
from iam_audit.requests import iam_requests

REGION, ACCOUNT = "us-east-1", "123456789012"
BUCKET = "databucket"  # iam_audit.policies.default_physical names the bucket after its logical id


def test_s3_calls_map_to_the_actions_s3_authorizes() -> None:
    [listing] = iam_requests("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "incoming/x/"}, REGION, ACCOUNT)
    assert (listing.action, listing.resource, listing.context["s3:prefix"]) == (
        "s3:ListBucket",
        "arn:aws:s3:::b",
        "incoming/x/",
    )
    [head] = iam_requests("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, REGION, ACCOUNT)
    assert (head.action, head.resource) == ("s3:GetObject", "arn:aws:s3:::b/k")
    copy = iam_requests("s3", "CopyObject", {"Bucket": "b", "Key": "t", "CopySource": "src/s"}, REGION, ACCOUNT)
    assert [(r.action, r.resource) for r in copy] == [
        ("s3:GetObject", "arn:aws:s3:::src/s"),
        ("s3:PutObject", "arn:aws:s3:::b/t"),
    ]
    [insecure] = iam_requests("s3", "GetObject", {"Bucket": "b", "Key": "k"}, REGION, ACCOUNT, secure_transport=False)
    assert insecure.context["aws:SecureTransport"] == "false"


def test_personalize_calls_name_the_resource_they_create_or_act_on() -> None:
    job = iam_requests(
        "personalize",
        "CreateDatasetImportJob",
        {"jobName": "anime-recs-1", "datasetArn": "arn:d", "roleArn": "arn:aws:iam::1:role/R"},
        REGION,
        ACCOUNT,
    )
    assert [(r.action, r.resource) for r in job] == [
        (
            "personalize:CreateDatasetImportJob",
            f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/anime-recs-1",
        ),
        ("iam:PassRole", "arn:aws:iam::1:role/R"),
    ]
    assert job[1].context["iam:PassedToService"] == "personalize.amazonaws.com"
    [listing] = iam_requests("personalize", "ListSolutions", {"datasetGroupArn": "arn:g"}, REGION, ACCOUNT)
    assert listing.resource == "*"
    ranked = iam_requests(
        "personalize",
        "GetRecommendations",
        {"campaignArn": "arn:c", "filterArn": "arn:f", "userId": "1"},
        REGION,
        ACCOUNT,
    )
    assert [r.resource for r in ranked] == ["arn:c", "arn:f"]
    [batch] = iam_requests(
        "sqs", "SendMessageBatch", {"QueueUrl": "https://sqs.x/123/q", "Entries": []}, REGION, ACCOUNT
    )
    assert (batch.action, batch.resource) == ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")


def _call(principal: str, action: str, resource: str, **context: str) -> RecordedCall:
    request = Request(action, resource, {"aws:SecureTransport": "true", **context})
    return RecordedCall(principal, action.split(":")[0], action.split(":")[1], (request,))


def test_audit_reports_a_call_the_template_does_not_grant() -> None:
    policies = load_policies()
    reports = audit(
        [_call("NotifyFunction", "sns:DeleteTopic", f"arn:aws:sns:{REGION}:{ACCOUNT}:NotificationTopic")], policies
    )
    [denial] = reports["NotifyFunction"].denied
    assert denial.decision is Decision.IMPLICIT_DENY and denial.request.action == "sns:DeleteTopic"


def test_audit_applies_the_bucket_policys_deny_of_plain_http() -> None:
    policies = load_policies()
    key = f"arn:aws:s3:::{BUCKET}/reports/r.json"
    reports = audit(
        [_call("EvaluateMetricsFunction", "s3:PutObject", key, **{"aws:SecureTransport": "false"})], policies
    )
    assert [d.decision for d in reports["EvaluateMetricsFunction"].denied] == [Decision.EXPLICIT_DENY]
    assert (
        audit([_call("EvaluateMetricsFunction", "s3:PutObject", key)], policies)["EvaluateMetricsFunction"].denied == []
    )


def test_personalize_needs_the_role_and_the_bucket_policy() -> None:
    policies = load_policies()
    read = _call("PersonalizeServiceRole", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/prepared/d/interactions.csv")
    assert audit([read], policies)["PersonalizeServiceRole"].denied == []
    outside = _call("PersonalizeServiceRole", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/incoming/d/anime.csv")
    assert len(audit([outside], policies)["PersonalizeServiceRole"].denied) == 1


def test_unused_grants_are_listed_and_only_a_template_comment_explains_them() -> None:
    policies = load_policies()
    reports = audit([], policies, template_text="Resources:\n")
    assert {g.action for g in reports["NotifyFunction"].unexplained} == {"sns:Publish"}
    text = "Resources:\n  NotifyFunction:\n    # not exercised offline: sns:Publish - a reason\n"
    assert audit([], policies, template_text=text)["NotifyFunction"].unexplained == []
    assert template_explanations(text) == {"NotifyFunction": {"sns:publish": "a reason"}}


def test_the_report_marks_principals_that_made_no_call_as_not_run() -> None:
    text = format_report(
        audit([_call("NotifyFunction", "sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:x")], load_policies())
    )
    assert "CleanupFunction" in text and "not run" in text
    assert "unused   CleanupFunction" not in text
    assert "unused   NotifyFunction: sns:Publish" in text  # ran, but published to another topic: denied, grant unused
    assert "DENIED   NotifyFunction: Publish -> sns:Publish" in text
