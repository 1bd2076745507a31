"""``python -m personalize_local inspect``: look inside a running Personalize Local through boto3 — list resources
by type, describe one, show a campaign's recommendations for a user, reset (delete) a dataset group with everything
in it. It talks to the server over the wire like any client, so it works against any data directory being served."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TextIO

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError

from personalize_local.cli.options import add_env_option
from personalize_local.responses import CONTROL_SERVICE, service_model

DEFAULT_ENDPOINT = "http://127.0.0.1:4580"


@cache
def _list_operations() -> dict[str, str]:
    """``dataset-groups`` -> ``ListDatasetGroups``, for every List operation of the control plane."""
    names = service_model(CONTROL_SERVICE).operation_names
    return {xform_name(n.removeprefix("List")).replace("_", "-"): n for n in names if n.startswith("List")}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``inspect`` sub-command and its own sub-commands."""
    inspect = commands.add_parser(
        "inspect",
        help="look inside a running Personalize Local (list, describe, recommend, reset)",
        description="Talk to a running Personalize Local through boto3.",
    )
    add_env_option(
        inspect,
        "--endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL_PERSONALIZE", DEFAULT_ENDPOINT),
        help="the server's URL (else AWS_ENDPOINT_URL_PERSONALIZE)",
    )
    actions = inspect.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list the resources of one type")
    listing.add_argument("type", choices=sorted(_list_operations()), help="resource type")
    listing.add_argument("--parent", help="only the children of this ARN (dataset group, dataset or solution)")
    describe = actions.add_parser("describe", help="describe one resource by its ARN (as JSON)")
    describe.add_argument("arn")
    recommend = actions.add_parser("recommend", help="a campaign's recommendations for a user")
    recommend.add_argument("campaign_arn")
    recommend.add_argument("user_id")
    recommend.add_argument("--num-results", type=int, default=10)
    recommend.add_argument("--filter-arn")
    reset = actions.add_parser(
        "reset", help="delete a dataset group and everything in it (campaigns, solutions, trackers, filters, datasets)"
    )
    reset.add_argument("dataset_group_arn")
    reset.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each deletion")
    inspect.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run one inspect action; 1 with the service's error message when it fails."""
    out = out or sys.stdout
    clients = Clients(args.endpoint)
    try:
        if args.action == "list":
            for line in list_lines(clients.personalize, args.type, args.parent):
                print(line, file=out)
        elif args.action == "describe":
            print(json.dumps(describe(clients.personalize, args.arn), indent=2, default=str), file=out)
        elif args.action == "recommend":
            extra = {"filterArn": args.filter_arn} if args.filter_arn else {}
            answer = clients.runtime.get_recommendations(
                campaignArn=args.campaign_arn, userId=args.user_id, numResults=args.num_results, **extra
            )
            for item in answer["itemList"]:
                print(f"{item['itemId']}\t{item.get('score', '')}", file=out)
        else:
            for arn in reset_dataset_group(clients.personalize, args.dataset_group_arn, args.timeout):
                print(f"deleted {arn}", file=out)
    except ClientError as exc:
        error = exc.response["Error"]
        print(f"error: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        return 1
    return 0


class Clients:
    """boto3 clients of the server at ``endpoint`` (dummy credentials unless the environment has some)."""

    def __init__(self, endpoint: str) -> None:
        session = boto3.session.Session(
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
            region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        )
        self.personalize = session.client("personalize", endpoint_url=endpoint)
        self.runtime = session.client("personalize-runtime", endpoint_url=endpoint)


def list_lines(client: Any, kind: str, parent: str | None) -> Iterator[str]:
    """One ``name  status  ARN`` line per resource of ``kind`` (every page)."""
    operation = _list_operations()[kind]
    method = xform_name(operation)
    shape = client.meta.service_model.operation_model(operation).input_shape
    kwargs: dict[str, Any] = {}
    if parent:
        arn_members = [m for m in shape.members if m.endswith("Arn")]
        if not arn_members:
            raise SystemExit(f"{kind} cannot be listed by parent")
        kwargs[arn_members[0]] = parent
    pages = (
        client.get_paginator(method).paginate(**kwargs)
        if client.can_paginate(method)
        else [getattr(client, method)(**kwargs)]
    )
    for page in pages:
        (items,) = [value for key, value in page.items() if isinstance(value, list)]
        for item in items:
            arn = next((v for k, v in item.items() if k.endswith("Arn") and isinstance(v, str)), "")
            yield "\t".join(str(item.get(key, "")) for key in ("name", "status")) + f"\t{arn}"


def describe(client: Any, arn: str) -> dict[str, Any]:
    """The Describe document of the resource ``arn`` names (its type is the ARN's resource part)."""
    path = arn.split(":", 5)[-1].split("/")
    kind = "solution-version" if path[0] == "solution" and len(path) == 3 else path[0]
    camel = "".join(part.capitalize() for part in kind.split("-"))
    answer = getattr(client, xform_name(f"Describe{camel}"))(**{f"{camel[0].lower()}{camel[1:]}Arn": arn})
    answer.pop("ResponseMetadata", None)
    return answer


def reset_dataset_group(client: Any, group: str, timeout: float) -> Iterator[str]:
    """Delete everything in the dataset group, dependents first, then the group; the ARNs as each is gone."""
    solutions = _arns(client, "list_solutions", "solutions", "solutionArn", datasetGroupArn=group)
    campaigns = [
        a for s in solutions for a in _arns(client, "list_campaigns", "campaigns", "campaignArn", solutionArn=s)
    ]
    yield from _delete_all(client, "campaign", campaigns, timeout)
    yield from _delete_all(client, "solution", solutions, timeout)
    trackers = _arns(client, "list_event_trackers", "eventTrackers", "eventTrackerArn", datasetGroupArn=group)
    yield from _delete_all(client, "event-tracker", trackers, timeout)
    filters = _arns(client, "list_filters", "Filters", "filterArn", datasetGroupArn=group)
    yield from _delete_all(client, "filter", filters, timeout)
    datasets = _arns(client, "list_datasets", "datasets", "datasetArn", datasetGroupArn=group)
    yield from _delete_all(client, "dataset", datasets, timeout)
    yield from _delete_all(client, "dataset-group", [group], timeout)


def _arns(client: Any, method: str, key: str, arn_key: str, **kwargs: Any) -> list[str]:
    return [item[arn_key] for page in client.get_paginator(method).paginate(**kwargs) for item in page[key]]


def _delete_all(client: Any, kind: str, arns: list[str], timeout: float) -> Iterator[str]:
    camel = "".join(part.capitalize() for part in kind.split("-"))
    member = f"{camel[0].lower()}{camel[1:]}Arn"
    delete = getattr(client, xform_name(f"Delete{camel}"))
    describe_one = getattr(client, xform_name(f"Describe{camel}"))
    for arn in arns:
        delete(**{member: arn})
    for arn in arns:
        _wait_gone(lambda arn=arn: describe_one(**{member: arn}), arn, timeout)
        yield arn


def _wait_gone(describe_one: Callable[[], Any], arn: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            describe_one()
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() > deadline:
            raise SystemExit(f"{arn} was not deleted within {timeout} s")
        time.sleep(0.05)  # polling interval
