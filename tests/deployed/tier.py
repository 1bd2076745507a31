"""The running tier as the deployed tests see it: its state and boto3 clients aimed at its servers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local_cloud.loopback import require_loopback_url
from local_cloud.stack import emulator_client, stack_resources
from local_cloud.state import TierState
from tests.deployed.drops import Execution


@dataclass(frozen=True)
class Cloud:
    """The running tier: its state and boto3 clients aimed at the emulator or at Personalize Local."""

    state: TierState

    def client(self, service: str) -> Any:
        """A client of the emulator (S3, Step Functions, Kinesis, SSM, Lambda, SQS, EventBridge...)."""
        return emulator_client(service, self.state.ministack_url)

    def personalize(self, service: str = "personalize") -> Any:
        """A client of Personalize Local (``personalize``, ``personalize-runtime``, ``personalize-events``)."""
        require_loopback_url(self.state.personalize_url, "Personalize Local URL")
        return boto3.client(
            service,
            endpoint_url=self.state.personalize_url,
            region_name=self.state.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def output(self, key: str) -> str:
        """A stack output; a clear error naming the outputs there are."""
        try:
            return self.state.outputs[key]
        except KeyError:
            raise AssertionError(f"the deployed stack has no output {key!r}: {sorted(self.state.outputs)}") from None

    @property
    def project(self) -> str:
        """The stack's ProjectName parameter (prefix of the SSM parameters the pipeline publishes)."""
        stack = self.client("cloudformation").describe_stacks(StackName=self.state.stack_name)["Stacks"][0]
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
        return parameters.get("ProjectName", "anime-recs")

    def physical_id(self, logical_id: str) -> str:
        """The physical id of a resource of the stack."""
        return stack_resources(self.state.ministack_url, self.state.stack_name)[logical_id]["physical_id"]


@dataclass(frozen=True)
class RetrainedDrop:
    """A drop uploaded to ``incoming/`` and the executions its uploads started."""

    folder: str
    data_dir: Path
    keys: list[str]
    executions: list[Execution]
