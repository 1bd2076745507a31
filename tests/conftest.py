"""Settings every test shares: fake AWS credentials and region, never a real endpoint."""

from __future__ import annotations

import os

import pytest

from tests.support.fuzzing import load_profile

# Hypothesis: one profile for the whole run (bounded by default, HYPOTHESIS_PROFILE=fuzz for `make fuzz`).
load_profile()

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "AnimeRecommenderTests",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach real AWS: fake credentials, a fixed region, no inherited endpoint overrides."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name == "AWS_PROFILE":
            monkeypatch.delenv(name, raising=False)
    for name, value in _FAKE_ENV.items():
        monkeypatch.setenv(name, value)
