"""The API's router: Powertools' HTTP API resolver whose OpenAPI document declares exactly what the API returns.

Powertools adds a ``422 Validation Error`` response (and its ``HTTPValidationError`` schema) to every operation
when request validation is on. This API answers every validation error with a 400 ``ErrorBody`` naming the
parameter, so those entries are removed from the document: each operation lists only the responses its route
declares.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

POWERTOOLS_VALIDATION_STATUS = "422"
POWERTOOLS_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class DocumentedHttpResolver(APIGatewayHttpResolver):
    """``APIGatewayHttpResolver`` without the 422 responses the API never sends."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """The OpenAPI document of the routes, with only the responses each route declares."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in (schema.paths or {}).values():
            for method in HTTP_METHODS:
                operation = getattr(path_item, method, None)
                if operation is not None and operation.responses:
                    operation.responses = {
                        code: response
                        for code, response in operation.responses.items()
                        if str(code) != POWERTOOLS_VALIDATION_STATUS
                    }
        if schema.components is not None and schema.components.schemas:
            for name in POWERTOOLS_VALIDATION_SCHEMAS:
                schema.components.schemas.pop(name, None)
        return schema
