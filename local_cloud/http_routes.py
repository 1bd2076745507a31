"""Give the emulator the HTTP API routes that SAM declares through ``HttpApi`` function events.

SAM turns those events into an OpenAPI ``Body`` on ``AWS::ApiGatewayV2::Api``; ministack 1.5.33's CloudFormation
creates the API but ignores the ``Body`` (it has no ImportApi either), so the deployed API answers 404 on every
path. This module reads the same events from the source template and creates the equivalent AWS_PROXY integrations
(payload format 2.0) and routes with plain apigatewayv2 calls. Routes that already exist are left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from local_cloud.stack import emulator_client, stack_resources
from sam_app.template import load_template

IMPLICIT_HTTP_API = "ServerlessHttpApi"


def declared_routes(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(api logical id, function logical id, route key)`` for every ``HttpApi`` event of every function."""
    routes = []
    for function_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties") or {}
            api = props.get("ApiId", {}).get("Ref", IMPLICIT_HTTP_API) if props.get("ApiId") else IMPLICIT_HTTP_API
            method = str(props.get("Method", "ANY")).upper()
            path = props.get("Path")
            route_key = f"{'ANY' if method in ('ANY', 'X-AMAZON-APIGATEWAY-ANY-METHOD') else method} {path}"
            routes.append((api, function_id, route_key if path else "$default"))
    return routes


def add_missing_routes(endpoint_url: str, stack_name: str, template_path: Path) -> list[str]:
    """Create the template's HTTP API routes the emulator lacks; return the route keys created."""
    resources = stack_resources(endpoint_url, stack_name)
    apigw = emulator_client("apigatewayv2", endpoint_url)
    lambda_client = emulator_client("lambda", endpoint_url)
    created = []
    integrations: dict[tuple[str, str], str] = {}
    for api_logical, function_logical, route_key in declared_routes(load_template(template_path)):
        api_id = resources.get(api_logical, {}).get("physical_id")
        function_name = resources.get(function_logical, {}).get("physical_id")
        if not api_id or not function_name:
            continue
        existing = {r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]}
        if route_key in existing:
            continue
        if (api_id, function_name) not in integrations:
            function_arn = lambda_client.get_function(FunctionName=function_name)["Configuration"]["FunctionArn"]
            integration = apigw.create_integration(
                ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion="2.0"
            )
            integrations[(api_id, function_name)] = integration["IntegrationId"]
        apigw.create_route(
            ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integrations[(api_id, function_name)]}"
        )
        created.append(f"{api_logical}: {route_key}")
    return created
