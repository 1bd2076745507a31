"""Read what a deployed stack offers: its outputs and the invoke URLs of its HTTP APIs on the emulator."""

from __future__ import annotations

from typing import Any

import boto3

from local_cloud.loopback import require_loopback_url
from local_cloud.services import REGION


def emulator_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client for ``service`` on the emulator (loopback only, fake credentials)."""
    require_loopback_url(endpoint_url)
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        aws_session_token="test",
    )


def stack_outputs(endpoint_url: str, stack_name: str) -> dict[str, str]:
    """``OutputKey -> OutputValue`` of the stack."""
    cfn = emulator_client("cloudformation", endpoint_url)
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def stack_resources(endpoint_url: str, stack_name: str) -> dict[str, dict[str, str]]:
    """``LogicalResourceId -> {type, physical id}`` of every resource of the stack."""
    cfn = emulator_client("cloudformation", endpoint_url)
    paginator = cfn.get_paginator("list_stack_resources")
    resources: dict[str, dict[str, str]] = {}
    for page in paginator.paginate(StackName=stack_name):
        for item in page["StackResourceSummaries"]:
            resources[item["LogicalResourceId"]] = {
                "type": item["ResourceType"],
                "physical_id": item.get("PhysicalResourceId", ""),
            }
    return resources


def http_api_urls(endpoint_url: str, stack_name: str) -> dict[str, str]:
    """``logical id -> base URL`` of each HTTP API of the stack, in the emulator's path-style form.

    ministack serves ``/_aws/execute-api/<apiId>/<stage>/<path>``; HTTP APIs deployed by SAM use the ``$default``
    stage, which is addressed without a stage segment.
    """
    urls = {}
    for logical_id, resource in stack_resources(endpoint_url, stack_name).items():
        if resource["type"] == "AWS::ApiGatewayV2::Api":
            urls[logical_id] = f"{endpoint_url}/_aws/execute-api/{resource['physical_id']}"
    return urls


#: Printed for an output that links to the AWS console, which a local stack does not have.
CONSOLE_ONLY = "(AWS console only; executions of this local stack: make console)"


def local_outputs(outputs: dict[str, str], http_apis: dict[str, str]) -> dict[str, str]:
    """The stack's outputs as they work on this machine: an execute-api URL becomes the emulator's URL of that API,
    an AWS console link says where to look locally instead; every other output is unchanged."""
    by_api_id = {url.rsplit("/", 1)[-1]: url for url in http_apis.values()}
    local = {}
    for key, value in outputs.items():
        host = value.removeprefix("https://").split("/", 1)[0]
        if ".execute-api." in host and host.split(".", 1)[0] in by_api_id:
            local[key] = by_api_id[host.split(".", 1)[0]] + "/"
        elif host.endswith("console.aws.amazon.com"):
            local[key] = CONSOLE_ONLY
        else:
            local[key] = value
    return local
