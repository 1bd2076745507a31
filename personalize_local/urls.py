"""Routing: the control plane is ``POST /`` dispatched on ``X-Amz-Target: AmazonPersonalize.<Operation>``; the
runtime and events operations are REST routes taken from botocore's models."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from personalize_local.responses import CONTROL_SERVICE, service_model

TARGET_PREFIX = "AmazonPersonalize."
REST_SERVICES = ("personalize-runtime", "personalize-events")


def _rest_rules() -> list[Rule]:
    rules = []
    for service in REST_SERVICES:
        model = service_model(service)
        for operation in model.operation_names:
            http = model.operation_model(operation).http
            rules.append(Rule(http["requestUri"], endpoint=(service, operation), methods=[http["method"]]))
    return rules


url_map = Map(
    [
        Rule("/", endpoint=(CONTROL_SERVICE, None), methods=["POST"]),
        Rule("/ping", endpoint=("ping", None), methods=["GET"]),
        *_rest_rules(),
    ]
)


def control_operation(target: str | None) -> str | None:
    """The operation named by an ``X-Amz-Target`` header, or None when the header is missing or foreign."""
    if not target or not target.startswith(TARGET_PREFIX):
        return None
    return target[len(TARGET_PREFIX) :]
