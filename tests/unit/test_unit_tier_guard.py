"""The unit tier's guard refuses every way of starting an emulator, a server or a child process, and a test that
swallows the refusal still fails."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest

from personalize_local.models import BackendConfig, PersonalizeBackend
from tests.support.unit_tier_guard import EmulatorInUnitTier, UnitTierGuard

GUARD = "_no_emulators_in_the_unit_tier"


@pytest.fixture
def guard(request: pytest.FixtureRequest) -> UnitTierGuard:
    """This test's guard; each test below forgets the refusals it provoked on purpose."""
    return request.getfixturevalue(GUARD)


def _refused(guard: UnitTierGuard, what: str) -> None:
    assert guard.refused and what in guard.refused[-1], guard.refused
    guard.refused.clear()


def test_listening_on_a_socket_is_refused(guard: UnitTierGuard) -> None:
    server = socket.socket()
    with server, pytest.raises(EmulatorInUnitTier, match="tests/component"):
        server.bind(("127.0.0.1", 0))
    _refused(guard, "bind a network socket")


def test_connecting_to_a_server_is_refused(guard: UnitTierGuard) -> None:
    client = socket.socket()
    with client, pytest.raises(EmulatorInUnitTier):
        client.connect(("127.0.0.1", 9))
    _refused(guard, "connect a network socket")


def test_an_in_process_pipe_is_allowed(guard: UnitTierGuard) -> None:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"x")
        assert right.recv(1) == b"x"
    assert guard.refused == []


def test_a_child_process_is_refused(guard: UnitTierGuard) -> None:
    with pytest.raises(EmulatorInUnitTier):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    _refused(guard, "start a child process")


def test_an_aws_request_is_refused_before_it_leaves_the_process(guard: UnitTierGuard) -> None:
    with pytest.raises(EmulatorInUnitTier):
        boto3.client("s3").list_buckets()
    _refused(guard, "send an AWS request")


def test_a_personalize_local_backend_is_refused(guard: UnitTierGuard, tmp_path: Path) -> None:
    with pytest.raises(EmulatorInUnitTier):
        PersonalizeBackend(BackendConfig(data_dir=tmp_path))
    _refused(guard, "run a Personalize Local backend")


def test_a_swallowed_refusal_still_fails_the_test() -> None:
    guard = UnitTierGuard()
    with pytest.MonkeyPatch.context() as patch:
        guard.install(patch)
        with contextlib.suppress(Exception):  # a test hiding the refusal
            socket.socket().bind(("127.0.0.1", 0))
    with pytest.raises(EmulatorInUnitTier, match="bind a network socket"):
        guard.check()


def test_moto_is_refused_when_it_is_loaded(guard: UnitTierGuard) -> None:
    """moto's start is patched when moto is imported; the request guard covers a moto imported later."""
    probe = UnitTierGuard()
    fake_moto = type(sys)("moto.core.models")
    fake_moto.MockAWS = type("MockAWS", (), {"start": lambda self: None})  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "moto.core.models", fake_moto)
        probe.install(patch)
        with pytest.raises(EmulatorInUnitTier):
            fake_moto.MockAWS().start()  # type: ignore[attr-defined]
    assert probe.refused == ["start moto"]
    assert guard.refused == []


def test_a_violating_test_module_fails_under_the_unit_conftest(pytester: pytest.Pytester, guard: UnitTierGuard) -> None:
    conftest = Path(__file__).with_name("conftest.py").read_text()
    pytester.makeconftest(conftest)
    pytester.makepyfile(
        test_violation=textwrap.dedent(
            """
            import socket

            def test_starts_a_server():
                socket.socket().bind(("127.0.0.1", 0))

            def test_hides_that_it_started_one():
                try:
                    socket.socket().bind(("127.0.0.1", 0))
                except Exception:
                    pass

            def test_stays_in_memory():
                assert sum([1, 2]) == 3
            """
        ),
        test_module_fixture=textwrap.dedent(
            """
            import socket
            import pytest

            @pytest.fixture(scope="module")
            def server():
                with socket.socket() as listening:
                    listening.bind(("127.0.0.1", 0))
                    yield listening

            def test_uses_a_module_server(server):
                assert server
            """
        ),
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly")
    # the server test fails where it binds (and again at teardown); the hiding one fails at teardown; the module
    # fixture's server is refused while it is set up, before any test of the module runs
    result.assert_outcomes(passed=2, failed=1, errors=3)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED test_violation.py::test_starts_a_server*",
            "ERROR test_violation.py::test_hides_that_it_started_one*",
            "*this unit test tried to bind a network socket*",
            "ERROR test_module_fixture.py::test_uses_a_module_server*",
        ]
    )
    assert "test_stays_in_memory" not in "\n".join(
        line for line in result.outlines if line.startswith(("FAILED", "ERROR"))
    )
    guard.refused.clear()  # the inner run's refusals went through this test's patched socket too
