"""An operation Personalize Local does not implement, for the tests of its UnknownOperationException: picked from the
operations table, so implementing one more operation does not break them; once every ``personalize`` operation is
implemented, a name that is none of them (answered the same way)."""

from __future__ import annotations

from personalize_local.operations import operation_rows
from personalize_local.responses import CONTROL_SERVICE

#: Not an operation of the botocore model: the server answers it as it answers an unimplemented one.
NOT_AN_OPERATION = "DescribeNothingAtAll"


def unimplemented_control_operation() -> str:
    """A ``personalize`` operation that is not implemented, or :data:`NOT_AN_OPERATION` when all are."""
    for service, operation, _, status in operation_rows():
        if service == CONTROL_SERVICE and status != "implemented":
            return operation
    return NOT_AN_OPERATION
