"""Atomic output: a folder is always the complete old or the complete new version, files get the umask."""
import os
import stat
from pathlib import Path

import pytest

from nbnlp.core.corpus import atomic
from nbnlp.core.corpus.atomic import atomic_directory, atomic_write, recover_directory


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_and_directory_keep_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.txt", "w", encoding="utf8") as f:
            f.write("x")
        with atomic_directory(tmp_path / "model") as tmp:
            (tmp / "w.bin").write_bytes(b"1")
        assert _mode(tmp_path / "a.txt") == 0o644
        assert _mode(tmp_path / "model") == 0o755
        os.umask(0o077)
        with atomic_write(tmp_path / "b.txt", "w", encoding="utf8") as f:
            f.write("x")
        assert _mode(tmp_path / "b.txt") == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize("exchange", [True, False])
def test_directory_replacement_leaves_only_the_new_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(atomic, "exchange_paths", lambda a, b: False)
    target = tmp_path / "model-best"
    for version in ("1", "2", "3"):
        with atomic_directory(target) as tmp:
            (tmp / "version").write_text(version)
    assert (target / "version").read_text() == "3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-best"]


def test_a_kill_between_the_fallback_renames_is_recovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "exchange_paths", lambda a, b: False)
    target = tmp_path / "model-best"
    with atomic_directory(target) as tmp:
        (tmp / "version").write_text("1")
    real_replace = os.replace
    calls = []

    def die_after_moving_aside(src, dst):  # the process "dies" after the first of the two renames
        calls.append((src, dst))
        real_replace(src, dst)
        if len(calls) == 1:
            raise SystemExit("killed")

    monkeypatch.setattr(atomic.os, "replace", die_after_moving_aside)
    with pytest.raises(SystemExit):
        with atomic_directory(target) as tmp:
            (tmp / "version").write_text("2")
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert not target.exists()
    assert recover_directory(target)
    assert (target / "version").read_text() == "1"


def test_a_failed_write_keeps_the_old_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        (tmp / "version").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "version").write_text("2")
            raise RuntimeError("disk full")
    assert (target / "version").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
