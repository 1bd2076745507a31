"""What the pipeline published to SSM (campaign ARNs, filters, tracking id, catalog URI), read through
Powertools Parameters so each value is fetched once per ``max_age`` seconds. A parameter that is missing or still
holds the stack's placeholder (``anime_recommender.contracts.parameters``) is "not ready" (503), never a value."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from botocore.exceptions import ClientError

from anime_recommender.contracts.parameters import is_placeholder
from anime_recommender.contracts.recipes import DEPLOYABLE_RECIPES
from anime_recommender.pipeline.names import DEFAULT_PROJECT, ResourceNames
from anime_recommender.recommendations_api.errors import NotReadyError, ThrottledError, UpstreamError

DEFAULT_PROJECT_NAME = DEFAULT_PROJECT
DEFAULT_MAX_AGE_SECONDS = 300
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "Throttling", "ThrottledException"})


@dataclass(frozen=True)
class SettingsConfig:
    """Where the settings live and how long to cache them."""

    project_name: str = DEFAULT_PROJECT_NAME
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS

    @classmethod
    def from_environment(cls) -> SettingsConfig:
        """``PROJECT_NAME`` and ``POWERTOOLS_PARAMETERS_MAX_AGE`` (seconds) from the environment."""
        return cls(
            project_name=os.environ.get("PROJECT_NAME", DEFAULT_PROJECT_NAME),
            max_age_seconds=int(os.environ.get("POWERTOOLS_PARAMETERS_MAX_AGE", DEFAULT_MAX_AGE_SECONDS)),
        )


class PublishedSettings:
    """Typed, cached access to the pipeline's SSM parameters (``/{project}/...``; docs/pipeline.md, "What it
    publishes")."""

    def __init__(self, config: SettingsConfig, ssm_client: Any | None = None) -> None:
        self.config = config
        self.names = ResourceNames(config.project_name)
        self._provider = SSMProvider(boto3_client=ssm_client) if ssm_client is not None else SSMProvider()

    def _get(self, name: str, what: str, transform: str | None = None) -> Any:
        value = self._read(name, what, transform)
        if transform is None and is_placeholder(value):
            raise NotReadyError(
                f"No {what} is live yet: SSM parameter {name} still holds the stack's placeholder {value!r} (the "
                "retraining pipeline has not published it; run it on a data drop, or `make demo` locally)"
            )
        return value

    def _read(self, name: str, what: str, transform: str | None) -> Any:
        try:
            return self._provider.get(name, max_age=self.config.max_age_seconds, transform=transform)
        except GetParameterError as error:
            cause = error.__context__
            code = cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None
            if code == "ParameterNotFound":
                raise NotReadyError(
                    f"No {what} is live yet: SSM parameter {name} is missing (the retraining pipeline has not "
                    "published it; run it on a data drop, or `make demo` locally)"
                ) from error
            if code in THROTTLING_CODES:
                raise ThrottledError("Too many requests reading settings; retry shortly") from error
            raise UpstreamError(f"Could not read SSM parameter {name}") from error
        except TransformParameterError as error:
            raise UpstreamError(f"SSM parameter {name} does not hold valid JSON") from error

    def campaign_arn(self, recipe: str) -> str:
        """ARN of the live campaign for ``recipe`` (one of :data:`DEPLOYABLE_RECIPES`)."""
        if recipe not in DEPLOYABLE_RECIPES:
            raise ValueError(f"{recipe!r} has no campaign; deployable recipes: {', '.join(DEPLOYABLE_RECIPES)}")
        return str(self._get(self.names.parameters.campaign(recipe), f"{recipe} campaign"))

    def tracking_id(self) -> str:
        """The event tracker's tracking id."""
        return str(self._get(self.names.parameters.tracking_id, "event tracker"))

    def filters(self) -> dict[str, str]:
        """Filter name → filter ARN."""
        return dict(self._get(self.names.parameters.filters, "set of filters", transform="json"))

    def filter_arn(self, name: str) -> str:
        """ARN of the pipeline filter ``name``; 503 if the pipeline has not made it."""
        arn = self.filters().get(name)
        if not arn:
            raise NotReadyError(f"Filter {name!r} is not live yet: it is missing from {self.names.parameters.filters}")
        return str(arn)

    def event_types(self) -> list[str]:
        """Event types present in the training data."""
        return [
            str(value)
            for value in self._get(self.names.parameters.event_types, "list of event types", transform="json")
        ]

    def catalog_uri(self) -> str:
        """``s3://bucket/key`` of the live ``catalog.json``."""
        return str(self._get(self.names.parameters.catalog, "catalog"))
