"""An operation Personalize Local does not implement yet, for the tests of its UnknownOperationException (picked
from the operations table, so implementing one more operation does not break them)."""

from __future__ import annotations

from personalize_local.operations import operation_rows
from personalize_local.responses import CONTROL_SERVICE, service_model


def unimplemented_control_operation() -> str:
    """A ``personalize`` operation that is not implemented and has no required input (``ListX``-style)."""
    model = service_model(CONTROL_SERVICE)
    for service, operation, _, status in operation_rows():
        if service == CONTROL_SERVICE and status != "implemented":
            shape = model.operation_model(operation).input_shape
            if shape is None or not shape.required_members:
                return operation
    raise AssertionError("every personalize operation without required input is implemented: pick another test")
