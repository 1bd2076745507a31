"""Call a Personalize Local backend in-process the way a client would: camelCase parameters in, the operation's
wire-format dict out, through the same validation and shaping as the HTTP server (errors are raised as the
modelled exceptions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import xform_name

from personalize_local.models import PersonalizeBackend
from personalize_local.responses import SERVICES, Responses, service_model

_OPERATIONS = {
    xform_name(operation): (service, operation)
    for service in SERVICES
    for operation in service_model(service).operation_names
}


class WireApi:
    """``api.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]`` on an in-process backend."""

    def __init__(self, backend: PersonalizeBackend) -> None:
        self.backend = backend
        self._responses = Responses(backend)

    def start(self) -> None:
        """Start the backend's worker."""
        self.backend.start()

    def shutdown(self) -> None:
        """Stop the backend."""
        self.backend.shutdown()

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        if name not in _OPERATIONS:
            raise AttributeError(name)
        service, operation = _OPERATIONS[name]
        return lambda **params: self._responses.call(service, operation, params)
