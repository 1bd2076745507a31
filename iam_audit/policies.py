"""Each principal's policies from template.yaml, intrinsics resolved for one account and region.

Principals: every ``AWS::Serverless::Function`` (its ``Policies``: inline statements and SAM policy templates),
the ``PersonalizeServiceRole`` and the ``DataBucketPolicy`` (a resource policy). Resource names resolve to the
offline stack's physical values where it has them and to deterministic names elsewhere (a queue named after its
logical id, ...), so a test that creates those resources under those names evaluates real ARNs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sam_app.intrinsics import resolve
from sam_app.template import TemplateModel

#: The SAM policy templates the template uses, as aws-sam-translator's policy_templates.json defines them
#: (samtranslator/policy_templates_data/policy_templates.json); any other template name is an error here.
SAM_POLICY_TEMPLATES: dict[str, dict[str, Any]] = {
    "SNSPublishMessagePolicy": {
        "Statement": [
            {
                "Action": ["sns:Publish"],
                "Effect": "Allow",
                "Resource": {
                    "Fn::Sub": [
                        "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${topicName}",
                        {"topicName": {"Ref": "TopicName"}},
                    ]
                },
            }
        ]
    },
    "LambdaInvokePolicy": {
        "Statement": [
            {
                "Action": ["lambda:InvokeFunction"],
                "Effect": "Allow",
                "Resource": {
                    "Fn::Sub": [
                        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*",
                        {"functionName": {"Ref": "FunctionName"}},
                    ]
                },
            }
        ]
    },
}
SERVICE_ROLE = "PersonalizeServiceRole"
BUCKET_POLICY = "DataBucketPolicy"


@dataclass(frozen=True)
class TemplatePolicies:
    """Resolved policies: principal logical id -> identity policies, plus the bucket's resource policy."""

    identity: dict[str, list[dict[str, Any]]]
    bucket_policy: dict[str, Any]
    bucket_arn: str


def default_physical(template: TemplateModel, region: str, account: str) -> dict[str, dict[str, str]]:
    """Deterministic physical values for every resource (name = logical id) in ``account`` and ``region``."""
    values: dict[str, dict[str, str]] = {}
    for logical_id, spec in template.resources.items():
        kind = spec.get("Type", "")
        arn = f"arn:aws:{logical_id}"
        entry = {"Ref": logical_id}
        if kind == "AWS::S3::Bucket":
            arn = f"arn:aws:s3:::{logical_id.lower()}"
            entry["Ref"] = logical_id.lower()
        elif kind == "AWS::SQS::Queue":
            arn = f"arn:aws:sqs:{region}:{account}:{logical_id}"
            entry.update(Ref=f"https://sqs.{region}.amazonaws.com/{account}/{logical_id}", QueueName=logical_id)
        elif kind == "AWS::SNS::Topic":
            arn = f"arn:aws:sns:{region}:{account}:{logical_id}"
            entry.update(Ref=arn, TopicName=logical_id)
        elif kind == "AWS::Kinesis::Stream":
            arn = f"arn:aws:kinesis:{region}:{account}:stream/{logical_id}"
        elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            arn = f"arn:aws:lambda:{region}:{account}:function:{logical_id}"
        elif kind == "AWS::IAM::Role":
            arn = f"arn:aws:iam::{account}:role/{logical_id}"
        elif kind == "AWS::Logs::LogGroup":
            arn = f"arn:aws:logs:{region}:{account}:log-group:{logical_id}:*"
        elif kind == "AWS::Serverless::StateMachine":
            arn = f"arn:aws:states:{region}:{account}:stateMachine:{logical_id}"
            entry.update(Ref=arn, Name=logical_id)
        entry["Arn"] = arn
        values[logical_id] = entry
    return values


def _expand_sam_template(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    if name not in SAM_POLICY_TEMPLATES:
        raise ValueError(f"SAM policy template {name} is not known to iam_audit.policies; add its definition")
    document = copy.deepcopy(SAM_POLICY_TEMPLATES[name])

    def substitute(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], list):
            text, variables = value["Fn::Sub"]
            for variable, ref in variables.items():
                text = text.replace("${" + variable + "}", "${__param__" + ref["Ref"] + "}")
            return {"Fn::Sub": text}
        if isinstance(value, dict):
            return {key: substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [substitute(item) for item in value]
        return value

    document = substitute(document)
    return {"__parameters__": parameters, **document}


def _resolve_document(
    document: dict[str, Any], physical: dict[str, dict[str, str]], pseudo: dict[str, str], conditions: dict[str, bool]
) -> dict[str, Any]:
    parameters = document.pop("__parameters__", {})
    local = dict(pseudo)
    for name, value in parameters.items():
        local[f"__param__{name}"] = str(resolve(value, physical, pseudo, conditions))
    return resolve(document, physical, local, conditions)


def function_policies(
    items: list[Any], physical: dict[str, dict[str, str]], pseudo: dict[str, str], conditions: dict[str, bool]
) -> list[dict[str, Any]]:
    """The resolved identity policies of one function or state machine (the items of its ``Policies`` property)."""
    policies = []
    for item in items:
        if isinstance(item, str):
            raise ValueError(f"managed policy {item!r} in Policies: iam_audit cannot see its statements")
        if "Statement" in item:
            document = {"Version": item.get("Version", "2012-10-17"), "Statement": copy.deepcopy(item["Statement"])}
        else:
            ((name, parameters),) = item.items()
            document = _expand_sam_template(name, dict(parameters))
        policies.append(_resolve_document(document, physical, pseudo, conditions))
    return policies


def load_policies(
    region: str = "us-east-1",
    account: str = "123456789012",
    physical: dict[str, dict[str, str]] | None = None,
    parameters: dict[str, str] | None = None,
) -> TemplatePolicies:
    """Every principal's policies; ``physical`` overrides the deterministic values (e.g. the offline stack's)."""
    template = TemplateModel.read()
    values = {**default_physical(template, region, account), **(physical or {})}
    pseudo = {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": "anime-recommender",
        **template.parameter_defaults(),
        **(parameters or {}),
    }
    conditions = template.conditions(pseudo)
    identity: dict[str, list[dict[str, Any]]] = {}
    for logical_id in template.resources_of_type("AWS::Serverless::Function"):
        identity[logical_id] = function_policies(template.function(logical_id).policies, values, pseudo, conditions)
    role = template.resources[SERVICE_ROLE]["Properties"]
    identity[SERVICE_ROLE] = [resolve(p["PolicyDocument"], values, pseudo, conditions) for p in role["Policies"]]
    bucket_policy = resolve(
        template.resources[BUCKET_POLICY]["Properties"]["PolicyDocument"], values, pseudo, conditions
    )
    return TemplatePolicies(identity=identity, bucket_policy=bucket_policy, bucket_arn=values["DataBucket"]["Arn"])
