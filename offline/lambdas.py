"""Run the real Lambda handlers in-process when moto invokes a function (instead of Docker).

moto calls ``LambdaFunction._invoke_lambda(event) -> (payload, errored, logs)`` for ``lambda.invoke``, Step
Functions Lambda tasks and event source mappings; :func:`in_process_lambdas` patches that single method. It is a
private moto method, so moto is pinned (pyproject) and ``tests/unit/test_pipeline_offline_harness.py`` fails
loudly if the patch target disappears. Handlers are loaded, and called with a context, by ``sam_app.handlers``.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction

from iam_audit.recorder import CallRecorder
from sam_app.handlers import Handler, LambdaContext


class HandlerRegistry:
    """Function name -> in-process handler, plus a short record of every invocation (function, error if any) and
    of every AWS call each function made (``calls``, recorded once ``offline.harness`` installs its hooks)."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Handler, int, int]] = {}
        self._lock = threading.Lock()
        self.invocations: list[dict[str, Any]] = []
        self.calls = CallRecorder()

    def register(self, function_name: str, handler: Handler, memory_mb: int = 128, timeout_s: int = 60) -> None:
        """Run ``handler`` whenever moto invokes ``function_name``."""
        self._handlers[function_name] = (handler, memory_mb, timeout_s)

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        """What moto's ``_invoke_lambda`` returns: (payload JSON, errored, logs)."""
        try:
            handler, memory_mb, timeout_s = self._handlers[function.function_name]
        except KeyError:
            message = f"no offline handler registered for Lambda function {function.function_name}"
            return json.dumps({"errorMessage": message, "errorType": "ResourceNotFoundException"}), True, message
        payload = json.loads(event) if isinstance(event, str | bytes) else event  # moto passes parsed JSON
        context = LambdaContext.for_function(
            function.function_name, memory_mb=memory_mb, timeout_s=timeout_s, arn=function.function_arn
        )
        record: dict[str, Any] = {"function": function.function_name}
        try:
            with self.calls.acting_as(function.function_name):
                result = handler(payload, context)
        except Exception as error:
            record["error"] = f"{type(error).__name__}: {error}"
            with self._lock:
                self.invocations.append(record)
            body = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_exc().splitlines(),
            }
            return json.dumps(body), True, traceback.format_exc()
        with self._lock:
            self.invocations.append(record)
        return json.dumps(result, default=str), False, ""


@contextmanager
def in_process_lambdas(registry: HandlerRegistry) -> Iterator[HandlerRegistry]:
    """Patch moto so every Lambda invocation runs the registered in-process handler."""

    def _invoke(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        return registry.invoke(self, event)

    with mock.patch.object(LambdaFunction, "_invoke_lambda", _invoke):
        yield registry
