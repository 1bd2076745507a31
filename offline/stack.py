"""The SAM app "deployed" into moto: bucket, topic, SSM parameters, the step functions (real handlers,
in-process), both state machines from their ASL files with DefinitionSubstitutions resolved from template.yaml,
and the S3 -> EventBridge trigger.

moto's EventBridge cannot target a state machine, so the rule from the template (same event pattern) targets an
SQS queue and :meth:`OfflineStack.start_triggered_executions` starts one execution per delivered event - what
EventBridge's Step Functions target does in AWS.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from offline.lambdas import HandlerRegistry
from sam_app.handlers import load_handler
from sam_app.intrinsics import resolve, substitute_definition
from sam_app.template import TemplateModel

ACCOUNT_ID = "123456789012"
PIPELINE_STATE_MACHINES = ("RetrainStateMachine", "CleanupStateMachine")


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    return buffer.getvalue()


@dataclass
class OfflineStack:
    """Everything the pipeline needs, created in moto from template.yaml."""

    registry: HandlerRegistry
    region: str = "us-east-1"
    template: TemplateModel = field(default_factory=TemplateModel.read)
    parameters: dict[str, str] = field(default_factory=dict)
    physical: dict[str, dict[str, str]] = field(default_factory=dict)
    state_machine_arns: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    # ---------------------------------------------------------------- deployment
    @property
    def pseudo(self) -> dict[str, str]:
        """Pseudo parameters and template parameters."""
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "anime-recommender-offline",
            **{**self.template.parameter_defaults(), **self.parameters},
        }

    @property
    def conditions(self) -> dict[str, bool]:
        """The template's conditions for this stack's parameters."""
        return self.template.conditions(self.pseudo)

    @property
    def project(self) -> str:
        """The ProjectName parameter."""
        return self.pseudo["ProjectName"]

    def _client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)

    def deploy(self) -> OfflineStack:
        """Create the resources in moto (call inside ``mock_aws``)."""
        s3, sns, sqs, ssm, iam = (self._client(name) for name in ("s3", "sns", "sqs", "ssm", "iam"))
        bucket = f"{self.project}-data-offline"
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        self.physical["DataBucket"] = {"Ref": bucket, "Arn": f"arn:aws:s3:::{bucket}"}
        self.physical["CommonLayer"] = {"Ref": "offline-layer"}

        topic_arn = sns.create_topic(Name=f"{self.project}-notifications")["TopicArn"]
        self.physical["NotificationTopic"] = {"Ref": topic_arn, "TopicName": topic_arn.rsplit(":", 1)[-1]}
        self._inbox_url = sqs.create_queue(QueueName="notifications-inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=self._inbox_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
        self.notifications: list[dict[str, str]] = []

        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        for logical_id in self.template.resources_of_type("AWS::IAM::Role"):
            arn = iam.create_role(RoleName=logical_id, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            self.physical[logical_id] = {"Ref": logical_id, "Arn": arn}
        execution_role = iam.create_role(RoleName="offline-execution-role", AssumeRolePolicyDocument=trust)["Role"][
            "Arn"
        ]

        for logical_id in self.template.resources_of_type("AWS::SSM::Parameter"):
            props = resolve(
                self.template.resources[logical_id]["Properties"], self.physical, self.pseudo, self.conditions
            )
            ssm.put_parameter(Name=props["Name"], Value=props["Value"], Type=props.get("Type", "String"))
            self.physical[logical_id] = {"Ref": props["Name"]}

        for machine in PIPELINE_STATE_MACHINES:
            for value in self.template.state_machine(machine).substitutions.values():
                if isinstance(value, dict) and "Fn::GetAtt" in value:
                    self._create_function(value["Fn::GetAtt"][0], execution_role)

        sfn = self._client("stepfunctions")
        for machine in PIPELINE_STATE_MACHINES:
            spec = self.template.state_machine(machine)
            substitutions = resolve(spec.substitutions, self.physical, self.pseudo, self.conditions)
            definition = substitute_definition(spec.definition_path.read_text("utf-8"), substitutions)
            name = resolve(spec.name, self.physical, self.pseudo, self.conditions)
            arn = sfn.create_state_machine(name=name, definition=definition, roleArn=execution_role, type="STANDARD")[
                "stateMachineArn"
            ]
            self.state_machine_arns[machine] = arn
            self.physical[machine] = {"Ref": arn, "Name": name}
        self._create_trigger()
        return self

    def _create_function(self, logical_id: str, role_arn: str) -> None:
        if logical_id in self.physical:
            return
        spec = self.template.function(logical_id)
        arn = self._client("lambda").create_function(
            FunctionName=logical_id,
            Runtime="python3.12",
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": _placeholder_zip()},
            MemorySize=spec.memory,
            Timeout=spec.timeout,
        )["FunctionArn"]
        self.physical[logical_id] = {"Ref": logical_id, "Arn": arn}
        for name, value in resolve(spec.environment, self.physical, self.pseudo, self.conditions).items():
            if name in self.environment and self.environment[name] != str(value):
                raise ValueError(
                    f"{logical_id} sets {name}={value!r} but another function sets {self.environment[name]!r}; "
                    "offline handlers share one process environment"
                )
            self.environment[name] = str(value)
        handler = load_handler(spec.code_dir, spec.handler, name=f"offline_fn_{logical_id}")
        self.registry.register(logical_id, handler, spec.memory, spec.timeout)

    def _create_trigger(self) -> None:
        events, sqs = self._client("events"), self._client("sqs")
        spec = self.template.state_machine("RetrainStateMachine")
        rule = next(e for e in spec.events.values() if e.get("Type") == "EventBridgeRule")
        pattern = resolve(rule["Properties"]["Pattern"], self.physical, self.pseudo, self.conditions)
        self._trigger_url = sqs.create_queue(QueueName="retrain-trigger")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._trigger_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name=f"{self.project}-drop-uploaded", EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=f"{self.project}-drop-uploaded", Targets=[{"Id": "retrain", "Arn": queue_arn}])

    # ---------------------------------------------------------------- using it
    @property
    def bucket(self) -> str:
        """The data bucket's name."""
        return self.physical["DataBucket"]["Ref"]

    def upload_drop(self, source_dir: Path, drop_name: str, files: Iterable[str] | None = None) -> list[str]:
        """Upload files of ``source_dir`` to ``incoming/<drop_name>/`` (``anime.csv`` last, as the protocol says)."""
        names = list(files) if files is not None else sorted(p.name for p in source_dir.iterdir() if p.is_file())
        names.sort(key=lambda name: name == "anime.csv")
        s3 = self._client("s3")
        keys = []
        for name in names:
            key = f"incoming/{drop_name}/{name}"
            s3.upload_file(str(source_dir / name), self.bucket, key)
            keys.append(key)
        return keys

    def start_triggered_executions(self) -> list[str]:
        """Start one retrain execution per "Object Created" event the rule delivered (EventBridge's job in AWS)."""
        sqs, sfn = self._client("sqs"), self._client("stepfunctions")
        started = []
        while True:
            messages = sqs.receive_message(QueueUrl=self._trigger_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return started
            for message in messages:
                arn = sfn.start_execution(
                    stateMachineArn=self.state_machine_arns["RetrainStateMachine"],
                    name=str(uuid.uuid4()),
                    input=message["Body"],
                )["executionArn"]
                started.append(arn)
                sqs.delete_message(QueueUrl=self._trigger_url, ReceiptHandle=message["ReceiptHandle"])

    def start(self, machine: str, payload: dict[str, Any]) -> str:
        """Start an execution of ``machine`` (logical id) with ``payload``."""
        return self._client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arns[machine], name=str(uuid.uuid4()), input=json.dumps(payload)
        )["executionArn"]

    def wait(
        self,
        execution_arn: str,
        timeout: float,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        poll: float = 0.05,
    ) -> dict[str, Any]:
        """Poll until the execution leaves RUNNING; ``on_event`` sees each new history event. Raises on timeout."""
        sfn = self._client("stepfunctions")
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if on_event is not None:
                events = self.history(execution_arn)
                for event in events[seen:]:
                    on_event(event)
                seen = len(events)
            if described["status"] != "RUNNING":
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still RUNNING after {timeout:.0f} s")
            time.sleep(poll)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's history events."""
        sfn = self._client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def executions(self, machine: str = "RetrainStateMachine") -> list[dict[str, Any]]:
        """Every execution of ``machine``."""
        return self._client("stepfunctions").list_executions(stateMachineArn=self.state_machine_arns[machine])[
            "executions"
        ]

    def read_notifications(self) -> list[dict[str, str]]:
        """SNS messages published so far (Subject, Message), oldest first."""
        sqs = self._client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self._inbox_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return list(self.notifications)
            for message in messages:
                envelope = json.loads(message["Body"])
                self.notifications.append({"Subject": envelope.get("Subject", ""), "Message": envelope["Message"]})
                sqs.delete_message(QueueUrl=self._inbox_url, ReceiptHandle=message["ReceiptHandle"])

    def published_parameters(self) -> dict[str, str]:
        """Every SSM parameter under ``/<project>/`` (name -> value)."""
        ssm = self._client("ssm")
        values: dict[str, str] = {}
        for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"/{self.project}/", Recursive=True):
            for parameter in page["Parameters"]:
                values[parameter["Name"]] = parameter["Value"]
        return dict(sorted(values.items()))
