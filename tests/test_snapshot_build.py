"""scripts/snapshot.py without a browser: what the cache key covers, a build on a machine without
Chromium going on without a snapshot (and saying so), and the byte-compiling of a wheel."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import snapshot  # noqa: E402

WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"


@pytest.fixture
def dist(tmp_path):
    d = tmp_path / "dist"
    d.mkdir()
    for name in snapshot.INPUTS:
        (d / name).write_bytes(name.encode() * 10)
    (d / "pyodide-lock.json").write_text(json.dumps({"packages": {"numpy": {"file_name": WHEEL}}}))
    (d / WHEEL).write_bytes(b"a wheel")
    return d


def test_the_key_covers_every_input_and_the_preloaded_modules(dist, monkeypatch):
    base = snapshot.key(dist)
    assert snapshot.key(dist) == base
    for name in snapshot.INPUTS + (WHEEL,):
        old = (dist / name).read_bytes()
        (dist / name).write_bytes(old + b"\0")
        assert snapshot.key(dist) != base, name
        (dist / name).write_bytes(old)
    monkeypatch.setattr(snapshot, "PRELOAD", snapshot.PRELOAD + ("ctypes",))
    assert snapshot.key(dist) != base
    monkeypatch.setattr(snapshot, "PRELOAD", snapshot.PRELOAD[:-1])
    monkeypatch.setattr(snapshot, "FORMAT", snapshot.FORMAT + 1)
    assert snapshot.key(dist) != base


def test_a_runtime_without_numpy_gets_a_snapshot_only(dist, monkeypatch, tmp_path):
    """The cdn build hashes only the runtime's files: no numpy wheel to compile."""
    (dist / WHEEL).unlink()
    assert snapshot.numpy_wheel(dist) == ""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(snapshot, "_make", lambda *a: (b"\1" * (2 << 20), None))
    made = snapshot.make(dist, browser="chromium")
    assert made.numpy is None and made.snapshot.name == f"snapshot-{snapshot.key(dist)[:24]}.bin.gz"


def test_without_chromium_the_build_goes_on_without_a_snapshot(dist, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(snapshot.headless, "chromium", lambda: None)
    assert snapshot.make(dist) is None
    assert "no Chromium found" in capsys.readouterr().err
    assert not (tmp_path / "cache" / "residual" / "snapshots").exists()


def test_what_was_made_is_reused_without_a_browser(dist, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "residual" / "snapshots" / snapshot.key(dist)[:24]
    folder.mkdir(parents=True)
    (folder / f"snapshot-{folder.name}.bin.gz").write_bytes(b"made earlier")
    (folder / WHEEL).write_bytes(b"compiled earlier")
    monkeypatch.setattr(snapshot, "_make", lambda *a: pytest.fail("made again"))
    made = snapshot.make(dist, browser="/nonexistent")
    assert made.snapshot.read_bytes() == b"made earlier" and made.numpy.read_bytes() == b"compiled earlier"


def test_a_browser_that_cannot_make_one_fails_clearly(dist, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    with pytest.raises(RuntimeError, match="no answer from .* within 2 s"):
        snapshot.make(dist, browser=str(fake), timeout=2)


def test_webkits_snapshot_has_its_own_key_and_is_skipped_without_webkit(dist, monkeypatch, tmp_path, capsys):
    """The snapshot for browsers without JSPI is made in WebKit, keyed apart from Chromium's (its
    worker compiles no numpy); without WebKit the build goes on and says what is missing."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert snapshot.key(dist, "nojspi") != snapshot.key(dist)
    assert snapshot.key(dist, "nojspi") == snapshot.key(dist, "nojspi")
    monkeypatch.setattr(snapshot.webkit, "missing", lambda: "Xvfb")
    assert snapshot.make_nojspi(dist) is None
    err = capsys.readouterr().err
    assert "WebKit's not made (Xvfb missing" in err and "without JSPI" in err
    # made earlier: reused without WebKit
    folder = tmp_path / "cache" / "residual" / "snapshots" / snapshot.key(dist, "nojspi")[:24]
    folder.mkdir(parents=True)
    (folder / f"snapshot-nojspi-{folder.name}.bin.gz").write_bytes(b"made earlier")
    assert snapshot.make_nojspi(dist).read_bytes() == b"made earlier"


def test_the_deploy_build_requires_both_snapshots():
    import hooks
    both = {"snapshot": Path("a"), "snapshot_nojspi": Path("b")}
    hooks.require_snapshots(both, {"SNAPSHOT_REQUIRED": "1"})
    hooks.require_snapshots({"snapshot": Path("a")}, {})      # a local build goes on without
    with pytest.raises(RuntimeError, match="snapshot_nojspi not made"):
        hooks.require_snapshots({"snapshot": Path("a"), "snapshot_nojspi": None}, {"SNAPSHOT_REQUIRED": "1"})


def test_byte_compiling_a_wheel(tmp_path):
    """The compiler the build runs inside Pyodide, run here by this Python: every module becomes
    a .pyc that imports without its source, everything else is kept byte for byte, and RECORD
    lists exactly what the new wheel holds."""
    src = io.BytesIO()
    files = {"pkg/__init__.py": b"from .mod import f\n", "pkg/mod.py": b'"""doc"""\ndef f(x):\n    return 2 * x\n',
             "pkg/_ext.so": bytes(range(256)), "pkg/data.txt": b"kept\n",
             "pkg-1.0.dist-info/METADATA": b"Name: pkg\n", "pkg-1.0.dist-info/RECORD": b"stale\n"}
    with zipfile.ZipFile(src, "w") as z:
        for name, body in files.items():
            z.writestr(name, body)
    scope: dict = {}
    exec(snapshot._COMPILE, scope)
    out = zipfile.ZipFile(io.BytesIO(scope["compiled_wheel"](src.getvalue(), "/site/")))
    names = set(out.namelist())
    assert names == {"pkg/__init__.pyc", "pkg/mod.pyc", "pkg/_ext.so", "pkg/data.txt",
                     "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD"}
    for name in ("pkg/_ext.so", "pkg/data.txt", "pkg-1.0.dist-info/METADATA"):
        assert out.read(name) == files[name]
    rows = [r.split(",") for r in out.read("pkg-1.0.dist-info/RECORD").decode().splitlines()]
    assert {r[0] for r in rows} == names
    for name, digest, size in rows:
        if name.endswith("RECORD"):
            assert (digest, size) == ("", "")
            continue
        body = out.read(name)
        assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        assert int(size) == len(body)
    out.extractall(tmp_path / "site")
    sys.path.insert(0, str(tmp_path / "site"))
    try:
        import pkg  # noqa: PLC0415  (sourceless: only the .pyc files are there)

        assert pkg.f(21) == 42 and pkg.mod.__doc__ == "doc"
        assert pkg.mod.f.__code__.co_filename == "/site/pkg/mod.py"
    finally:
        sys.path.pop(0)
        sys.modules.pop("pkg", None)
        sys.modules.pop("pkg.mod", None)


def test_simcores_wheel_compiled_without_a_browser_is_served_as_it_is(dist, monkeypatch, tmp_path, capsys):
    """simcore's wheel is byte-compiled per build (it changes with simcore): without Chromium, or
    with one that gives no answer, the build serves the wheel uncompiled and says so; one made
    earlier for the same wheel and runtime is reused, and another wheel gets its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wheel = tmp_path / "simcore-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"a simcore wheel")
    monkeypatch.setattr(snapshot.headless, "chromium", lambda: None)
    assert snapshot.compile_wheel(dist, wheel) == wheel
    assert "served uncompiled" in capsys.readouterr().err
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert snapshot.compile_wheel(dist, wheel, browser=str(fake), timeout=2) == wheel
    assert "no answer from" in capsys.readouterr().err
    compiled = {}

    def collect(resolve, browser, timeout, last):
        body, _ = resolve("/wheel")
        assert resolve("/pyodide/pyodide.mjs")[0] == (dist / "pyodide.mjs").read_bytes()
        compiled[body] = compiled.get(body, 0) + 1
        return {"/save/wheel": b"compiled " + body}
    monkeypatch.setattr(snapshot.headless, "collect", collect)
    made = snapshot.compile_wheel(dist, wheel, browser="chromium")
    assert made.name == wheel.name and made.read_bytes() == b"compiled a simcore wheel"
    assert snapshot.compile_wheel(dist, wheel, browser="chromium") == made and compiled == {b"a simcore wheel": 1}
    wheel.write_bytes(b"another simcore wheel")
    assert snapshot.compile_wheel(dist, wheel, browser="chromium") != made


def test_a_snapshot_with_packages_round_trips_its_container():
    """pack/unpack: the header, Pyodide's snapshot and each library, every part at a multiple of
    16 bytes (the worker reads the snapshot as 32-bit words)."""
    meta = {"libs": [{"name": "/lib/a.so", "tableBase": 5}, {"name": "/lib/b.so", "tableBase": 9}],
            "handles": [[123, "/lib/a.so"]], "tableStart": 3, "tableEnd": 12, "simcore": "ab" * 32}
    data = snapshot.pack(meta, b"S" * 37, [b"\0asm" + b"a" * 5, b"\0asm" + b"b" * 20], {"p/d.npz": b"digits"})
    assert data[:4] == b"RSNP"
    header, snap, libs, files = snapshot.unpack(data)
    assert snap == b"S" * 37 and libs == [b"\0asm" + b"a" * 5, b"\0asm" + b"b" * 20]
    assert files == {"p/d.npz": b"digits"}
    assert {k: header[k] for k in ("handles", "tableStart", "tableEnd", "simcore")} == {
        k: meta[k] for k in ("handles", "tableStart", "tableEnd", "simcore")}
    assert [lib["name"] for lib in header["libs"]] == ["/lib/a.so", "/lib/b.so"]
    size = int.from_bytes(data[4:8], "little")
    base = 8 + size + (-(8 + size) % 16)
    assert base % 16 == 0 and all((base + part[0]) % 16 == 0 for part in
                                  [header["snapshot"], *(x["part"] for x in header["libs"] + header["files"])])
    with pytest.raises(ValueError, match="RSNP"):
        snapshot.unpack(b"\0\0\0\0" + data[4:])


def test_the_snapshot_with_packages_is_keyed_by_runtime_numpy_and_simcore(dist, monkeypatch, tmp_path, capsys):
    """Made again when the runtime, numpy's wheel or simcore's wheel changes (simcore: at every
    edit of it), reused otherwise, and skipped (the build says so) without Chromium."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    numpy, simcore = dist / WHEEL, tmp_path / "simcore-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(numpy, "w") as z:
        z.writestr("numpy/_core/_multiarray_umath.so", b"\0asm umath")
    with zipfile.ZipFile(simcore, "w") as z:
        z.writestr("simcore/api.pyc", b"code")
        z.writestr("simcore/_data/digits.npz", b"digits")
    base = snapshot.packaged_key(dist, numpy, simcore)
    for path in (dist / "pyodide.asm.wasm", numpy, simcore):
        old = path.read_bytes()
        path.write_bytes(old + b"\0")
        assert snapshot.packaged_key(dist, numpy, simcore) != base, path.name
        path.write_bytes(old)
    monkeypatch.setattr(snapshot.headless, "chromium", lambda: None)
    assert snapshot.make_packaged(dist, numpy, simcore) is None
    assert "install numpy and simcore at every start" in capsys.readouterr().err
    runs = []

    def collect(resolve, browser, timeout, last):
        assert resolve("/wheels/simcore")[0] == simcore.read_bytes()
        runs.append(1)
        name = "/lib/python3.12/site-packages/numpy/_core/_multiarray_umath.so"
        meta = {"libs": [{"name": name, "tableBase": 7}], "handles": [], "tableStart": 5, "tableEnd": 9}
        return {"/save/meta": json.dumps(meta).encode(), "/save/snapshot": b"memory"}
    monkeypatch.setattr(snapshot.headless, "collect", collect)
    made = snapshot.make_packaged(dist, numpy, simcore, browser="chromium")
    header, snap, libs, files = snapshot.unpack(gzip.decompress(made.read_bytes()))
    assert snap == b"memory" and libs == [b"\0asm umath"] and files == {"simcore/_data/digits.npz": b"digits"}
    assert header["simcore"] == hashlib.sha256(simcore.read_bytes()).hexdigest()
    assert made.name == f"snapshot-packaged-{base[:24]}.bin.gz"
    assert snapshot.make_packaged(dist, numpy, simcore, browser="chromium") == made and runs == [1]
