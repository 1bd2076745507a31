"""The sample-data format and determinism checks of tests/unit, run on the demo-size drop (seconds to generate).

The format checks are the unit module's own test functions, collected here a second time with a ``dataset``
fixture that gives the demo size (pytest resolves a fixture in the module that collects the test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sample_data.generate import GeneratedDataset, generate_dataset
from tests.unit import test_sample_data_determinism as determinism
from tests.unit.test_sample_data_format import *  # noqa: F403 - the same checks, on the demo size


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDataset:
    """The demo-size generated dataset, shared by the format checks of this module."""
    return generate_dataset("demo", tmp_path_factory.mktemp("sample-demo"))


def test_same_seed_gives_byte_identical_demo_files(tmp_path: Path) -> None:
    determinism.test_same_seed_gives_byte_identical_files("demo", tmp_path)
