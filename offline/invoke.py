"""`make invoke FN=<function> EVENT=<file>`: one function of template.yaml with an event file, as
``sam local invoke <function> -e <file>`` does, without Docker.

The function runs in-process on the offline stack (moto deployed from template.yaml, Personalize Local on the
demo's state in .personalize-local/), with its template environment. When ``make demo`` has run, the SSM parameters
and the catalog it published are put back first, so API events answer from the demo's campaigns. Buckets an event
names (``bucket`` / ``detail.bucket.name``) are created empty when the stack has none by that name. The result is
printed as JSON on stdout, like ``sam local invoke``; an exception is printed as ``errorType`` / ``errorMessage``
and the exit code is 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any
from unittest import mock

import boto3

from offline.harness import offline_pipeline
from offline.publications import restore_publications
from offline.stack import ACCOUNT_ID, OfflineStack
from sam_app.handlers import LambdaContext, function_arn, load_handler
from sam_app.intrinsics import UnresolvableError, resolve
from sam_app.template import REPO_ROOT, TemplateModel

STATE_DIR = REPO_ROOT / ".personalize-local"
DEMO_OUTPUT = REPO_ROOT / "demo-output"
QUIET_HANDLERS = {"POWERTOOLS_METRICS_DISABLED": "true"}


class InvokeError(Exception):
    """The function or the event file cannot be used; the message says why."""


def function_ids(template: TemplateModel) -> list[str]:
    """Logical ids of every function of the template."""
    return sorted(template.resources_of_type("AWS::Serverless::Function"))


def find_function(template: TemplateModel, name: str) -> str:
    """The logical id for ``name``: a logical id (``ResolveDropFunction``) or a code folder (``resolve_drop``)."""
    by_folder = {template.function(fid).code_dir.name: fid for fid in function_ids(template)}
    for candidates in (function_ids(template), by_folder):
        match = next((fid for fid in candidates if fid.lower() == name.lower()), None)
        if match is not None:
            return by_folder.get(match, match)
    choices = ", ".join(f"{fid} ({template.function(fid).code_dir.name})" for fid in function_ids(template))
    raise InvokeError(f"no function {name!r} in template.yaml; choose one of: {choices}")


def read_event(path: Path) -> Any:
    """The event file's JSON."""
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        examples = ", ".join(sorted(p.name for p in (REPO_ROOT / "events").glob("*.json")))
        raise InvokeError(f"event file {path} does not exist (examples in events/: {examples})") from None
    except json.JSONDecodeError as error:
        raise InvokeError(f"event file {path} is not JSON: {error.msg} at line {error.lineno}") from None


def event_buckets(event: Any) -> set[str]:
    """Bucket names an event carries: ``bucket`` strings and ``bucket.name`` (S3 / EventBridge events)."""
    found: set[str] = set()
    if isinstance(event, dict):
        for key, value in event.items():
            if key == "bucket" and isinstance(value, str):
                found.add(value)
            elif key == "bucket" and isinstance(value, dict) and isinstance(value.get("name"), str):
                found.add(value["name"])
            else:
                found |= event_buckets(value)
    elif isinstance(event, list):
        for item in event:
            found |= event_buckets(item)
    return found


def create_queues(stack: OfflineStack, environment: dict[str, Any]) -> list[str]:
    """Create in moto the SQS queues the environment refers to that the offline stack does not deploy (the
    forwarder's dead-letter queue); their logical ids."""
    sqs = boto3.client("sqs", region_name=stack.region)
    created = []
    for value in environment.values():
        target = value.get("Ref") if isinstance(value, dict) else None
        resource = stack.template.resources.get(target or "", {})
        if resource.get("Type") == "AWS::SQS::Queue" and target not in stack.physical:
            url = sqs.create_queue(QueueName=target)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            stack.physical[target] = {"Ref": url, "Arn": arn}
            created.append(target)
    return created


def function_environment(stack: OfflineStack, logical_id: str) -> tuple[dict[str, str], list[str]]:
    """The function's template environment on this stack (queues it names are created), and the variables that
    name other resources the offline stack does not create (left unset)."""
    spec = stack.template.function(logical_id)
    create_queues(stack, spec.environment)
    values, unresolved = {}, []
    for name, value in spec.environment.items():
        try:
            resolved = resolve({name: value}, stack.physical, stack.pseudo, stack.conditions)
        except UnresolvableError:
            unresolved.append(name)
            continue
        values.update({key: str(item) for key, item in resolved.items()})
    return values, unresolved


def invoke(logical_id: str, event: Any, state_dir: Path | None = None, say: Any = None) -> tuple[Any, bool]:
    """Run the function with ``event`` on the offline stack; (result or error document, succeeded)."""
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    with offline_pipeline(state_dir or STATE_DIR, environment=QUIET_HANDLERS) as stack:
        spec = stack.template.function(logical_id)
        if restore_publications(DEMO_OUTPUT, stack.project):
            say("invoke: SSM parameters and catalog restored from demo-output/ (the demo's campaigns are live)")
        s3 = boto3.client("s3")
        for bucket in sorted(event_buckets(event) - {stack.bucket}):
            s3.create_bucket(Bucket=bucket)
            say(f"invoke: created the event's bucket {bucket!r} (empty; the stack's bucket is {stack.bucket!r})")
        environment, unresolved = function_environment(stack, logical_id)
        if unresolved:
            say(f"invoke: not set offline (the offline stack has no such resource): {', '.join(unresolved)}")
        arn = function_arn(logical_id, stack.region, ACCOUNT_ID)
        context = LambdaContext.for_function(logical_id, memory_mb=spec.memory, timeout_s=spec.timeout, arn=arn)
        with mock.patch.dict(os.environ, environment):
            handler = load_handler(spec.code_dir, spec.handler, name=f"offline_invoke_{logical_id}")
            try:
                return handler(event, context), True
            except Exception as error:  # the handler's failure is the result here, as Lambda reports it
                stack_trace = traceback.format_exception(error)
                return {"errorType": type(error).__name__, "errorMessage": str(error), "stackTrace": stack_trace}, False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m offline.invoke", description=__doc__.splitlines()[0].strip("`: "))
    parser.add_argument("function", help="logical id (ResolveDropFunction) or code folder (resolve_drop)")
    parser.add_argument("event", type=Path, help="event JSON file, e.g. events/s3-object-created.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Invoke; 0 when the handler returned, 1 when it raised, 2 for a bad function name or event file."""
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    args = parse_args(argv)
    try:
        logical_id = find_function(TemplateModel.read(), args.function)
        event = read_event(args.event)
    except InvokeError as error:
        print(f"invoke: {error}", file=sys.stderr)
        return 2
    print(f"invoke: {logical_id} with {args.event} on the offline stack (moto + Personalize Local)", file=sys.stderr)
    # Logs to stderr, the result alone to stdout (as with sam local invoke): Powertools' loggers keep the stdout
    # they saw when the handlers were imported while the stack deployed, so the whole run is redirected.
    with contextlib.redirect_stdout(sys.stderr):
        result, succeeded = invoke(logical_id, event)
    print(json.dumps(result, indent=2, default=str))
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
