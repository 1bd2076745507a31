"""Personalize Local's server limits BLAS to one thread per process while it runs (concurrent requests scale)."""

from __future__ import annotations

import warnings

import boto3
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from personalize_local import local_personalize


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    """BLAS at 2 threads before the server starts (whatever the machine), restored afterwards."""
    if not _blas_threads():
        pytest.fail("numpy/scipy should load a BLAS threadpool threadpoolctl can see")
    with threadpool_limits(limits=2, user_api="blas"):
        yield


@pytest.mark.usefixtures("two_blas_threads")
def test_blas_is_single_threaded_while_servers_run_and_restored_after_the_last(tmp_path) -> None:
    with local_personalize(data_dir=tmp_path / "a") as first:
        assert _blas_threads() == {1}
        assert boto3.client("personalize", endpoint_url=first.endpoint_url).list_dataset_groups()["datasetGroups"] == []
        with local_personalize(data_dir=tmp_path / "b", set_environment=False):
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}  # the first server still runs
        with threadpool_limits(limits=2, user_api="blas"):  # a large computation may ask for more, for a while
            assert _blas_threads() == {2}
        assert _blas_threads() == {1}
    assert _blas_threads() == {2}


@pytest.mark.usefixtures("two_blas_threads")
def test_blas_threads_none_leaves_blas_alone(tmp_path) -> None:
    with local_personalize(data_dir=tmp_path, blas_threads=None):
        assert _blas_threads() == {2}
    assert _blas_threads() == {2}


def test_implicit_blas_threads_warning_is_filtered_and_other_warnings_are_not() -> None:
    """Training runs in worker threads where BLAS limits do not apply: implicit's warning about it is silenced."""
    from personalize_local.recipes.algorithms import silence_blas_threads_warning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_blas_threads_warning()
        message = "OpenBLAS is configured to use 2 threads. It is highly recommended to disable its internal threadpool"
        warnings.warn_explicit(message, RuntimeWarning, "utils.py", 34, module="implicit.utils")
        warnings.warn_explicit("something else went wrong", RuntimeWarning, "utils.py", 40, module="implicit.utils")
        warnings.warn_explicit(message, RuntimeWarning, "other.py", 1, module="somebody.else")
    assert [str(w.message) for w in caught] == ["something else went wrong", message]
