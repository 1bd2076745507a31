"""``template.yaml`` as data: read with cfn-lint's CloudFormation decoder, then looked at the way SAM does.

:func:`load_template` turns short-form tags (``!Ref``, ``!GetAtt A.B``, ``!Sub``...) into their long form
(``{"Ref": ...}``, ``{"Fn::GetAtt": ["A", "B"]}``, ``{"Fn::Sub": ...}``) and returns plain dicts, lists and
scalars. :class:`TemplateModel` answers what the offline runner, the local cloud tier and the IAM audit ask: the
resources, a function merged with ``Globals`` (handler, code folder, environment, policies), a state machine's
definition file and ``DefinitionSubstitutions``, the parameters and the conditions. Intrinsics stay unevaluated
here; :mod:`sam_app.intrinsics` evaluates them against one stack's values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

from sam_app.intrinsics import evaluate_condition

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


class TemplateError(ValueError):
    """The template could not be read (missing file, YAML or JSON syntax)."""


def _plain(value: Any) -> Any:
    """cfn-lint's position-carrying nodes as plain ``dict`` / ``list`` / ``str``."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data, intrinsic functions in long form; an empty file is ``{}``."""
    template, problems = decode(str(path))
    if problems:
        raise TemplateError("; ".join(f"{path}:{problem.linenumber}: {problem.message}" for problem in problems))
    return _plain(template or {})


def _as_list(value: Any) -> list[Any]:
    """SAM accepts one item where it takes a list (``Policies: AWSLambdaExecute``)."""
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function`` merged with the template's ``Globals``."""

    logical_id: str
    code_dir: Path
    handler: str  # module.function
    environment: dict[str, Any]
    memory: int
    timeout: int
    policies: list[Any] = field(default_factory=list)
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StateMachineSpec:
    """One ``AWS::Serverless::StateMachine``."""

    logical_id: str
    definition_path: Path
    substitutions: dict[str, Any]
    name: Any
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateModel:
    """What code on this machine reads from a SAM template (``raw``: the template as :func:`load_template` gives it)."""

    raw: dict[str, Any]
    root: Path = REPO_ROOT  # CodeUri and DefinitionUri are relative to the template's folder

    @classmethod
    def read(cls, path: Path = TEMPLATE_PATH) -> TemplateModel:
        """The template at ``path`` (default: the application's ``template.yaml``)."""
        return cls(load_template(path), root=path.resolve().parent)

    @property
    def resources(self) -> dict[str, Any]:
        """Every resource."""
        return self.raw.get("Resources") or {}

    @property
    def parameter_names(self) -> set[str]:
        """Names of the ``Parameters`` the template declares."""
        return set(self.raw.get("Parameters") or {})

    def parameter_defaults(self) -> dict[str, str]:
        """Parameter name -> default value (``""`` without one)."""
        return {name: str(spec.get("Default", "")) for name, spec in (self.raw.get("Parameters") or {}).items()}

    def conditions(self, pseudo: dict[str, str]) -> dict[str, bool]:
        """Every template condition evaluated against ``pseudo`` (pseudo parameters + parameter values)."""
        raw = self.raw.get("Conditions", {})
        return {name: evaluate_condition(expression, pseudo, raw) for name, expression in raw.items()}

    @property
    def function_globals(self) -> dict[str, Any]:
        """``Globals.Function``: what every function inherits."""
        return (self.raw.get("Globals") or {}).get("Function") or {}

    @property
    def global_environment(self) -> dict[str, Any]:
        """The environment variables every function gets from ``Globals`` (intrinsics unevaluated)."""
        return self.function_globals.get("Environment", {}).get("Variables", {})

    def function(self, logical_id: str) -> FunctionSpec:
        """A function merged with the template's Globals."""
        globals_ = self.function_globals
        props = self.resources[logical_id]["Properties"]
        return FunctionSpec(
            logical_id=logical_id,
            code_dir=self.root / props.get("CodeUri", globals_.get("CodeUri", "")),
            handler=props.get("Handler", globals_.get("Handler", "app.lambda_handler")),
            environment={**self.global_environment, **props.get("Environment", {}).get("Variables", {})},
            memory=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
            timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
            policies=_as_list(props.get("Policies", [])),
            events=dict(props.get("Events", {})),
        )

    def state_machine(self, logical_id: str) -> StateMachineSpec:
        """A state machine's definition file, substitutions and events."""
        props = self.resources[logical_id]["Properties"]
        return StateMachineSpec(
            logical_id=logical_id,
            definition_path=self.root / props["DefinitionUri"],
            substitutions=props.get("DefinitionSubstitutions", {}),
            name=props.get("Name", logical_id),
            events=props.get("Events", {}),
        )

    def resources_of_type(self, resource_type: str) -> list[str]:
        """Logical ids of every resource of this type."""
        return [name for name, spec in self.resources.items() if spec.get("Type") == resource_type]
