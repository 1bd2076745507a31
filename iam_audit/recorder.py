"""Record every AWS call made through botocore, with the principal making it (botocore event hooks).

``before-parameter-build`` keeps the call's API parameters; ``before-call`` (same call, same ``context`` dict) adds
the endpoint's scheme and records the call. The principal is the function whose invocation is running in this
thread (:meth:`CallRecorder.acting_as`, used by the offline Lambda runner); worker threads of a
``ThreadPoolExecutor`` inherit it, as threads of one Lambda invocation would. Calls of Personalize Local's job
workers (dataset imports reading S3) are what Amazon Personalize does with the service role.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3
from botocore import handlers

from iam_audit.evaluator import Principal, Request
from iam_audit.policies import SERVICE_ROLE
from iam_audit.requests import iam_requests

ACCOUNT_ID = "123456789012"
PERSONALIZE_WORKER_THREADS = "personalize-local-worker"
PERSONALIZE_PRINCIPAL = Principal("Service", "personalize.amazonaws.com")
_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("iam_audit_principal", default=None)
_PARAMS_KEY = "iam_audit_params"


@dataclass(frozen=True)
class RecordedCall:
    """One API call: who made it, the botocore service and operation, what IAM authorizes for it."""

    principal: str
    service: str
    operation: str
    requests: tuple[Request, ...]


class CallRecorder:
    """Collects the calls made while its hooks are installed (:func:`recording_calls`)."""

    def __init__(self, account: str = ACCOUNT_ID) -> None:
        self.account = account
        self.calls: list[RecordedCall] = []
        self._lock = threading.Lock()

    @contextmanager
    def acting_as(self, principal: str) -> Iterator[None]:
        """Attribute the calls made in this block (and in executor threads it starts) to ``principal``."""
        token = _CURRENT.set(principal)
        try:
            yield
        finally:
            _CURRENT.reset(token)

    def keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """``before-parameter-build`` hook: remember the API parameters of this call."""
        context[_PARAMS_KEY] = dict(params)

    def record(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """``before-call`` hook: record the call if a principal is making it (the harness's own calls are not)."""
        principal = _CURRENT.get()
        if principal is None and threading.current_thread().name.startswith(PERSONALIZE_WORKER_THREADS):
            principal = SERVICE_ROLE
        if principal is None:
            return
        service_model = model.service_model
        requests = iam_requests(
            service_model.signing_name,
            model.name,
            context.get(_PARAMS_KEY, {}),
            context.get("client_region") or "us-east-1",
            self.account,
            secure_transport=str(params.get("url", "https://")).startswith("https://"),
        )
        call = RecordedCall(principal, service_model.service_name, model.name, tuple(requests))
        with self._lock:
            self.calls.append(call)


def _submit_in_context(original: Callable[..., Any]) -> Callable[..., Any]:
    def submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return original(self, contextvars.copy_context().run, fn, *args, **kwargs)

    return submit


@contextmanager
def recording_calls(recorder: CallRecorder) -> Iterator[CallRecorder]:
    """Install the hooks on every botocore session made from now on (and boto3's current default session)."""
    hooks = [("before-parameter-build", recorder.keep_params), ("before-call", recorder.record)]
    handlers.BUILTIN_HANDLERS.extend(hooks)
    session = boto3.DEFAULT_SESSION
    if session is not None:
        for event, handler in hooks:
            session.events.register(event, handler)
    submit = _submit_in_context(ThreadPoolExecutor.submit)
    try:
        with mock.patch.object(ThreadPoolExecutor, "submit", submit):
            yield recorder
    finally:
        for hook in hooks:
            handlers.BUILTIN_HANDLERS.remove(hook)
        if session is not None:
            for event, handler in hooks:
                session.events.unregister(event, handler)
