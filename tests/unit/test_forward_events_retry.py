"""Which errors are transient (botocore's own checkers) and how the bounded backoff behaves."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from anime_recommender.forward_events import RetryPolicy, call_with_retry, is_transient


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "X")


@pytest.fixture
def put_events_model():
    return boto3.client("personalize-events").meta.service_model.operation_model("PutEvents")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (client_error("ThrottlingException", 400), True),
        (client_error("TooManyRequestsException", 429), True),
        (client_error("SomethingUnknown", 429), True),
        (client_error("InternalFailure", 500), True),
        (client_error("ServiceUnavailable", 503), True),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), True),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), True),
        (client_error("InvalidInputException", 400), False),
        (client_error("AccessDeniedException", 403), False),
        (client_error("ResourceNotFoundException", 404), False),
        (ValueError("not an AWS error"), False),
    ],
)
def test_transient_errors_are_what_botocore_standard_mode_retries(error, transient, put_events_model) -> None:
    assert is_transient(error, put_events_model) is transient


class Calls:
    """A callable that raises the given errors in turn, then returns 'ok'."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_transient_errors_are_retried_with_capped_exponential_backoff() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=0.3, random=lambda: 1.0)
    call = Calls(*(client_error("ThrottlingException", 400) for _ in range(4)))

    outcome = call_with_retry(call, policy, sleep=sleeps.append)

    assert outcome.succeeded and outcome.result == "ok"
    assert (outcome.attempts, outcome.transient_failures, call.count) == (5, 4, 5)
    assert sleeps == pytest.approx([0.1, 0.2, 0.3, 0.3])


def test_jitter_scales_the_wait_between_zero_and_the_ceiling() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=10.0, random=lambda: 0.25)

    call_with_retry(
        Calls(client_error("Throttling", 400), client_error("Throttling", 400)), policy, sleep=sleeps.append
    )

    assert sleeps == pytest.approx([0.25, 0.5])


def test_gives_up_after_max_attempts_and_returns_the_last_error() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.0)
    call = Calls(*(client_error("ThrottlingException", 400) for _ in range(5)))

    outcome = call_with_retry(call, policy, sleep=lambda _: None)

    assert not outcome.succeeded
    assert (outcome.attempts, call.count) == (3, 3)
    assert outcome.error.response["Error"]["Code"] == "ThrottlingException"


def test_permanent_errors_are_not_retried() -> None:
    call = Calls(client_error("InvalidInputException", 400))

    outcome = call_with_retry(call, RetryPolicy(), sleep=lambda _: pytest.fail("must not wait"))

    assert (outcome.succeeded, outcome.attempts, outcome.transient_failures) == (False, 1, 0)


def test_no_wait_starts_that_would_pass_the_deadline() -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=8.0, random=lambda: 1.0)
    call = Calls(*(client_error("ThrottlingException", 400) for _ in range(10)))

    outcome = call_with_retry(call, policy, deadline=105.0, clock=lambda: now[0], sleep=sleep)

    assert not outcome.succeeded
    assert sleeps == [1.0, 2.0]  # a further 4 s wait would end at 107 > 105
    assert outcome.attempts == 3


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}])
def test_policy_rejects_nonsense(kwargs) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)
