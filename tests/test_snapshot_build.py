"""scripts/snapshot.py without a browser: what the snapshot's cache key covers, and a build on
a machine without Chromium going on without a snapshot (and saying so)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import snapshot  # noqa: E402


@pytest.fixture
def dist(tmp_path):
    for name in snapshot.INPUTS:
        (tmp_path / name).write_bytes(name.encode() * 10)
    return tmp_path


def test_the_key_covers_every_input_and_the_preloaded_modules(dist, monkeypatch):
    base = snapshot.key(dist)
    assert snapshot.key(dist) == base
    for name in snapshot.INPUTS:
        old = (dist / name).read_bytes()
        (dist / name).write_bytes(old + b"\0")
        assert snapshot.key(dist) != base, name
        (dist / name).write_bytes(old)
    monkeypatch.setattr(snapshot, "PRELOAD", snapshot.PRELOAD + ("ctypes",))
    assert snapshot.key(dist) != base
    monkeypatch.setattr(snapshot, "PRELOAD", snapshot.PRELOAD[:-1])
    monkeypatch.setattr(snapshot, "FORMAT", snapshot.FORMAT + 1)
    assert snapshot.key(dist) != base


def test_without_chromium_the_build_goes_on_without_a_snapshot(dist, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(snapshot, "chromium", lambda: None)
    assert snapshot.make(dist) is None
    assert "no Chromium found" in capsys.readouterr().err
    assert not (tmp_path / "cache" / "residual" / "snapshots").exists()


def test_a_cached_snapshot_is_reused_without_a_browser(dist, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cached = tmp_path / "cache" / "residual" / "snapshots" / f"snapshot-{snapshot.key(dist)[:24]}.bin.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"made earlier")
    monkeypatch.setattr(snapshot, "_make", lambda *a: pytest.fail("made again"))
    assert snapshot.make(dist, browser="/nonexistent") == cached


def test_a_browser_that_cannot_make_one_fails_the_build_clearly(dist, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    with pytest.raises(RuntimeError, match="no snapshot from .* within 2 s"):
        snapshot.make(dist, browser=str(fake), timeout=2)
