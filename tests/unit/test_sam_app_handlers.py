"""sam_app.handlers: the one handler loader and Lambda context of the offline runner, the tests and the benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sam_app.handlers import LambdaContext, code_dir, function_arn, load_handler, load_module


def write_function(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(body, "utf-8")
    return folder


COUNTING_APP = """
calls = []

def lambda_handler(event, context):
    calls.append(event)
    return {"seen": len(calls), "function": context.function_name, "remaining": context.get_remaining_time_in_millis()}
"""


def test_every_load_is_a_cold_start_unless_a_name_is_reused(tmp_path: Path) -> None:
    folder = write_function(tmp_path / "counter", COUNTING_APP)
    context = LambdaContext.for_function("counter", timeout_s=3)

    first, second = load_handler(folder), load_handler(folder)
    assert first({}, context) == {"seen": 1, "function": "counter", "remaining": 3000}
    assert second({}, context)["seen"] == 1  # its own module state

    warm = load_module(folder, name="counter_warm", reuse=True)
    warm.lambda_handler({}, context)
    assert load_module(folder, name="counter_warm", reuse=True).lambda_handler({}, context)["seen"] == 2
    sys.modules.pop("counter_warm")


def test_a_module_that_fails_to_import_is_not_left_behind(tmp_path: Path) -> None:
    folder = write_function(tmp_path / "broken", "raise RuntimeError('cold start failed')\n")
    with pytest.raises(RuntimeError, match="cold start failed"):
        load_module(folder, name="broken_app")
    assert "broken_app" not in sys.modules


def test_the_context_has_what_powertools_reads() -> None:
    context = LambdaContext.for_function("forward-events", memory_mb=512, timeout_s=60)
    assert context.invoked_function_arn == function_arn("forward-events")
    assert context.invoked_function_arn.endswith(":function:forward-events")
    assert context.log_group_name == "/aws/lambda/forward-events"
    assert (context.memory_limit_in_mb, context.get_remaining_time_in_millis()) == (512, 60_000)
    assert context.aws_request_id != LambdaContext.for_function("forward-events").aws_request_id


def test_function_folders_are_found_by_name() -> None:
    assert (code_dir("forward_events") / "app.py").is_file()
    with pytest.raises(FileNotFoundError, match="no function folder functions/nope"):
        code_dir("nope")
