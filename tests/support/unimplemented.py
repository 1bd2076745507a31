"""An operation Personalize Local does not implement yet, for the tests of its UnknownOperationException (picked
from the operations table, so implementing one more operation does not break them)."""

from __future__ import annotations

from typing import Any

from personalize_local.operations import operation_rows
from personalize_local.responses import CONTROL_SERVICE, service_model


def unimplemented_control_operation() -> str:
    """A ``personalize`` operation that is not implemented, one without required input (``ListX``-style) first."""
    return unimplemented_control_call()[0]


def unimplemented_control_call() -> tuple[str, dict[str, Any]]:
    """(operation, keyword arguments botocore accepts for it): an unimplemented ``personalize`` operation whose
    required input is only strings (filled with placeholders), one without required input first."""
    model = service_model(CONTROL_SERVICE)
    found: list[tuple[int, str, dict[str, Any]]] = []
    for service, operation, _, status in operation_rows():
        if service != CONTROL_SERVICE or status == "implemented":
            continue
        shape = model.operation_model(operation).input_shape
        required = list(shape.required_members) if shape is not None else []
        if all(shape.members[name].type_name == "string" for name in required):
            found.append((len(required), operation, {name: "placeholder" for name in required}))
    if not found:
        raise AssertionError("every personalize operation with simple input is implemented: pick another test")
    _, operation, kwargs = min(found)
    return operation, kwargs
