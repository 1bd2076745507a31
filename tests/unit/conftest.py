"""The unit tier runs no emulator, server, engine or child process: every test here is refused one.

Emulators and servers belong in ``tests/component`` (moto, Personalize Local, werkzeug servers, subprocesses); what
stays here runs in milliseconds. The guard works on what a test *does*, not on what it imports, so a helper module
or a late import cannot slip past it; ``tests/unit/test_unit_tier_guard.py`` proves each refusal.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.unit_tier_guard import UnitTierGuard


@pytest.fixture(autouse=True)
def _no_emulators_in_the_unit_tier(monkeypatch: pytest.MonkeyPatch) -> Iterator[UnitTierGuard]:
    """Refuse sockets on the network, child processes, AWS requests (moto or real) and Personalize Local engines.

    A refusal raises in the test; a test that catches it still fails here, because the guard remembers it.
    """
    guard = UnitTierGuard()
    guard.install(monkeypatch)
    yield guard
    guard.check()
