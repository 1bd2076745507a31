"""Bounded retry with exponential backoff and full jitter, for errors AWS SDKs consider transient.

Which errors are transient is botocore's own decision (the checkers of its "standard" retry mode: throttling
codes, HTTP 429/5xx, connection errors), so this module only decides *how long* to wait and *when to stop*.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.awsrequest import AWSResponse
from botocore.exceptions import BotoCoreError, ClientError
from botocore.model import OperationModel
from botocore.retries.standard import (
    ModeledRetryableChecker,
    OrRetryChecker,
    RetryContext,
    ThrottledRetryableChecker,
    ThrottlingStatusCodeChecker,
    TransientRetryableChecker,
)

T = TypeVar("T")

_TRANSIENT = OrRetryChecker(
    [TransientRetryableChecker(), ThrottledRetryableChecker(), ThrottlingStatusCodeChecker(), ModeledRetryableChecker()]
)


def is_transient(error: BaseException, operation_model: OperationModel | None = None) -> bool:
    """True for throttling, HTTP 429/5xx and connection errors: what botocore's standard retry mode retries."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        http_response = AWSResponse("", status, {}, None) if status else None
        context = RetryContext(
            attempt_number=1,
            operation_model=operation_model,
            parsed_response=error.response,
            http_response=http_response,
        )
    elif isinstance(error, BotoCoreError):
        context = RetryContext(attempt_number=1, operation_model=operation_model, caught_exception=error)
    else:
        return False
    return bool(_TRANSIENT.is_retryable(context))


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, else the exception class name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_attempts`` tries; before try n+1 wait uniform(0, min(max_delay, base_delay * 2**(n-1))) s."""

    max_attempts: int = 5
    base_delay: float = 0.1
    max_delay: float = 2.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must be >= 0")

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (2, 3, ...): full jitter over a capped exponential."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 2))
        return ceiling * self.random()


@dataclass
class RetryOutcome:
    """What happened: the result, or the last error; how many attempts and how many were transient failures."""

    result: Any = None
    error: BaseException | None = None
    attempts: int = 0
    transient_failures: int = 0

    @property
    def succeeded(self) -> bool:
        """True when the call returned."""
        return self.error is None


def call_with_retry(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    operation_model: OperationModel | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RetryOutcome:
    """Run ``call``; retry transient errors with backoff until success, a permanent error, the attempt limit,
    or a wait that would pass ``deadline`` (a ``clock()`` value). Never raises the call's errors (any
    ``Exception``, botocore's or not): returns them in the outcome."""
    outcome = RetryOutcome()
    for attempt in range(1, policy.max_attempts + 1):
        if attempt > 1:
            delay = policy.delay_before(attempt)
            if deadline is not None and clock() + delay >= deadline:
                break
            sleep(delay)
        outcome.attempts = attempt
        try:
            outcome.result = call()
        except Exception as error:  # returned, never raised: the caller classifies it (only transient ones retry)
            outcome.error = error
            if not is_transient(error, operation_model):
                return outcome
            outcome.transient_failures += 1
            continue
        outcome.error = None
        return outcome
    return outcome
