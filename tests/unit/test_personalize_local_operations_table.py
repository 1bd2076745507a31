"""The operations table in docs/personalize-local.md is the one the code generates, and it tells the truth."""

from __future__ import annotations

from pathlib import Path

import botocore.session

from personalize_local.operations import END_MARKER, START_MARKER, operation_rows, operations_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "personalize-local.md"


def test_the_documented_table_matches_the_code() -> None:
    text = DOC.read_text()
    documented = text[text.index(START_MARKER) + len(START_MARKER) : text.index(END_MARKER)].strip()
    assert documented == operations_table(), "regenerate it with: python -m personalize_local.operations"


def test_the_table_lists_every_botocore_operation_once() -> None:
    session = botocore.session.get_session()
    expected = {
        (service, operation)
        for service in ("personalize", "personalize-runtime", "personalize-events")
        for operation in session.get_service_model(service).operation_names
    }
    rows = operation_rows()
    assert {(service, operation) for service, operation, _, _ in rows} == expected and len(rows) == len(expected)
    status = {operation: state for _, operation, _, state in rows}
    assert status["CreateRecommender"] == status["GetRecommendations"] == status["PutEvents"] == "implemented"
    assert status["CreateBatchInferenceJob"] == status["ListBatchInferenceJobs"] == "implemented"
    routes = {operation: route for _, operation, route, _ in rows}
    assert routes["GetRecommendations"] == "`POST /recommendations`"
