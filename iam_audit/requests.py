"""What IAM authorizes for one AWS API call: the action name(s), resource ARN(s) and request context keys.

Most operations authorize ``<signing name>:<OperationName>`` (the Service Authorization Reference); the exceptions
this project meets are spelled out below (S3 reads and writes, SQS batches, Personalize ``Create*`` naming the ARN
to be). An operation this module cannot place gets the resource ``*``, which no statement of the template grants
for a resource-level action: a new kind of call then fails the least-privilege test instead of passing unseen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from iam_audit.evaluator import Request

#: S3 operations authorized by another action (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html,
#: "Permissions" of each operation).
S3_ACTIONS = {
    "HeadObject": "GetObject",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "DeleteObjects": "DeleteObject",
}
S3_BUCKET_ACTIONS = {"ListBucket", "ListBucketVersions", "ListBucketMultipartUploads"}
#: SQS and SSM batch forms authorized by the single-item action.
ACTION_ALIASES = {("sqs", "SendMessageBatch"): "SendMessage", ("sqs", "DeleteMessageBatch"): "DeleteMessage"}
#: Personalize resource types whose Create* call names the new resource (the ARN IAM checks is the one to be made).
PERSONALIZE_TYPES = {
    "DatasetGroup": "dataset-group",
    "Schema": "schema",
    "DatasetImportJob": "dataset-import-job",
    "Solution": "solution",
    "Campaign": "campaign",
    "EventTracker": "event-tracker",
    "Filter": "filter",
}


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _s3_requests(operation: str, params: Mapping[str, Any], context: dict[str, str]) -> list[Request]:
    action = "s3:" + S3_ACTIONS.get(operation, operation)
    bucket = params.get("Bucket", "")
    if operation == "CopyObject":
        source = params["CopySource"]
        source_arn = (
            f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"
            if isinstance(source, Mapping)
            else f"arn:aws:s3:::{source.lstrip('/').split('?', 1)[0]}"
        )
        return [
            Request("s3:GetObject", source_arn, context),
            Request("s3:PutObject", f"arn:aws:s3:::{bucket}/{params['Key']}", context),
        ]
    if action.removeprefix("s3:") in S3_BUCKET_ACTIONS:
        bucket_context = dict(context)
        if "Prefix" in params:
            bucket_context["s3:prefix"] = params["Prefix"]
        return [Request(action, f"arn:aws:s3:::{bucket}", bucket_context)]
    if operation == "DeleteObjects":
        keys = [item["Key"] for item in params.get("Delete", {}).get("Objects", [])]
        return [Request(action, f"arn:aws:s3:::{bucket}/{key}", context) for key in keys]
    if "Key" in params:
        return [Request(action, f"arn:aws:s3:::{bucket}/{params['Key']}", context)]
    return [Request(action, f"arn:aws:s3:::{bucket}", context)]


def _personalize_resources(operation: str, params: Mapping[str, Any], region: str, account: str) -> list[str]:
    prefix = f"arn:aws:personalize:{region}:{account}"
    if operation.startswith("List"):
        return ["*"]  # Personalize List* actions support no resource-level permissions
    if operation == "PutEvents":  # the tracker's ARN ends in an id the tracking id stands for
        return [f"{prefix}:event-tracker/{params['trackingId']}"]
    if operation == "CreateDataset":
        group = str(params["datasetGroupArn"]).rsplit("/", 1)[-1]
        return [f"{prefix}:dataset/{group}/{str(params['datasetType']).upper()}"]
    if operation == "CreateSolutionVersion":  # authorized on the solution it trains
        return [str(params["solutionArn"])]
    noun = operation.removeprefix("Create")
    name = params.get("name") or params.get("jobName")
    if operation.startswith("Create") and noun in PERSONALIZE_TYPES and name:
        return [f"{prefix}:{PERSONALIZE_TYPES[noun]}/{name}"]
    arns = {key: str(value) for key, value in params.items() if key.endswith("Arn") and isinstance(value, str)}
    noun = re.sub(r"^(Describe|Delete|Update|Stop|Get|Create)", "", operation).removesuffix("Creation")
    own = f"{_lower_camel(noun)}Arn"
    if own in arns:
        resources = [arns[own]]
    elif "campaignArn" in arns:  # GetRecommendations / GetPersonalizedRanking
        resources = [arns["campaignArn"]]
    elif "solutionVersionArn" in arns:  # GetSolutionMetrics
        resources = [arns["solutionVersionArn"]]
    else:
        resources = ["*"]
    if "filterArn" in arns and own != "filterArn":  # a filter used by a runtime call: granted on the filter too
        resources.append(arns["filterArn"])
    return resources


def _arn_for(service: str, params: Mapping[str, Any], region: str, account: str) -> list[str]:
    if service == "ssm":
        names = params.get("Names") or [params.get("Name") or params.get("Path", "")]
        return [f"arn:aws:ssm:{region}:{account}:parameter/{str(name).lstrip('/')}" for name in names]
    if service == "sqs" and "QueueUrl" in params:
        queue = str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
        return [f"arn:aws:sqs:{region}:{account}:{queue}"]
    if service == "kinesis":
        if "StreamARN" in params:
            return [str(params["StreamARN"])]
        return [f"arn:aws:kinesis:{region}:{account}:stream/{params.get('StreamName', '*')}"]
    if service == "lambda" and "FunctionName" in params:
        name = str(params["FunctionName"])
        return [name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"]
    arns = [str(value) for key, value in params.items() if key.endswith("Arn") and isinstance(value, str)]
    return arns[:1] or ["*"]


def iam_requests(
    signing_name: str,
    operation: str,
    params: Mapping[str, Any],
    region: str,
    account: str,
    secure_transport: bool = True,
) -> list[Request]:
    """The authorization requests one API call makes (``signing_name``: the service's IAM prefix)."""
    context = {"aws:SecureTransport": "true" if secure_transport else "false", "aws:RequestedRegion": region}
    if signing_name == "s3":
        return _s3_requests(operation, params, context)
    action = f"{signing_name}:{ACTION_ALIASES.get((signing_name, operation), operation)}"
    if signing_name == "personalize":
        requests = [Request(action, arn, context) for arn in _personalize_resources(operation, params, region, account)]
        if operation == "CreateDatasetImportJob" and params.get("roleArn"):
            passed = {**context, "iam:PassedToService": "personalize.amazonaws.com"}
            requests.append(Request("iam:PassRole", str(params["roleArn"]), passed))
        return requests
    return [Request(action, arn, context) for arn in _arn_for(signing_name, params, region, account)]
