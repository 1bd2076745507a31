"""Errors the pipeline raises. Their class names become the Step Functions ``Error`` an operator sees."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class ConfigError(PipelineError):
    """The pipeline config (defaults merged with a drop's ``config.json``) is invalid."""


class DropError(PipelineError):
    """The triggering event or the drop folder cannot be processed."""


class ResourceMismatchError(PipelineError):
    """A Personalize resource with the pipeline's deterministic name exists but differs from the config."""


class ResourceFailedError(PipelineError):
    """A Personalize resource ended in a failed status; the message carries Personalize's ``failureReason``."""


class PollBudgetExceededError(PipelineError):
    """A resource was still not ready after the polling budget configured for it."""
