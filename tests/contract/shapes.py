"""Check raw JSON response bodies against botocore's output shapes, and record every call a client makes.

botocore's parser silently drops keys it does not model, so a parsed response proves little. ``WireRecorder``
hooks ``after-call`` on a client, keeps the raw HTTP body of every response and checks it: a success body against
the operation's output shape (every key modelled, required members present, types, enums and lengths right), an
error body for a ``__type`` that the operation models and a string ``message``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.model import OperationModel, Shape


def shape_violations(value: Any, shape: Shape, path: str = "$") -> list[str]:
    """Everything in ``value`` (decoded JSON) that does not fit ``shape``; empty when it fits."""
    kind = shape.type_name
    problems: list[str] = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected object ({shape.name}), got {type(value).__name__}"]
        for key in value:
            if key not in shape.members:
                problems.append(f"{path}.{key}: not a member of {shape.name}")
        for required in shape.required_members:
            if required not in value:
                problems.append(f"{path}.{required}: required member of {shape.name} is missing")
        for key, member in shape.members.items():
            if key in value:
                problems += shape_violations(value[key], member, f"{path}.{key}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected list ({shape.name}), got {type(value).__name__}"]
        problems += _range(len(value), shape, path, "length")
        for index, member in enumerate(value):
            problems += shape_violations(member, shape.member, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected map ({shape.name}), got {type(value).__name__}"]
        for key, member in value.items():
            problems += shape_violations(key, shape.key, f"{path}<key {key!r}>")
            problems += shape_violations(member, shape.value, f"{path}[{key!r}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected string ({shape.name}), got {type(value).__name__}"]
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.enum}")
        problems += _range(len(value), shape, path, "length")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: expected integer ({shape.name}), got {value!r}"]
        problems += _range(value, shape, path, "value")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{path}: expected number ({shape.name}), got {value!r}"]
    elif kind == "boolean":
        if not isinstance(value, bool):
            return [f"{path}: expected boolean ({shape.name}), got {value!r}"]
    elif kind == "timestamp":  # JSON protocols send epoch seconds
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{path}: expected epoch-seconds timestamp ({shape.name}), got {value!r}"]
    elif kind == "blob":
        if not isinstance(value, str):
            return [f"{path}: expected base64 string ({shape.name}), got {type(value).__name__}"]
    else:
        problems.append(f"{path}: unhandled shape type {kind}")
    return problems


def _range(size: int | float, shape: Shape, path: str, what: str) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        return [f"{path}: {what} {size} below the minimum {low} of {shape.name}"]
    if high is not None and size > high:
        return [f"{path}: {what} {size} above the maximum {high} of {shape.name}"]
    return []


def body_violations(raw: bytes, status: int, operation: OperationModel) -> list[str]:
    """Problems of one raw response body of ``operation`` (success or error)."""
    where = operation.name
    if status >= 300:
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError:
            return [f"{where}: error body is not JSON: {raw[:200]!r}"]
        code = doc.get("__type", "").split("#")[-1]
        modelled = {shape.name for shape in operation.error_shapes}
        problems = [] if code in modelled else [f"{where}: error {code!r} is not modelled ({sorted(modelled)})"]
        if not isinstance(doc.get("message"), str):
            problems.append(f"{where}: error body has no string message: {doc}")
        return problems
    if operation.output_shape is None:
        return [] if raw in (b"", b"{}") else [f"{where}: expected an empty body, got {raw[:200]!r}"]
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError:
        return [f"{where}: body is not JSON: {raw[:200]!r}"]
    return [f"{where}: {problem}" for problem in shape_violations(doc, operation.output_shape)]


@dataclass
class Call:
    """One recorded response."""

    operation: str
    status: int
    body: bytes


@dataclass
class WireRecorder:
    """Records and checks every response of the clients it is attached to."""

    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def attach(self, client: Any) -> Any:
        """Hook ``client`` (returned for chaining)."""
        client.meta.events.register("after-call", self._after_call)
        return client

    def _after_call(self, http_response: Any, model: OperationModel, **_: Any) -> None:
        raw = http_response.content
        self.calls.append(Call(model.name, http_response.status_code, raw))
        self.violations += body_violations(raw, http_response.status_code, model)

    def raw(self, operation: str) -> dict[str, Any]:
        """The decoded raw body of the latest successful call of ``operation``."""
        for call in reversed(self.calls):
            if call.operation == operation and call.status < 300:
                return json.loads(call.body) if call.body else {}
        raise AssertionError(f"no successful {operation} call recorded")

    def operations(self, ok: bool = True) -> set[str]:
        """Operations that were called successfully (``ok``) or that failed."""
        return {c.operation for c in self.calls if (c.status < 300) == ok}
