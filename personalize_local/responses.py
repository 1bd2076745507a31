"""The wire format, and only here: parse a request body, validate it against botocore's input shape, turn its
camelCase members into the backend's snake_case arguments, call the backend, and shape its domain objects into the
operation's JSON output (or the modelled error ``{"__type": code, "message": ...}``). botocore's shapes drive both
directions: a structure member ``datasetGroupArn`` is the Python name ``dataset_group_arn``; map keys are data and
stay as they are."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

from personalize_local.constraints import validation_message, violations
from personalize_local.exceptions import (
    InvalidInputException,
    PersonalizeError,
    ResourceNotFoundException,
    SerializationException,
    UnknownOperationException,
    ValidationException,
)
from personalize_local.models import PersonalizeBackend
from personalize_local.models.domain import Page

logger = logging.getLogger("personalize_local")

CONTROL_SERVICE = "personalize"
SERVICES = ("personalize", "personalize-runtime", "personalize-events")
JSON_11 = "application/x-amz-json-1.1"
REST_JSON = "application/json"


@dataclass(frozen=True)
class WireResponse:
    """What the HTTP layer sends back."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


@cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``personalize``, ``personalize-runtime`` or ``personalize-events``."""
    return botocore.session.get_session().get_service_model(service)


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")


def signing_region(authorization: str | None) -> str | None:
    """The region of a SigV4 ``Authorization`` header's credential scope (``.../20240101/<region>/personalize/...``).

    AWS serves a request in the region it is signed for
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html); None when the
    header is missing or not SigV4 (the server's default region then applies).
    """
    match = _CREDENTIAL_SCOPE.search(authorization or "")
    return match.group(1) if match else None


@cache
def error_status(service: str, code: str) -> int:
    """The HTTP status botocore's model of ``service`` declares for the error ``code``.

    The control plane (JSON 1.1) declares none: every modelled error is 400 there. The REST-JSON runtime and events
    declare theirs (ResourceNotFoundException 404, ResourceInUseException 409).
    """
    for shape in service_model(service).error_shapes:
        if shape.name == code:
            return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
    return 400


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------------------- wire <-> Python
def from_wire(value: Any, shape: Shape) -> Any:
    """A validated request value as Python: structure members in snake_case, recursively."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {xform_name(key): from_wire(item, shape.members[key]) for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        return [from_wire(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {key: from_wire(item, shape.value) for key, item in value.items()}
    return value


def _member(value: Any, name: str) -> Any:
    key = xform_name(name)
    if isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, key, None)


def to_wire(value: Any, shape: Shape) -> Any:
    """A domain object (dataclass or snake_case dict) as the JSON of ``shape``: its modelled members only."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            item = _member(value, name)
            if item is not None:
                out[name] = to_wire(item, member)
        return out
    if kind == "list":
        return [to_wire(item, shape.member) for item in value]
    if kind == "map":
        return {key: to_wire(item, shape.value) for key, item in value.items()}
    if dataclasses.is_dataclass(value):
        raise TypeError(f"{type(value).__name__} where {shape.name} ({kind}) was expected")
    return value


def shape_result(result: Any, output_shape: Shape | None) -> dict[str, Any]:
    """An operation's return value as its output shape.

    A :class:`Page` fills the list member and ``nextToken``; a result for an output of one structure or list member
    (``DescribeX`` -> ``{"x": ...}``, ``ListTagsForResource`` -> ``{"tags": [...]}``) is that member; anything else
    is the output structure itself (``CreateX`` -> ``{"xArn": ...}``).
    """
    if output_shape is None or result is None:
        return {}
    members = output_shape.members
    if isinstance(result, Page):
        (name, member), *_ = [(n, m) for n, m in members.items() if m.type_name == "list"]
        out: dict[str, Any] = {name: to_wire(result.items, member)}
        if result.next_token:
            out["nextToken"] = result.next_token
        return out
    if len(members) == 1:
        ((name, member),) = members.items()
        if member.type_name in ("structure", "list"):
            return {name: to_wire(result, member)}
    return to_wire(result, output_shape)


# ---------------------------------------------------------------------------------------------- dispatch
class Responses:
    """Dispatches one operation of one of the three services to the backend."""

    def __init__(self, backend: PersonalizeBackend) -> None:
        self.backend = backend
        self._validator = ParamValidator()

    def handle(self, service: str, operation: str, raw_body: bytes, region: str | None = None) -> WireResponse:
        """Run ``operation`` with the JSON ``raw_body`` in ``region``; every failure becomes a modelled error."""
        content_type = JSON_11 if service == CONTROL_SERVICE else REST_JSON
        request_id = str(uuid.uuid4())
        try:
            params = _parse(raw_body)
            result = self.call(service, operation, params, region)
            op_model = service_model(service).operation_model(operation)
            # the events operations answer with an empty body
            body = b"" if service != CONTROL_SERVICE and op_model.output_shape is None else _encode(result)
            return WireResponse(200, body, content_type, {"x-amzn-RequestId": request_id})
        except PersonalizeError as exc:
            return self._error(error_status(service, exc.code), exc.code, exc.message, content_type, request_id)
        except Exception as exc:  # a server bug: report it the way AWS reports internal errors
            logger.exception("%s.%s failed", service, operation)
            return self._error(500, "InternalFailure", f"{type(exc).__name__}: {exc}", content_type, request_id)

    def call(self, service: str, operation: str, params: dict[str, Any], region: str | None = None) -> dict[str, Any]:
        """Validate the wire ``params``, run the operation in ``region``, and return its wire output.

        Raises the modelled PersonalizeError subclasses.
        """
        model = service_model(service)
        handler = self.backend.operation(operation) if operation in model.operation_names else None
        if handler is None:
            raise UnknownOperationException(f"Operation {operation} is not implemented by Personalize Local")
        op_model: OperationModel = model.operation_model(operation)
        arguments: dict[str, Any] = {}
        if op_model.input_shape is not None:
            report = self._validator.validate(params, op_model.input_shape)
            if report.has_errors():
                raise _invalid_input(op_model, f"1 or more parameters are invalid: {report.generate_report()}")
            problems = violations(params, op_model.input_shape)
            if problems:
                raise _invalid_input(op_model, validation_message(problems))
            arguments = from_wire(params, op_model.input_shape)
        with self.backend.in_region(region):
            try:
                result = handler(**arguments)
            except ResourceNotFoundException as exc:
                raise _as_modelled(op_model, exc) from None
        return shape_result(result, op_model.output_shape)

    @staticmethod
    def _error(status: int, code: str, message: str, content_type: str, request_id: str) -> WireResponse:
        headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
        return WireResponse(status, _encode({"__type": code, "message": message}), content_type, headers)


def walk(value: Any, shape: Shape, path: str = "") -> Iterator[tuple[Any, Shape, str]]:
    """Every node of a decoded JSON ``value`` with its shape and path (``a.b[0]``), depth first. It descends only where
    the value's JSON type is the shape's (members a structure does not model are not visited)."""
    yield value, shape, path
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        for name, item in value.items():
            if name in shape.members:
                yield from walk(item, shape.members[name], f"{path}.{name}" if path else name)
    elif kind == "list" and isinstance(value, list):
        for n, item in enumerate(value):
            yield from walk(item, shape.member, f"{path}[{n}]")
    elif kind == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk(item, shape.value, f"{path}[{key!r}]")


def _as_modelled(op_model: OperationModel, error: ResourceNotFoundException) -> PersonalizeError:
    """A missing resource as the operation models it: ResourceNotFoundException where it is one of its errors (e.g.
    ListSolutionVersions), else its InvalidInputException — most List operations model no ResourceNotFoundException
    (https://docs.aws.amazon.com/personalize/latest/dg/API_ListDatasets.html#API_ListDatasets_Errors)."""
    if any(shape.name == error.code for shape in op_model.error_shapes):
        return error
    return _invalid_input(op_model, error.message)


def _invalid_input(op_model: OperationModel, message: str) -> PersonalizeError:
    """The operation's own InvalidInputException, or the common ValidationException when it models none."""
    if any(error.name == InvalidInputException.code for error in op_model.error_shapes):
        return InvalidInputException(message)
    return ValidationException(message)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _parse(raw_body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; SerializationException when it is not one (never a 500)."""
    try:
        text = (raw_body or b"{}").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SerializationException(f"Request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        params = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SerializationException(f"Request body is not valid JSON: {exc.msg} (position {exc.pos})") from None
    except RecursionError:  # deeper than the interpreter's recursion limit
        raise SerializationException("Request body nests JSON too deeply") from None
    except ValueError as exc:  # NaN / Infinity, which JSON does not have
        raise SerializationException(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise SerializationException("Request body must be a JSON object")
    return params
