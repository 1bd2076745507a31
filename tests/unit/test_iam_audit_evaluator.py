"""iam_audit.evaluator against the examples of AWS's IAM documentation (each test names its page)."""

from __future__ import annotations

import pytest

from iam_audit.evaluator import Decision, Principal, Request, evaluate, evaluate_same_account, wildcard_match

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"


def allow(action: object, resource: object = "*", **extra: object) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def test_explicit_deny_beats_allow_and_nothing_is_an_implicit_deny() -> None:
    """reference_policies_evaluation-logic.html: an explicit deny overrides any allow; no allow is an implicit deny."""
    policies = [
        allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/*"),
        {"Statement": {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}},
    ]
    assert evaluate(policies, Request("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a")) is Decision.ALLOW
    delete = Request("s3:DeleteObject", "arn:aws:s3:::amzn-s3-demo-bucket/a")
    assert evaluate(policies, delete) is Decision.EXPLICIT_DENY
    assert evaluate(policies, Request("s3:GetObject", "arn:aws:s3:::other/a")) is Decision.IMPLICIT_DENY
    assert evaluate([], delete) is Decision.IMPLICIT_DENY


def test_action_names_are_case_insensitive_resources_are_not() -> None:
    """reference_policies_elements_action.html ("iam:ListAccessKeys" == "IAM:listaccesskeys");
    reference_policies_elements_resource.html (ARNs are case sensitive)."""
    policy = allow("IAM:listaccesskeys", "arn:aws:iam::123456789012:user/Bob")
    assert evaluate([policy], Request("iam:ListAccessKeys", "arn:aws:iam::123456789012:user/Bob")) is Decision.ALLOW
    assert evaluate([policy], Request("iam:ListAccessKeys", "arn:aws:iam::123456789012:user/bob")) is (
        Decision.IMPLICIT_DENY
    )


def test_wildcards_in_actions_and_resources() -> None:
    """reference_policies_elements_resource.html: ``*`` any characters (also across ``/``), ``?`` one character."""
    assert wildcard_match("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket/a/b/c.csv")
    assert wildcard_match("arn:aws:iam::123456789012:user/?ob", "arn:aws:iam::123456789012:user/Bob")
    assert not wildcard_match("arn:aws:iam::123456789012:user/?ob", "arn:aws:iam::123456789012:user/Boob")
    assert not wildcard_match("arn:aws:s3:::bucket.name/*", "arn:aws:s3:::bucketXname/key")  # "." is literal
    policy = allow("personalize:Describe*", "arn:aws:personalize:us-east-1:123456789012:solution/anime-recs-*")
    solution_version = "arn:aws:personalize:us-east-1:123456789012:solution/anime-recs-sims/3f2a"
    assert evaluate([policy], Request("personalize:DescribeSolutionVersion", solution_version)) is Decision.ALLOW
    assert evaluate([policy], Request("personalize:DeleteSolution", solution_version)) is Decision.IMPLICIT_DENY


def test_not_action_allows_everything_else() -> None:
    """reference_policies_elements_notaction.html: Allow + NotAction iam:* allows every non-IAM action."""
    policy = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    assert evaluate([policy], Request("s3:GetObject", "arn:aws:s3:::b/k")) is Decision.ALLOW
    assert evaluate([policy], Request("iam:CreateUser", "arn:aws:iam::123456789012:user/x")) is (Decision.IMPLICIT_DENY)


def test_string_like_on_s3_prefix_and_a_missing_key() -> None:
    """AmazonS3/latest/userguide/amazon-s3-policy-keys.html (s3:prefix on ListBucket) and
    reference_policies_elements_condition_operators.html: a key absent from the request makes the condition false."""
    policy = allow(
        "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket", Condition={"StringLike": {"s3:prefix": ["home/*"]}}
    )
    bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
    assert evaluate([policy], Request("s3:ListBucket", bucket, {"s3:prefix": "home/David/"})) is Decision.ALLOW
    assert evaluate([policy], Request("s3:ListBucket", bucket, {"s3:prefix": "private/"})) is Decision.IMPLICIT_DENY
    assert evaluate([policy], Request("s3:ListBucket", bucket)) is Decision.IMPLICIT_DENY


def test_negated_operators_if_exists_and_set_operators_with_a_missing_key() -> None:
    """reference_policies_elements_condition_operators.html: StringNotLike with the key absent is true; ...IfExists
    is true when the key is absent; reference_policies_condition-single-vs-multi-valued-context-keys.html:
    ForAllValues is true when the key is absent, ForAnyValue false."""
    request = Request("s3:GetObject", "arn:aws:s3:::b/k")
    for condition, expected in (
        ({"StringNotLike": {"s3:prefix": "x*"}}, Decision.ALLOW),
        ({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}, Decision.ALLOW),
        ({"StringEquals": {"ec2:InstanceType": "t3.micro"}}, Decision.IMPLICIT_DENY),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, Decision.ALLOW),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}, Decision.IMPLICIT_DENY),
    ):
        assert evaluate([allow("s3:GetObject", Condition=condition)], request) is expected, condition
    tagged = Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:TagKeys": ["env", "owner"]})
    only_env = allow("s3:GetObject", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}})
    any_env = allow("s3:GetObject", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}})
    assert evaluate([only_env], tagged) is Decision.IMPLICIT_DENY
    assert evaluate([any_env], tagged) is Decision.ALLOW


def test_several_operators_and_keys_are_anded_values_are_ored() -> None:
    """reference_policies_condition-logic-multiple-context-keys-or-values.html."""
    condition = {"StringEquals": {"aws:SourceAccount": "123456789012", "iam:PassedToService": ["a", "b"]}}
    policy = allow("iam:PassRole", Condition=condition)
    both = {"aws:SourceAccount": "123456789012", "iam:PassedToService": "b"}
    assert evaluate([policy], Request("iam:PassRole", "arn:r", both)) is Decision.ALLOW
    assert evaluate([policy], Request("iam:PassRole", "arn:r", {**both, "iam:PassedToService": "c"})) is (
        Decision.IMPLICIT_DENY
    )
    assert evaluate([policy], Request("iam:PassRole", "arn:r", {"aws:SourceAccount": "123456789012"})) is (
        Decision.IMPLICIT_DENY
    )


def test_deny_insecure_transport_bucket_policy() -> None:
    """AmazonS3/latest/userguide/security-best-practices.html: Deny s3:* when aws:SecureTransport is false."""
    bucket_policy = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    identity = [allow("s3:GetObject", "arn:aws:s3:::b/*")]
    role = Principal("AWS", "arn:aws:iam::123456789012:role/r")
    https = Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "true"}, role)
    http = Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "false"}, role)
    assert evaluate_same_account(identity, bucket_policy, https) is Decision.ALLOW
    assert evaluate_same_account(identity, bucket_policy, http) is Decision.EXPLICIT_DENY


def test_a_resource_policy_allow_names_its_principal() -> None:
    """reference_policies_elements_principal.html: a service principal statement applies to that service only."""
    bucket_policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "personalize.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/prepared/*",
            }
        ]
    }
    personalize = Principal("Service", "personalize.amazonaws.com")
    other = Principal("Service", "glue.amazonaws.com")
    assert evaluate([bucket_policy], Request("s3:GetObject", "arn:aws:s3:::b/prepared/x", {}, personalize)) is (
        Decision.ALLOW
    )
    assert evaluate([bucket_policy], Request("s3:GetObject", "arn:aws:s3:::b/prepared/x", {}, other)) is (
        Decision.IMPLICIT_DENY
    )


def test_an_unsupported_operator_is_an_error_not_a_silent_match() -> None:
    with pytest.raises(ValueError, match="NumericLessThan"):
        evaluate(
            [allow("s3:GetObject", Condition={"NumericLessThan": {"s3:max-keys": "10"}})], Request("s3:GetObject", "a")
        )
