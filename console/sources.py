"""Where executions come from: a boto3 Step Functions client (moto, the local cloud tier, AWS) or recorded runs."""

from __future__ import annotations

from pathlib import Path

import boto3

from console.reader import StepFunctionsReader
from console.recorded import RecordedStepFunctions


def open_reader(
    runs_dir: Path | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    region: str | None = None,
) -> StepFunctionsReader:
    """Recorded runs when ``runs_dir`` is given, else a boto3 client (endpoint, profile and region optional)."""
    if runs_dir is not None:
        return StepFunctionsReader(RecordedStepFunctions(runs_dir))
    session = boto3.Session(profile_name=profile, region_name=region)
    return StepFunctionsReader(session.client("stepfunctions", endpoint_url=endpoint_url))
