"""Every branch of ``statemachine/retrain.asl.json`` (and of ``cleanup.asl.json``), executed by moto's Step Functions
with canned task results.

This is what AWS calls "mocked service integrations" in Step Functions Local. moto 5.2.5 has the parser's hook for
a mock config file but no loader for one (``load_mock_test_case_for`` always returns None), so the single method
``offline/lambdas.py`` patches, ``LambdaFunction._invoke_lambda``, answers from a table instead of running the
handlers. Each answer is built from the step's output model (``anime_recommender.contracts.steps``), and each
task's actual input is validated against the step's input model: a model change, or an ASL change that passes
something else, breaks these tests. Wait states and retry back-offs take no time.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from pydantic import TypeAdapter, ValidationError

from anime_recommender.contracts.steps.cleanup import CleanupInput, CleanupOutput
from anime_recommender.contracts.steps.deploy_campaigns import DeployCampaignsInput, DeploymentSection
from anime_recommender.contracts.steps.ensure_datasets import EnsureDatasetsInput
from anime_recommender.contracts.steps.evaluate_metrics import (
    BaselineCheck,
    EvaluateMetricsInput,
    EvaluationSection,
    PromotionDecision,
)
from anime_recommender.contracts.steps.import_data import ImportDataInput, ImportsSection
from anime_recommender.contracts.steps.notify import NotifyInput, NotifyOutput
from anime_recommender.contracts.steps.prepare_data import PrepareDataInput
from anime_recommender.contracts.steps.resolve_drop import (
    AcquireInput,
    ReleaseInput,
    ReleaseOutput,
    ResolveDropInput,
    ResolveInput,
    ResolveOutput,
    ResolveStatus,
)
from anime_recommender.contracts.steps.state import (
    DatasetsSection,
    DropDescription,
    DropFileEntry,
    LockState,
    PreparedCounts,
    PreparedData,
    PreparedSchemas,
    StepModel,
    TrainingSection,
)
from anime_recommender.contracts.steps.train_solutions import TrainSolutionInput
from anime_recommender.pipeline.cleanup import STAGES
from anime_recommender.pipeline.config import PipelineConfig, load_config
from anime_recommender.pipeline.notification import failure_summary
from sam_app.intrinsics import substitute_definition
from sam_app.template import TemplateModel, load_template

REGION = "us-east-1"
EVENTS = Path(__file__).resolve().parents[2] / "events"
TIMEOUT_SECONDS = 30.0

#: functions/<step>/ -> the model its event is parsed with.
INPUT_MODELS: dict[str, Any] = {
    "resolve_drop": ResolveDropInput,
    "prepare_data": PrepareDataInput,
    "ensure_datasets": EnsureDatasetsInput,
    "import_data": ImportDataInput,
    "train_solutions": TrainSolutionInput,
    "evaluate_metrics": EvaluateMetricsInput,
    "deploy_campaigns": DeployCampaignsInput,
    "notify": NotifyInput,
    "cleanup": CleanupInput,
}
ADAPTERS = {step: TypeAdapter(model) for step, model in INPUT_MODELS.items()}

# ---------------------------------------------------------------- canned results, built from the step models
CONFIG: PipelineConfig = load_config(None)
RECIPES = [recipe.key for recipe in CONFIG.recipes]
GROUP_ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/anime-recs"
DROP = DropDescription(
    bucket="anime-recs-data",
    dropPrefix="incoming/2020-06/",
    folder="2020-06",
    dropId="2020-06-0123abcd",
    contentHash="0123abcd" * 8,
    uploadedAt="2026-06-01T09:30:00.000000Z",
    files={"anime.csv": DropFileEntry(etag="e1", size=10), "rating_complete.csv": DropFileEntry(etag="e2", size=20)},
    executionArn="arn:aws:states:us-east-1:123456789012:execution:anime-recs-retrain:canned",
)


def resolved(status: ResolveStatus = "READY", config: PipelineConfig = CONFIG) -> ResolveOutput:
    """What "Resolve the drop" returns; a drop that ends quietly has only a status and a reason."""
    if status not in {"READY", "BUSY"}:
        return ResolveOutput(status=status, reason=f"canned {status}")
    lock = LockState(
        acquired=status == "READY", attempt=1, holder=None if status == "READY" else "other", tookOver=False
    )
    return ResolveOutput(status=status, reason=f"canned {status}", drop=DROP, config=config, lock=lock)


def lock(acquired: bool, attempt: int) -> LockState:
    """One retry of the dataset-group lock."""
    return LockState(acquired=acquired, attempt=attempt, holder=None if acquired else "other", tookOver=False)


PREPARED = PreparedData(
    bucket=DROP.bucket,
    outputPrefix=f"prepared/{DROP.dropId}/",
    interactionsUri=f"s3://{DROP.bucket}/prepared/{DROP.dropId}/interactions.csv",
    itemsUri=f"s3://{DROP.bucket}/prepared/{DROP.dropId}/items.csv",
    catalogUri=f"s3://{DROP.bucket}/prepared/{DROP.dropId}/catalog.json",
    reportUri=f"s3://{DROP.bucket}/prepared/{DROP.dropId}/report.json",
    schemas=PreparedSchemas(interactions='{"type": "record"}', items='{"type": "record"}'),
    eventTypes=["RATING"],
    counts=PreparedCounts(interactions=1280, users=80, items=40, rejectedRows=0),
)


def datasets(attempt: int, complete: bool) -> DatasetsSection:
    """One poll of "Ensure datasets"."""
    waiting = [] if complete else ["dataset anime-recs-items: CREATE PENDING"]
    return DatasetsSection(
        complete=complete,
        attempt=attempt,
        waitingFor=waiting,
        datasetGroupArn=GROUP_ARN,
        datasets={"interactions": f"{GROUP_ARN}/INTERACTIONS", "items": f"{GROUP_ARN}/ITEMS"},
    )


def imports(attempt: int, complete: bool) -> ImportsSection:
    """One poll of "Import data"."""
    waiting = [] if complete else ["import job anime-recs-items: CREATE IN_PROGRESS"]
    jobs = {"interactions": "arn:import/interactions", "items": "arn:import/items"}
    return ImportsSection(complete=complete, attempt=attempt, waitingFor=waiting, jobs=jobs)


def training(recipe: str, attempt: int, complete: bool) -> TrainingSection:
    """One poll of one recipe's "Train solution"."""
    return TrainingSection(
        complete=complete,
        attempt=attempt,
        waitingFor=[] if complete else [f"solution version drop-0123: CREATE IN_PROGRESS ({recipe})"],
        recipe=recipe,
        solutionArn=f"arn:solution/{recipe}",
        solutionVersionArn=f"arn:solution/{recipe}/version/1",
    )


def evaluation(recipes: list[str], promoted: list[str]) -> EvaluationSection:
    """ "Evaluate metrics" promoting ``promoted``."""
    decisions = {
        key: PromotionDecision(metric="precision_at_10", candidate=0.2, promote=key in promoted, reason="canned")
        for key in recipes
    }
    return EvaluationSection(
        reportUri=f"s3://{DROP.bucket}/reports/{DROP.dropId}/metrics.json",
        primaryMetric="precision_at_10",
        metrics={key: {"precision_at_10": 0.2} for key in recipes},
        baseline=BaselineCheck(required=False, passed=True, reason="canned"),
        decisions=decisions,
        promoted=promoted,
    )


def deployment(attempt: int, complete: bool, promoted: list[str]) -> DeploymentSection:
    """One poll of "Deploy campaigns"."""
    return DeploymentSection(
        complete=complete,
        attempt=attempt,
        waitingFor=[] if complete else ["campaign anime-recs-sims: CREATE IN_PROGRESS"],
        campaigns={key: f"arn:campaign/{key}" for key in promoted},
        filters={"base": "arn:filter/base"},
        trackingId="tracking-1",
    )


def released(event: ReleaseInput) -> ReleaseOutput:
    """ "Release the drop lock" for the outcome the state machine passes."""
    return ReleaseOutput(lockReleased=True, claim=event.outcome, outcome=event.outcome)


def notified(event: NotifyInput) -> NotifyOutput:
    """ "Notify ..." with the summary the real handler writes (the failed execution's cause)."""
    failure = event.state.failure
    summary = failure_summary(failure.to_state()) if failure else "retrained"
    return NotifyOutput(messageId=str(uuid.uuid4()), subject=f"canned {event.outcome}", summary=summary)


# ---------------------------------------------------------------- the table moto's Lambda invocations answer from
class LambdaError(Exception):
    """A function error with this Step Functions error name (``errorType``)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


#: A step model (what the step emits), a raw dict (a section some other code might emit) or an error.
Answer = StepModel | dict[str, Any] | Exception
Responder = Callable[[Any], Answer]


def in_turn(*answers: Answer | Responder) -> Responder:
    """Answer each call with the next of ``answers`` (the last one repeats); a callable gets the parsed input."""
    queue = list(answers)

    def respond(event: Any) -> Answer:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(event) if callable(answer) else answer

    return respond


@dataclass
class Call:
    """One task invocation: the function's code folder, its input as sent, the parsed input or the error."""

    step: str
    payload: dict[str, Any]
    parsed: Any = None
    invalid: str | None = None


@dataclass
class CannedLambdas:
    """functions/<step> -> how it answers; every call recorded."""

    steps: dict[str, str] = field(default_factory=dict)  # moto function name -> functions/<step>
    responders: dict[str, Responder] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        """What moto's ``_invoke_lambda`` returns: (payload JSON, errored, logs)."""
        step = self.steps[function.function_name]
        payload = json.loads(event) if isinstance(event, str | bytes) else event
        call = Call(step, payload)
        self.calls.append(call)
        try:
            call.parsed = ADAPTERS[step].validate_python(payload)
        except ValidationError as error:  # what the real handler's event_parser raises
            call.invalid = str(error)
            return _error("ValidationError", str(error))
        answer = self.responders[step](call.parsed)
        if isinstance(answer, LambdaError):
            return _error(answer.error, str(answer))
        if isinstance(answer, Exception):
            return _error(type(answer).__name__, str(answer))
        return json.dumps(answer.to_state() if isinstance(answer, StepModel) else answer), False, ""

    def of(self, step: str) -> list[Call]:
        """The calls of one step function, in order."""
        return [call for call in self.calls if call.step == step]


def _error(error_type: str, message: str) -> tuple[str, bool, str]:
    return json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": []}), True, message


def happy_path(recipes: list[str] = RECIPES, promoted: list[str] | None = None) -> dict[str, Responder]:
    """Every step succeeds; each loop polls twice (pending, then complete)."""
    promoted = ["user-personalization", "sims", "personalized-ranking"] if promoted is None else promoted
    return {
        "resolve_drop": lambda event: resolved() if isinstance(event, ResolveInput) else released(event),
        "prepare_data": in_turn(PREPARED),
        "ensure_datasets": in_turn(datasets(1, False), datasets(2, True)),
        "import_data": in_turn(imports(1, False), imports(2, True)),
        "train_solutions": lambda event: training(
            event.recipe.key, 2 if event.training else 1, event.training is not None
        ),
        "evaluate_metrics": in_turn(evaluation(recipes, promoted)),
        "deploy_campaigns": in_turn(deployment(1, False, promoted), deployment(2, True, promoted)),
        "notify": notified,
    }


# ---------------------------------------------------------------- moto with the real ASL
@dataclass
class Execution:
    """A finished execution: its description, output, the states it entered and the task calls."""

    described: dict[str, Any]
    entered: list[str]
    calls: CannedLambdas

    @property
    def status(self) -> str:
        """SUCCEEDED / FAILED."""
        return str(self.described["status"])

    @property
    def output(self) -> dict[str, Any]:
        """The execution's output (a succeeded execution)."""
        return json.loads(self.described["output"])


@dataclass
class PipelineMachines:
    """The pipeline's state machines created in moto from template.yaml (logical id -> ARN), their tasks answered by a
    :class:`CannedLambdas`."""

    arns: dict[str, str]
    canned: CannedLambdas

    def run(
        self,
        responders: dict[str, Responder],
        execution_input: dict[str, Any] | None = None,
        state_machine: str = "RetrainStateMachine",
    ) -> Execution:
        """Start an execution (default input: a real S3 "Object Created" event) and wait until it has finished."""
        self.canned.responders = responders
        self.canned.calls = []
        sfn = boto3.client("stepfunctions", region_name=REGION)
        if execution_input is None:
            execution_input = json.loads((EVENTS / "s3-object-created.json").read_text("utf-8"))
        arn = sfn.start_execution(
            stateMachineArn=self.arns[state_machine], name=str(uuid.uuid4()), input=json.dumps(execution_input)
        )["executionArn"]
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"execution still RUNNING after {TIMEOUT_SECONDS:.0f} s"
            time.sleep(0.01)
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        return Execution(described, entered, self.canned)


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _no_wait(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    """Wait states go on at once."""


@pytest.fixture(scope="module")
def deployed() -> Iterator[PipelineMachines]:
    """moto (executing the real ASL), both state machines from template.yaml, canned Lambda answers."""
    canned = CannedLambdas()
    no_retry_sleeps = SimpleNamespace(sleep=lambda seconds: None, time=time.time)
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        mock.patch.object(WaitFunction, "_wait_interval", _no_wait),
        mock.patch("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time", no_retry_sleeps),
        mock.patch.object(LambdaFunction, "_invoke_lambda", lambda self, event=None: canned.invoke(self, event)),
    ):
        template = TemplateModel(load_template())
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        role = boto3.client("iam", region_name=REGION).create_role(RoleName="sfn", AssumeRolePolicyDocument=trust)
        role_arn = role["Role"]["Arn"]
        functions = boto3.client("lambda", region_name=REGION)
        arns = {}
        for machine in ("RetrainStateMachine", "CleanupStateMachine"):
            spec = template.state_machine(machine)
            substitutions = {}
            for name, value in spec.substitutions.items():
                logical_id = value["Fn::GetAtt"][0]
                function = template.function(logical_id)
                substitutions[name] = functions.create_function(
                    FunctionName=logical_id,
                    Runtime="python3.12",
                    Role=role_arn,
                    Handler=function.handler,
                    Code={"ZipFile": _placeholder_zip()},
                )["FunctionArn"]
                canned.steps[logical_id] = function.code_dir.name
            definition = substitute_definition(spec.definition_path.read_text("utf-8"), substitutions)
            arns[machine] = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
                name=machine, definition=definition, roleArn=role_arn, type="STANDARD"
            )["stateMachineArn"]
        yield PipelineMachines(arns, canned)


@pytest.fixture
def machine(deployed: PipelineMachines) -> PipelineMachines:
    """The module's state machines with no answers and no calls yet."""
    deployed.canned.responders, deployed.canned.calls = {}, []
    return deployed


# ---------------------------------------------------------------- the branches
MAIN_PATH = [
    "Resolve the drop",
    "Is the drop ready?",
    "Prepare data",
    "Ensure datasets",
    "Are the datasets active?",
    "Wait for the datasets",
    "Ensure datasets",
    "Are the datasets active?",
    "Import data",
    "Are the imports done?",
    "Wait for the imports",
    "Import data",
    "Are the imports done?",
    "Train solutions",
]
AFTER_TRAINING = [
    "Evaluate metrics",
    "Deploy campaigns",
    "Are the campaigns active?",
    "Wait for the campaigns",
    "Deploy campaigns",
    "Are the campaigns active?",
    "Release the drop lock",
    "Notify success",
    "Retrained",
]
ITERATION_STATES = {"Train solution", "Is the training done?", "Wait for the training", "Solution trained"}


def outside_map(entered: list[str]) -> list[str]:
    """The states entered outside the Map's iterations."""
    return [name for name in entered if name not in ITERATION_STATES]


def assert_every_input_valid(execution: Execution) -> None:
    """No task got an input its model refuses."""
    assert [(call.step, call.invalid) for call in execution.calls.calls if call.invalid] == []


def test_happy_path_polls_every_loop_trains_every_recipe_and_carries_each_section(machine: PipelineMachines) -> None:
    execution = machine.run(happy_path())

    assert execution.status == "SUCCEEDED"
    assert_every_input_valid(execution)
    assert outside_map(execution.entered) == MAIN_PATH + AFTER_TRAINING
    output = execution.output
    assert output["prepared"] == PREPARED.to_state()
    assert output["datasets"] == datasets(2, True).to_state()
    assert output["imports"] == imports(2, True).to_state()
    assert output["training"] == [training(key, 2, True).to_state() for key in RECIPES]  # in config order
    assert (
        output["evaluation"] == evaluation(RECIPES, ["user-personalization", "sims", "personalized-ranking"]).to_state()
    )
    assert output["release"] == {"lockReleased": True, "claim": "SUCCEEDED", "outcome": "SUCCEEDED"}
    assert output["notification"]["subject"] == "canned SUCCEEDED"
    # the state machine hands each step what the previous one emitted
    prepare = execution.calls.of("prepare_data")[0].parsed
    assert (prepare.bucket, prepare.dropPrefix, prepare.dropId) == (DROP.bucket, DROP.dropPrefix, DROP.dropId)
    assert prepare.outputPrefix == f"prepared/{DROP.dropId}/"
    assert prepare.options.keepUnknownAnime is CONFIG.prepare.keepUnknownAnime
    assert [call.parsed.datasets for call in execution.calls.of("ensure_datasets")] == [None, datasets(1, False)]
    assert [call.parsed.imports for call in execution.calls.of("import_data")] == [None, imports(1, False)]
    assert [call.parsed.deployment for call in execution.calls.of("deploy_campaigns")] == [
        None,
        deployment(1, False, ["user-personalization", "sims", "personalized-ranking"]),
    ]
    resolve = execution.calls.of("resolve_drop")[0].parsed
    assert isinstance(resolve, ResolveInput) and resolve.event["detail-type"] == "Object Created"
    assert resolve.executionArn == execution.described["executionArn"]
    notify = execution.calls.of("notify")[0].parsed
    assert notify.outcome == "SUCCEEDED" and notify.executionArn == execution.described["executionArn"]


def test_each_map_iteration_gets_its_recipe_and_polls_until_its_version_is_trained(machine: PipelineMachines) -> None:
    execution = machine.run(happy_path())

    calls = execution.calls.of("train_solutions")
    assert sorted(call.parsed.recipe.key for call in calls) == sorted(RECIPES * 2)  # two polls per recipe
    for call in calls:
        assert call.parsed.recipe == CONFIG.recipe(call.parsed.recipe.key)
        assert (call.parsed.datasetGroupArn, call.parsed.contentHash) == (GROUP_ARN, DROP.contentHash)
        assert call.parsed.polling == CONFIG.polling.training
    second_polls = [call.parsed for call in calls if call.parsed.training is not None]
    assert sorted((poll.recipe.key, poll.training.recipe, poll.training.attempt) for poll in second_polls) == sorted(
        (key, key, 1) for key in RECIPES
    )
    assert execution.entered.count("Wait for the training") == len(RECIPES)


def test_the_map_trains_exactly_the_configured_recipes(machine: PipelineMachines) -> None:
    two = [CONFIG.recipe(key).model_dump(mode="json") for key in ("popularity-count", "sims")]
    config = load_config({"recipes": two, "promotion": {"requireBeatBaseline": False}})
    responders = happy_path(recipes=["popularity-count", "sims"], promoted=["sims"])
    responders["resolve_drop"] = lambda event: (
        resolved(config=config) if isinstance(event, ResolveInput) else released(event)
    )

    execution = machine.run(responders)

    assert execution.status == "SUCCEEDED"
    assert_every_input_valid(execution)
    assert [item["recipe"] for item in execution.output["training"]] == ["popularity-count", "sims"]
    assert len(execution.calls.of("train_solutions")) == 4


def test_nothing_promoted_still_deploys_the_tracker_and_filters_and_succeeds(machine: PipelineMachines) -> None:
    execution = machine.run(happy_path(promoted=[]))

    assert execution.status == "SUCCEEDED"
    assert_every_input_valid(execution)
    assert execution.output["evaluation"]["promoted"] == []
    assert execution.output["deployment"]["campaigns"] == {}
    assert [call.parsed.evaluation.promoted for call in execution.calls.of("deploy_campaigns")] == [[], []]


@pytest.mark.parametrize("status", ["INCOMPLETE", "DUPLICATE", "IGNORED"])
def test_a_drop_that_is_not_ready_ends_quietly(machine: PipelineMachines, status: str) -> None:
    execution = machine.run({"resolve_drop": in_turn(resolved(status))})

    assert execution.status == "SUCCEEDED"
    assert execution.entered == ["Resolve the drop", "Is the drop ready?", "Nothing to do"]
    assert execution.output == {"status": status, "reason": f"canned {status}"}
    assert [call.step for call in execution.calls.calls] == ["resolve_drop"]


def test_a_busy_dataset_group_is_retried_until_the_lock_is_ours_then_the_drop_runs(machine: PipelineMachines) -> None:
    responders = happy_path()
    answers = in_turn(resolved("BUSY"), lock(False, 2), lock(True, 3))
    responders["resolve_drop"] = lambda event: released(event) if isinstance(event, ReleaseInput) else answers(event)

    execution = machine.run(responders)

    assert execution.status == "SUCCEEDED"
    assert_every_input_valid(execution)
    retry = ["Wait for the running drop", "Retry the dataset group lock", "Is the lock ours?"]
    assert outside_map(execution.entered) == [
        "Resolve the drop",
        "Is the drop ready?",
        *retry,
        *retry,
        "Lock acquired",
        *MAIN_PATH[2:],
        *AFTER_TRAINING,
    ]
    acquires = [call.parsed for call in execution.calls.of("resolve_drop") if isinstance(call.parsed, AcquireInput)]
    assert [(a.lock.acquired, a.lock.attempt) for a in acquires] == [(False, 1), (False, 2)]  # each retry sees the last
    assert all(a.drop == DROP and a.config == CONFIG for a in acquires)
    assert execution.output["status"] == "READY" and execution.output["lock"]["acquired"] is True


FAILING_STEPS = [
    ("prepare_data", "Prepare data", LambdaError("DataValidationError", "anime.csv has no header")),
    ("ensure_datasets", "Ensure datasets", LambdaError("ResourceMismatchError", "schema differs")),
    ("import_data", "Import data", LambdaError("ResourceFailedError", "import job x: CREATE FAILED (Bad header)")),
    ("train_solutions", "Train solutions", LambdaError("PollBudgetExceededError", "training sims not ready")),
    ("evaluate_metrics", "Evaluate metrics", LambdaError("PipelineError", "GetSolutionMetrics has no coverage")),
    ("deploy_campaigns", "Deploy campaigns", LambdaError("ResourceFailedError", "campaign: CREATE FAILED")),
]


@pytest.mark.parametrize(("step", "state", "error"), FAILING_STEPS, ids=[step for step, _, _ in FAILING_STEPS])
def test_a_failing_step_releases_the_lock_notifies_and_fails_with_its_reason(
    machine: PipelineMachines, step: str, state: str, error: LambdaError
) -> None:
    responders = happy_path()
    responders[step] = in_turn(error)

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert_every_input_valid(execution)
    assert execution.entered[-4:] == [
        f"{state} failed",
        "Release the drop lock after failure",
        "Notify failure",
        "Pipeline failed",
    ]
    assert execution.described["error"] == error.error
    assert execution.described["cause"] == f"{state} failed: {error.error}: {error}"
    release = execution.calls.of("resolve_drop")[-1].parsed
    assert isinstance(release, ReleaseInput) and release.outcome == "FAILED" and release.drop == DROP
    notify = execution.calls.of("notify")[-1].parsed
    assert notify.outcome == "FAILED" and notify.state.failure.step == state
    assert notify.state.to_state()["release"] == {"lockReleased": True, "claim": "FAILED", "outcome": "FAILED"}


def test_an_invalid_config_fails_at_resolve_and_notifies_without_a_lock_to_release(machine: PipelineMachines) -> None:
    error = LambdaError("ConfigError", "config.json is invalid: promotion.tolerance: must be < 1")

    execution = machine.run({"resolve_drop": in_turn(error), "notify": notified})

    assert execution.status == "FAILED"
    assert execution.entered == ["Resolve the drop", "Resolve the drop failed", "Notify failure", "Pipeline failed"]
    assert execution.described["error"] == "ConfigError"
    assert execution.described["cause"] == f"Resolve the drop failed: ConfigError: {error}"
    assert [call.step for call in execution.calls.calls] == ["resolve_drop", "notify"]


def test_a_lock_that_never_frees_fails_after_the_retries_and_releases(machine: PipelineMachines) -> None:
    budget = LambdaError("PollBudgetExceededError", "the dataset group is still locked by other after 3 attempts")
    answers = in_turn(resolved("BUSY"), lock(False, 2), budget)
    responders = {
        "resolve_drop": lambda event: released(event) if isinstance(event, ReleaseInput) else answers(event),
        "notify": notified,
    }

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert "Retry the dataset group lock failed" in execution.entered
    assert execution.described["cause"] == f"Retry the dataset group lock failed: PollBudgetExceededError: {budget}"
    assert isinstance(execution.calls.of("resolve_drop")[-1].parsed, ReleaseInput)


def test_a_failed_release_after_success_is_a_failure_notification(machine: PipelineMachines) -> None:
    responders = happy_path()
    responders["resolve_drop"] = in_turn(resolved(), LambdaError("AccessDenied", "s3:DeleteObject denied"))

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert execution.entered[-4:] == [
        "Release the drop lock",
        "Release the drop lock failed",
        "Notify failure",
        "Pipeline failed",
    ]
    assert execution.described["cause"] == "Release the drop lock failed: AccessDenied: s3:DeleteObject denied"


def test_a_failed_release_after_failure_still_notifies(machine: PipelineMachines) -> None:
    responders = happy_path()
    responders["prepare_data"] = in_turn(LambdaError("DataValidationError", "no interactions file"))
    responders["resolve_drop"] = in_turn(resolved(), LambdaError("AccessDenied", "s3:DeleteObject denied"))

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert execution.entered[-3:] == ["Release the drop lock after failure", "Notify failure", "Pipeline failed"]
    assert execution.described["cause"] == "Prepare data failed: DataValidationError: no interactions file"
    state = execution.calls.of("notify")[-1].parsed.state.to_state()
    assert state["releaseError"]["Error"] == "AccessDenied"


def test_a_failure_notification_that_cannot_be_sent_still_fails_with_the_reason(machine: PipelineMachines) -> None:
    responders = happy_path()
    responders["import_data"] = in_turn(LambdaError("ResourceFailedError", "import failed"))
    responders["notify"] = in_turn(LambdaError("AuthorizationError", "sns:Publish denied"))

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert execution.entered[-3:] == ["Notify failure", "Notification failed", "Pipeline failed"]
    assert execution.described["error"] == "ResourceFailedError"
    expected = "Import data failed with ResourceFailedError (the failure notification could not be sent either)"
    assert execution.described["cause"] == expected


def test_a_success_notification_that_cannot_be_sent_does_not_fail_the_retraining(machine: PipelineMachines) -> None:
    responders = happy_path()
    responders["notify"] = in_turn(LambdaError("AuthorizationError", "sns:Publish denied"))

    execution = machine.run(responders)

    assert execution.status == "SUCCEEDED"
    assert execution.entered[-2:] == ["Notify success", "Retrained"]
    assert execution.output["notificationError"]["Error"] == "AuthorizationError"
    assert "notification" not in execution.output


THROTTLED = LambdaError("Lambda.TooManyRequestsException", "Rate exceeded")


def test_a_throttled_task_is_retried_and_the_pipeline_goes_on(machine: PipelineMachines) -> None:
    responders = happy_path()
    responders["prepare_data"] = in_turn(THROTTLED, THROTTLED, PREPARED)

    execution = machine.run(responders)

    assert execution.status == "SUCCEEDED"
    assert len(execution.calls.of("prepare_data")) == 3
    assert execution.output["prepared"] == PREPARED.to_state()


def test_a_task_still_throttled_after_its_retries_fails_the_pipeline(machine: PipelineMachines) -> None:
    responders = happy_path()
    responders["evaluate_metrics"] = in_turn(THROTTLED)

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert len(execution.calls.of("evaluate_metrics")) == 4  # the first attempt and MaxAttempts=3 retries
    assert execution.described["error"] == "Lambda.TooManyRequestsException"
    assert "Evaluate metrics failed" in execution.entered


def test_a_task_error_that_is_not_throttling_is_not_retried(machine: PipelineMachines) -> None:
    responders = happy_path()
    responders["evaluate_metrics"] = in_turn(LambdaError("PipelineError", "no metrics"))

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert len(execution.calls.of("evaluate_metrics")) == 1


def test_a_section_the_next_step_cannot_read_fails_that_step_naming_the_field(machine: PipelineMachines) -> None:
    responders = happy_path()
    broken = PREPARED.to_state()
    del broken["schemas"]
    responders["prepare_data"] = in_turn(broken)

    execution = machine.run(responders)

    assert execution.status == "FAILED"
    assert execution.described["error"] == "ValidationError"
    assert execution.entered[-4:-2] == ["Ensure datasets failed", "Release the drop lock after failure"]
    invalid = execution.calls.of("ensure_datasets")[0].invalid or ""
    assert "prepared.schemas" in invalid and "Field required" in invalid
    assert "prepared.schemas" in execution.described["cause"]


# ---------------------------------------------------------------- the cleanup state machine
def test_cleanup_deletes_stage_by_stage_polling_each_stage_until_it_is_done(machine: PipelineMachines) -> None:
    polls: dict[str, int] = {}

    def stage(event: CleanupInput) -> CleanupOutput:
        polls[event.stage] = polls.get(event.stage, 0) + 1
        done = polls[event.stage] == 2
        return CleanupOutput(
            stage=event.stage,
            complete=done,
            deleted=[] if done else [f"{event.stage} resource"],
            waitingFor=[],
            remaining=0 if done else 1,
            attempt=event.attempt + 1,
            waitSeconds=30,
        )

    execution = machine.run({"cleanup": stage}, {}, state_machine="CleanupStateMachine")

    assert execution.status == "SUCCEEDED"
    assert_every_input_valid(execution)
    assert [call.parsed.stage for call in execution.calls.calls] == [name for name in STAGES for _ in range(2)]
    sections = {name: name.replace("-", "_") for name in STAGES}  # each stage's ResultPath
    assert {section: execution.output[section]["complete"] for section in sections.values()} == dict.fromkeys(
        sections.values(), True
    )
    assert execution.entered[-1] == "Everything deleted"


def test_a_cleanup_stage_that_fails_stops_the_cleanup_there(machine: PipelineMachines) -> None:
    def stage(event: CleanupInput) -> CleanupOutput | LambdaError:
        if event.stage == "solutions":
            return LambdaError("ClientError", "AccessDenied on DeleteSolution")
        return CleanupOutput(
            stage=event.stage, complete=True, deleted=[], waitingFor=[], remaining=0, attempt=1, waitSeconds=30
        )

    execution = machine.run({"cleanup": stage}, {}, state_machine="CleanupStateMachine")

    assert execution.status == "FAILED"
    assert execution.described["error"] == "ClientError"
    assert [call.parsed.stage for call in execution.calls.calls] == list(STAGES[: STAGES.index("solutions") + 1])
