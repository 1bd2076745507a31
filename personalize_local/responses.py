"""The wire format: parse a request body, validate it against botocore's input shape, call the backend, and shape
the JSON response or the modelled error (``{"__type": code, "message": ...}``)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel
from botocore.validate import ParamValidator

from personalize_local.exceptions import InvalidInputException, PersonalizeError, UnknownOperationException
from personalize_local.models import PersonalizeBackend

logger = logging.getLogger("personalize_local")

CONTROL_SERVICE = "personalize"
JSON_11 = "application/x-amz-json-1.1"
REST_JSON = "application/json"


@dataclass(frozen=True)
class WireResponse:
    """What the HTTP layer sends back."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


@cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``personalize``, ``personalize-runtime`` or ``personalize-events``."""
    return botocore.session.get_session().get_service_model(service)


def method_name(operation: str) -> str:
    """``CreateDatasetGroup`` -> ``create_dataset_group`` (the backend's method)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class Responses:
    """Dispatches one operation of one of the three services to the backend."""

    def __init__(self, backend: PersonalizeBackend) -> None:
        self.backend = backend
        self._validator = ParamValidator()

    def handle(self, service: str, operation: str, raw_body: bytes) -> WireResponse:
        """Run ``operation`` with the JSON ``raw_body``; every failure becomes a modelled error response."""
        content_type = JSON_11 if service == CONTROL_SERVICE else REST_JSON
        request_id = str(uuid.uuid4())
        try:
            op_model = self._operation(service, operation)
            params = self._parse(raw_body, op_model)
            result = getattr(self.backend, method_name(operation))(**params)
            # the events operations answer with an empty body
            body = b"" if service != CONTROL_SERVICE and op_model.output_shape is None else _encode(result)
            return WireResponse(200, body, content_type, {"x-amzn-RequestId": request_id})
        except PersonalizeError as exc:
            return self._error(exc.status, exc.code, exc.message, content_type, request_id)
        except Exception as exc:  # a server bug: report it the way AWS reports internal errors
            logger.exception("%s.%s failed", service, operation)
            return self._error(500, "InternalFailure", f"{type(exc).__name__}: {exc}", content_type, request_id)

    def _operation(self, service: str, operation: str) -> OperationModel:
        model = service_model(service)
        if operation not in model.operation_names or not hasattr(self.backend, method_name(operation)):
            raise UnknownOperationException(f"Operation {operation} is not implemented by Personalize Local")
        return model.operation_model(operation)

    def _parse(self, raw_body: bytes, op_model: OperationModel) -> dict[str, Any]:
        try:
            params = json.loads(raw_body or b"{}")
        except json.JSONDecodeError as exc:
            raise InvalidInputException(f"Request body is not valid JSON: {exc.msg}") from None
        if not isinstance(params, dict):
            raise InvalidInputException("Request body must be a JSON object")
        if op_model.input_shape is not None:
            report = self._validator.validate(params, op_model.input_shape)
            if report.has_errors():
                raise InvalidInputException(f"1 or more parameters are invalid: {report.generate_report()}")
        return params

    @staticmethod
    def _error(status: int, code: str, message: str, content_type: str, request_id: str) -> WireResponse:
        headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
        return WireResponse(status, _encode({"__type": code, "message": message}), content_type, headers)
