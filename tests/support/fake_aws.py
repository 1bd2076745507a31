"""Dummy AWS credentials and region for tests that talk to emulators (which accept any key)."""

from __future__ import annotations

import pytest

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def use_fake_credentials(patch: pytest.MonkeyPatch) -> None:
    """Set the dummy credentials and region for the duration of ``patch``."""
    for name, value in FAKE_CREDENTIALS.items():
        patch.setenv(name, value)
