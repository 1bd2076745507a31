"""The unit tier runs no emulator, server, engine or child process: every test here is refused one.

Emulators and servers belong in ``tests/component`` (moto, Personalize Local, werkzeug servers, subprocesses); what
stays here runs in milliseconds. The guard works on what a test *does*, not on what it imports, so a helper module
or a late import cannot slip past it; it covers the whole run of each test, fixtures of any scope included.
``tests/unit/test_unit_tier_guard.py`` proves each refusal.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.support.unit_tier_guard import UnitTierGuard

_GUARD = pytest.StashKey[UnitTierGuard]()
_UNIT_TIER = Path(__file__).resolve().parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """Guard the setup, call and teardown of ``item``, including module and session fixtures set up for it.

    pytest calls this hook for every test of the session once this file is loaded, so it guards only this tier's.
    """
    if _UNIT_TIER not in item.path.parents:
        return (yield)
    guard = UnitTierGuard()
    item.stash[_GUARD] = guard
    with pytest.MonkeyPatch.context() as patch:
        guard.install(patch)
        return (yield)


@pytest.fixture(autouse=True)
def _no_emulators_in_the_unit_tier(request: pytest.FixtureRequest) -> Iterator[UnitTierGuard]:
    """Refuse sockets on the network, child processes, AWS requests (moto or real) and Personalize Local engines.

    A refusal raises in the test; a test that catches it still fails here, because the guard remembers it.
    """
    guard = request.node.stash[_GUARD]
    yield guard
    guard.check()
