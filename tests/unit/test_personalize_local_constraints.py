"""The model constraints botocore leaves to the server, checked with AWS's wording."""

from __future__ import annotations

from personalize_local.constraints import validation_message, violations
from personalize_local.responses import service_model


def _input(service: str, operation: str):  # type: ignore[no-untyped-def]
    return service_model(service).operation_model(operation).input_shape


def test_lengths_patterns_and_nested_paths() -> None:
    shape = _input("personalize", "CreateDatasetGroup")
    assert violations({"name": "ok-name"}, shape) == []
    problems = violations(
        {"name": "x" * 64, "kmsKeyArn": "key", "tags": [{"tagKey": "k" * 129, "tagValue": "v"}]}, shape
    )
    assert (
        f"Value '{'x' * 64}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 63"
        in problems
    )
    assert any(p.startswith("Value 'key' at 'kmsKeyArn'") and "regular expression pattern" in p for p in problems)
    # tag keys are sensitive: the value is left out
    tag_key = "Value at 'tags.1.member.tagKey' failed to satisfy constraint: "
    assert tag_key + "Member must have length less than or equal to 128" in problems
    assert validation_message(problems).startswith("3 validation errors detected: ")
    assert violations({"name": "n", "tags": [{"tagKey": "Équipe 1", "tagValue": "ü"}]}, shape) == []  # \\p{L}


def test_map_sizes_keys_and_numbers() -> None:
    shape = _input("personalize-runtime", "GetRecommendations")
    many = {f"P{n}": '"x"' for n in range(26)}
    assert any(
        "at 'filterValues'" in p and "less than or equal to 25" in p for p in violations({"filterValues": many}, shape)
    )
    bad_key = violations({"filterValues": {"no-dash": '"x"'}}, shape)
    assert len(bad_key) == 1 and "Map keys must satisfy constraint" in bad_key[0]
    too_long = "Member must have length less than or equal to 256"
    assert violations({"userId": "u" * 257}, shape) == [
        f"Value '{'u' * 257}' at 'userId' failed to satisfy constraint: {too_long}"
    ]
