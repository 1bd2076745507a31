"""Personalize's modelled errors: the ``__type`` code botocore maps to ``client.exceptions.<Code>`` and a message.
The backend raises these; ``responses.py`` turns them into wire responses with the HTTP status the service's botocore
model declares for the code (so one error can be 400 on the control plane and 404 on the runtime)."""

from __future__ import annotations


class PersonalizeError(Exception):
    """Base class of every error the service returns to a client."""

    code: str = "InternalFailure"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputException(PersonalizeError):
    """The request is malformed or asks for something the resource cannot do."""

    code = "InvalidInputException"


class ResourceNotFoundException(PersonalizeError):
    """No resource with that ARN (or tracking id) exists."""

    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(PersonalizeError):
    """A resource of that type and name already exists."""

    code = "ResourceAlreadyExistsException"


class ResourceInUseException(PersonalizeError):
    """The resource is not in a state that allows the operation, or other resources still depend on it."""

    code = "ResourceInUseException"


class LimitExceededException(PersonalizeError):
    """A service quota would be exceeded."""

    code = "LimitExceededException"


class TooManyTagsException(PersonalizeError):
    """More than 200 tags on one resource."""

    code = "TooManyTagsException"


class InvalidNextTokenException(PersonalizeError):
    """A ``nextToken`` this server did not hand out."""

    code = "InvalidNextTokenException"


class UnknownOperationException(PersonalizeError):
    """An operation or route this server does not implement."""

    code = "UnknownOperationException"


class SerializationException(PersonalizeError):
    """The request body is not a JSON object (not UTF-8, not JSON, nested too deeply, or cut short).

    The AWS JSON protocols answer a body they cannot deserialize with ``SerializationException`` (HTTP 400), not
    with the operation's own errors: https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html and
    https://docs.aws.amazon.com/personalize/latest/dg/CommonErrors.html.
    """

    code = "SerializationException"


class ValidationException(PersonalizeError):
    """The input fails the operation's constraints, for an operation that models no InvalidInputException
    (ListDatasetGroups, ListSchemas): AWS's common error, https://docs.aws.amazon.com/personalize/latest/dg/CommonErrors.html."""

    code = "ValidationException"


def resource_not_found(kind: str, arn: str) -> ResourceNotFoundException:
    """The standard not-found error for one resource."""
    return ResourceNotFoundException(f"Could not find {kind} with ARN {arn}")
