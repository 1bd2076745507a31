"""bench/served_model.py refuses a slice it cannot take before it loads any data."""

from __future__ import annotations

import pytest

from bench.served_model import main


@pytest.mark.parametrize("every", ["0", "-3"])
def test_a_slice_of_every_zero_or_fewer_users_is_refused(every: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--every", every])
    assert exit_info.value.code == 2
    assert "--every must be at least 1" in capsys.readouterr().err
