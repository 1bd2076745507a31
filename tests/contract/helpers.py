"""Small helpers of the contract suite: polling with a timeout, schemas, error codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from testing.avro_schemas import avro_schema_json
from testing.polling import wait_until

ROLE = "arn:aws:iam::123456789012:role/PersonalizeLocal"
CREATE_ORDER = ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]


def poll_statuses(describe: Callable[[], Mapping[str, Any]], timeout: float = 60.0) -> list[str]:
    """Poll until ACTIVE or CREATE FAILED; return the distinct statuses seen, in order."""
    seen: list[str] = []

    def final() -> bool:
        status = describe()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        return status in ("ACTIVE", "CREATE FAILED")

    wait_until(
        final, timeout=timeout, interval=0.01, max_interval=0.01, message=lambda: f"no final status; seen {seen}"
    )
    return seen


def assert_create_order(seen: list[str]) -> None:
    """The statuses seen follow CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE (some may be skipped by polling)."""
    positions = [CREATE_ORDER.index(s) for s in seen]
    assert positions == sorted(positions) and seen[-1] == "ACTIVE", seen


def wait_gone(describe: Callable[[], Any], timeout: float = 30.0) -> list[str]:
    """Poll a deleted resource until Describe raises ResourceNotFoundException; return the statuses seen."""
    seen: list[str] = []

    def gone() -> bool:
        try:
            status = describe()["status"]
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ResourceNotFoundException", exc
            return True
        if not seen or seen[-1] != status:
            seen.append(status)
        return False

    wait_until(gone, timeout=timeout, interval=0.01, max_interval=0.01, message=lambda: f"still there; seen {seen}")
    return seen


def code_of(exc: ClientError) -> str:
    """The error code botocore parsed."""
    return exc.response["Error"]["Code"]


def raises_code(code: str, call: Callable[..., Any], **kwargs: Any) -> ClientError:
    """Call ``call(**kwargs)``, which must fail with the modelled error ``code``; the error."""
    try:
        call(**kwargs)
    except ClientError as exc:
        assert code_of(exc) == code, exc
        return exc
    raise AssertionError(f"{code} expected, the call succeeded")


def schema_json(record: str, fields: list[dict[str, Any]]) -> str:
    """An Avro record schema string."""
    return avro_schema_json(record, fields)


INTERACTIONS_FIELDS = [
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "EVENT_VALUE", "type": ["null", "float"]},
]
ITEMS_FIELDS = [
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRES", "type": ["null", "string"], "categorical": True},
    {"name": "YEAR", "type": ["null", "long"]},
    {"name": "CREATION_TIMESTAMP", "type": ["null", "long"]},
]
USERS_FIELDS = [
    {"name": "USER_ID", "type": "string"},
    {"name": "AGE_GROUP", "type": ["null", "string"], "categorical": True},
]
