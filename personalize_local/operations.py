"""The table of every operation of ``personalize``, ``personalize-runtime`` and ``personalize-events`` (from
botocore's models) with its route here (from the router) and whether Personalize Local implements it (from the
backend's parts). ``python -m personalize_local.operations`` prints it; docs/personalize-local.md holds a copy that
a test keeps equal to it."""

from __future__ import annotations

from personalize_local.models.backend import PersonalizeBackend
from personalize_local.responses import CONTROL_SERVICE, SERVICES, service_model
from personalize_local.urls import TARGET_PREFIX, url_map

START_MARKER = "<!-- operations-table: start -->"
END_MARKER = "<!-- operations-table: end -->"


def _rest_routes() -> dict[tuple[str, str], str]:
    routes = {}
    for rule in url_map.iter_rules():
        service, operation = rule.endpoint
        if operation is not None:
            methods = sorted(m for m in rule.methods or () if m not in ("HEAD", "OPTIONS"))
            routes[(service, operation)] = f"`{' '.join(methods)} {rule.rule}`"
    return routes


def operation_rows() -> list[tuple[str, str, str, str]]:
    """(service, operation, route, status) for every operation of the three services, in model order."""
    rest = _rest_routes()
    rows = []
    for service in SERVICES:
        for operation in service_model(service).operation_names:
            if service == CONTROL_SERVICE:
                route = f"`POST /` + `X-Amz-Target: {TARGET_PREFIX}{operation}`"
            else:
                route = rest.get((service, operation), "none")
            status = "implemented" if PersonalizeBackend.implements(operation) else "UnknownOperationException"
            rows.append((service, operation, route, status))
    return rows


def operations_table() -> str:
    """The Markdown table of :func:`operation_rows`, with a count line."""
    rows = operation_rows()
    done = sum(1 for row in rows if row[3] == "implemented")
    lines = [
        f"{done} of {len(rows)} operations implemented.",
        "",
        "| service | operation | route | status |",
        "|---|---|---|---|",
        *(f"| `{service}` | `{operation}` | {route} | {status} |" for service, operation, route, status in rows),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(operations_table())
