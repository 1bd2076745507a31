"""Same size and seed give byte-identical files; failures leave nothing half-written; bad sizes are refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import sample_data.generate as generate_module
from sample_data.__main__ import main as cli_main
from sample_data.generate import FILE_NAMES, generate_dataset


def _digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in FILE_NAMES}


@pytest.mark.parametrize("size", ["tiny"])  # tests/component/test_sample_data_demo_size.py: "demo"
def test_same_seed_gives_byte_identical_files(size: str, tmp_path: Path) -> None:
    first = generate_dataset(size, tmp_path / "first")
    second = generate_dataset(size, tmp_path / "second")
    assert _digests(first.out_dir) == _digests(second.out_dir)
    assert first.n_ratings == second.n_ratings > 0


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    default = _digests(generate_dataset("tiny", tmp_path / "a").out_dir)
    other = _digests(generate_dataset("tiny", tmp_path / "b", seed=7).out_dir)
    assert default["watching_status.csv"] == other["watching_status.csv"]
    for name in ("anime.csv", "rating_complete.csv", "animelist.csv", "anime_with_synopsis.csv"):
        assert default[name] != other[name], name


def test_sizes_have_the_promised_scale(tmp_path: Path) -> None:
    tiny = generate_dataset("tiny", tmp_path / "tiny")
    assert 1_000 <= tiny.n_ratings <= 4_000
    assert tiny.n_animelist_rows > tiny.n_ratings


def test_unknown_size_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown sample-data size 'huge'.*tiny, demo, full"):
        generate_dataset("huge", tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_failure_leaves_no_partial_files_and_keeps_earlier_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = _digests(generate_dataset("tiny", tmp_path, seed=1).out_dir)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(generate_module, "anime_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        generate_dataset("tiny", tmp_path, seed=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILE_NAMES)
    assert _digests(tmp_path) == earlier


def test_cli_rejects_a_bad_size_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--size", "huge", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_cli_reports_an_unwritable_output_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    assert cli_main(["--size", "tiny", "--out", str(blocker / "out"), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"python -m sample_data: cannot write {blocker / 'out'}")
