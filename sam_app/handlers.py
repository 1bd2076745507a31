"""The functions' handlers as Lambda runs them, in this process: one loader and one Lambda context.

The offline runner (moto invoking functions, ``make invoke``, ``make serve``), the tests and the benchmarks all load
a handler with :func:`load_handler` (or the whole module with :func:`load_module`) and call it with a
:class:`LambdaContext`. The code folder and handler string come from the caller, who reads them from template.yaml
(``CodeUri`` / ``Handler``) with :mod:`sam_app.template` where it starts from a logical id.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO_ROOT / "functions"
"""Where each function's code folder (its ``CodeUri``) lives."""
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"

Handler = Callable[[Any, Any], Any]

_fresh_names = itertools.count()


@dataclass
class LambdaContext:
    """The Lambda context object, with the attributes handlers and Powertools read.

    Offline, no time passes against the timeout: :meth:`get_remaining_time_in_millis` is ``remaining_millis``
    (:meth:`for_function` sets it to the function's whole timeout).
    """

    function_name: str = "function"
    memory_limit_in_mb: int = 128
    remaining_millis: int = 60_000
    invoked_function_arn: str = ""
    """Defaults to the ARN of ``function_name`` in the default region and account."""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    """Defaults to ``/aws/lambda/<function_name>``."""
    log_stream_name: str = "offline"

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = function_arn(self.function_name)
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"

    @classmethod
    def for_function(
        cls, function_name: str, *, memory_mb: int = 128, timeout_s: int = 60, arn: str | None = None
    ) -> LambdaContext:
        """A fresh context (new request id) for one invocation of a function as the template configures it."""
        return cls(
            function_name=function_name,
            memory_limit_in_mb=memory_mb,
            remaining_millis=timeout_s * 1000,
            invoked_function_arn=arn or "",
        )

    def get_remaining_time_in_millis(self) -> int:
        """Lambda's remaining time for this invocation."""
        return self.remaining_millis


def function_arn(function_name: str, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID) -> str:
    """The ARN of a function in the offline account."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"


def code_dir(folder: str) -> Path:
    """The code folder of a function by its folder name under ``functions/`` (e.g. ``forward_events``)."""
    path = FUNCTIONS_DIR / folder
    if not path.is_dir():
        raise FileNotFoundError(f"no function folder {path.relative_to(REPO_ROOT)}")
    return path


def load_module(code_dir: Path, module: str = "app", *, name: str | None = None, reuse: bool = False) -> ModuleType:
    """Import ``<code_dir>/<module>.py`` as a module of its own, like a cold start of the function.

    ``name`` is the module's name in ``sys.modules`` (default: a new unique one, so every call is a fresh cold
    start with its own caches and Powertools objects). With ``reuse``, a module already loaded under ``name`` is
    returned as it is (a warm execution environment shared by the callers that name it).
    """
    unique_name = name or f"lambda_{code_dir.name}_{module.replace('.', '_')}_{next(_fresh_names)}"
    if reuse and unique_name in sys.modules:
        return sys.modules[unique_name]
    path = code_dir / f"{module.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(unique_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler module {path}")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[unique_name] = loaded  # pydantic resolves postponed annotations through sys.modules
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[unique_name]
        raise
    return loaded


def load_handler(code_dir: Path, handler: str = "app.lambda_handler", *, name: str | None = None) -> Handler:
    """The handler function named by a template ``Handler`` string (``module.function``) in ``code_dir``."""
    module_name, function_name = handler.rsplit(".", 1)
    return getattr(load_module(code_dir, module_name, name=name), function_name)


def load_function(folder: str) -> ModuleType:
    """A fresh cold start of ``functions/<folder>/app.py`` (new clients, caches and Powertools objects)."""
    return load_module(code_dir(folder))
