"""The Personalize Local backend: one part per resource family (see :mod:`personalize_local.models.backend`)."""

from __future__ import annotations

from personalize_local.models.backend import PersonalizeBackend
from personalize_local.models.lifecycle import BackendConfig

__all__ = ["BackendConfig", "PersonalizeBackend"]
