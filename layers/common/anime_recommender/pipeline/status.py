"""Personalize status values -> what a polling loop does next, and which API errors mean "back off and retry"."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

Phase = Literal["ACTIVE", "FAILED", "PENDING"]

#: Errors that mean "not now": too many jobs in flight, a resource busy with another operation, throttling.
RETRYABLE_ERROR_CODES = frozenset(
    {"LimitExceededException", "ResourceInUseException", "ThrottlingException", "TooManyRequestsException"}
)


def phase_of(status: str | None) -> Phase:
    """ACTIVE = done; any status containing FAILED (or a stopped training) = failed; anything else = keep waiting.

    Poll on terminal states only: Personalize's status spellings differ between resource types.
    """
    if status == "ACTIVE":
        return "ACTIVE"
    if status and ("FAILED" in status or status in {"CREATE STOPPED", "CREATE STOPPING"}):
        return "FAILED"
    return "PENDING"


def is_retryable(error: ClientError) -> bool:
    """True for the error codes that mean back off and try again on the next poll."""
    return error.response.get("Error", {}).get("Code") in RETRYABLE_ERROR_CODES


def error_code(error: ClientError) -> str:
    """The error code of a botocore ClientError."""
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


@dataclass
class ResourceState:
    """Where one Personalize resource stands, as carried in the execution state."""

    kind: str
    name: str
    arn: str | None
    status: str | None
    failureReason: str | None = None
    note: str | None = None

    @property
    def phase(self) -> Phase:
        """ACTIVE / FAILED / PENDING."""
        return phase_of(self.status)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, without empty fields."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    def summary(self) -> str:
        """One line an operator can read."""
        text = f"{self.kind} {self.name}: {self.status or 'not created'}"
        if self.failureReason:
            text += f" ({self.failureReason})"
        if self.note:
            text += f" [{self.note}]"
        return text
