"""A memory snapshot of Pyodide after start-up, made at build time, so readers skip CPython's boot.

Pyodide 0.27 can save its whole WebAssembly memory once CPython has started and its own Python
packages are imported (``loadPyodide({_makeSnapshot: true})`` then ``makeMemorySnapshot()``), and
start from such a snapshot instead (``loadPyodide({_loadSnapshot})``). Measured in Debian's
Chromium on 127.0.0.1 (docs/runtime.md): ``loadPyodide`` takes about 2.3 s from scratch, of which
about 1.8 s is Python importing Pyodide's own modules; from a snapshot, about 0.4 s.

The snapshot is made here, in headless Chromium (the same kind of JavaScript engine and module
worker that later restores it), from exactly the Pyodide files the site serves, with the standard
library modules imported that installing a wheel, numpy and simcore would import next
(:data:`PRELOAD`). numpy itself cannot be in it: a snapshot holds memory, not the WebAssembly
modules of loaded extension libraries. It is written gzip-compressed (about 6 MB for 24 MB).

In the same run, numpy's wheel is byte-compiled by that Python (Pyodide's CPython 3.12, the one
that will import it): numpy's wheel ships only sources, and compiling its 174 modules at every
``import numpy`` costs about 0.2 s in the browser. Each ``.py`` becomes the ``.pyc`` Python
imports in its place; RECORD is rewritten; every other file is kept byte for byte. The
self-hosted site serves this wheel (its lock file carries the new sha256).

Both are cached under ``~/.cache/residual/snapshots/<key>/`` by the hash of everything that goes
into them. simcore's own wheel is byte-compiled the same way (:func:`compile_wheel`, in a run of
its own, since it changes with every edit of simcore; cached under ``compiled/``): measured, its
31 modules' compilation took about 0.1 s of the browser's start.

Engines without JSPI (WebKit) lay out Pyodide's function table otherwise and refuse that
snapshot; :func:`make_nojspi` makes theirs in WebKitGTK (``scripts/webkit.py``), when installed.

The snapshot API is experimental (its options start with an underscore) and tied to one build:
Pyodide refuses a snapshot of another build (it compares build ids), the page fetches it with
its SRI hash, and the worker starts from scratch when anything about it fails. Without Chromium
the build goes on without a snapshot and says so; the site then boots from scratch.

    .venv/bin/python scripts/snapshot.py DIST OUT   # DIST: a Pyodide folder; OUT: a folder
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import headless  # noqa: E402  (the local server and the browser)
import vendor_pyodide  # noqa: E402
import webkit  # noqa: E402  (WebKit's snapshot is made in WebKitGTK)

FORMAT = 1  # bump when what goes into a snapshot changes in a way the inputs below do not show
INPUTS = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")

# Pure-Python standard library modules (and their C parts built into Pyodide's main module) that
# loadPackage's wheel installer, ``import numpy``, ``import simcore.api`` and the first training
# epoch (numpy.random, imported lazily, imports secrets) import; measured by diffing sys.modules
# around those steps in the browser. ctypes is left out on purpose: importing it opens the main
# module with dlopen, whose handle lives outside the saved memory.
PRELOAD = ("base64", "csv", "datetime", "email.message", "email.utils", "importlib.metadata",
           "tarfile", "zipfile", "shutil", "__future__", "dataclasses", "json", "numbers",
           "pickle", "pkgutil", "platform", "encodings.cp437", "hashlib", "hmac", "secrets")

# Byte-compiles a wheel's modules with the Python that will run them (Pyodide's own CPython
# 3.12): each ``.py`` becomes a ``.pyc`` beside it (which Python imports when there is no
# source), RECORD is rewritten to match, every other file is kept byte for byte.
_COMPILE = r"""
import base64, hashlib, importlib._bootstrap_external as _bx, io, zipfile

def compiled_wheel(data, prefix):
    src = zipfile.ZipFile(io.BytesIO(bytes(data)))
    buf, rows, record = io.BytesIO(), [], None
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in src.infolist():
            name, body = info.filename, src.read(info.filename)
            if name.endswith(".dist-info/RECORD"):
                record = name
                continue
            if name.endswith(".py"):
                code = compile(body, prefix + name, "exec", dont_inherit=True)
                body = bytes(_bx._code_to_timestamp_pyc(code, 0, 0))
                name += "c"
            out.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED, 9)
            digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
            rows.append(f"{name},sha256={digest},{len(body)}")
        rows.append(f"{record},,")
        out.writestr(zipfile.ZipInfo(record, date_time=(1980, 1, 1, 0, 0, 0)), "\n".join(rows) + "\n")
    return buf.getvalue()
"""

_WORKER = """\
const { loadPyodide } = await import("./pyodide/pyodide.mjs");
try {
  const py = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href, _makeSnapshot: true });
  py.runPython(%(imports)r);
  const snapshot = py.makeMemorySnapshot();
  await fetch("/save/snapshot", { method: "POST", body: snapshot });
  if (%(numpy)r) {
    // then, in the same runtime (the snapshot is taken), numpy's wheel byte-compiled
    const wheel = new Uint8Array(await (await fetch("./pyodide/%(numpy)s")).arrayBuffer());
    py.runPython(%(compile)r);
    const site = py.runPython("import sysconfig; sysconfig.get_paths()['purelib'] + '/'");
    const compiled = py.globals.get("compiled_wheel")(wheel, site).toJs();
    await fetch("/save/numpy", { method: "POST", body: compiled });
  }
  await fetch("/save/done", { method: "POST", body: "" });
} catch (err) {
  await fetch("/fail", { method: "POST", body: String(err && err.stack || err) });
}
"""
_PAGE = b"""<!doctype html><meta charset="utf-8"><script type="module">
new Worker("worker.js", { type: "module" });
</script>"""


def numpy_wheel(dist: Path) -> str:
    """The file name of numpy's wheel in ``dist`` (from its lock file), or "" when ``dist`` has
    only the runtime (the files the cdn build hashes)."""
    name = json.loads((dist / "pyodide-lock.json").read_text())["packages"]["numpy"]["file_name"]
    return name if (dist / name).is_file() else ""


def _worker_js(numpy: str) -> bytes:
    return (_WORKER % {"imports": "import " + ", ".join(PRELOAD), "numpy": numpy,
                       "compile": _COMPILE}).encode()


def _hash_files(h, folder: Path, names) -> None:
    """Feed ``h`` each file of ``names`` in ``folder``: its name and the sha256 of its bytes."""
    for name in names:
        h.update(name.encode() + b"\0" + hashlib.sha256((folder / name).read_bytes()).digest())


def _serve(dist: Path, files: dict):
    """A resolver for :func:`headless.collect`: the page's own ``files`` by path, and every file of
    the Pyodide folder ``dist`` under ``/pyodide/``."""
    def resolve(path: str):
        if path in files:
            return files[path]
        name = path[len("/pyodide/"):]
        if path.startswith("/pyodide/") and "/" not in name and (dist / name).is_file():
            return (dist / name).read_bytes(), headless.file_type(name)
        return None
    return resolve


_COMPILER = """\
const { loadPyodide } = await import("./pyodide/pyodide.mjs");
try {
  const py = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
  const wheel = new Uint8Array(await (await fetch("./wheel")).arrayBuffer());
  py.runPython(%(compile)r);
  const site = py.runPython("import sysconfig; sysconfig.get_paths()['purelib'] + '/'");
  const compiled = py.globals.get("compiled_wheel")(wheel, site).toJs();
  await fetch("/save/wheel", { method: "POST", body: compiled });
} catch (err) {
  await fetch("/fail", { method: "POST", body: String(err && err.stack || err) });
}
"""


def compile_wheel(dist: Path, wheel: Path, browser: str | None = None, timeout: float = 120.0) -> Path:
    """``wheel`` (a pure-Python wheel) byte-compiled by the Pyodide of ``dist``, as numpy's is
    (same file name; cached by the hash of the wheel and the runtime), or ``wheel`` itself (with
    a note on stderr) when no Chromium is available or it fails: the site then works the same,
    its modules compiled at import."""
    h = hashlib.sha256(f"compiled wheel format {FORMAT}\n".encode() + _COMPILER.encode() + _COMPILE.encode())
    _hash_files(h, dist, INPUTS)
    _hash_files(h, wheel.parent, (wheel.name,))
    path = vendor_pyodide.cache_root() / "compiled" / h.hexdigest()[:24] / wheel.name
    if path.exists():
        return path
    browser = browser or headless.chromium()
    if browser is None:
        print(f"snapshot: no Chromium found: {wheel.name} is served uncompiled", file=sys.stderr)
        return wheel
    files = {"/": (_PAGE, "text/html"), "/wheel": (wheel.read_bytes(), "application/zip"),
             "/worker.js": ((_COMPILER % {"compile": _COMPILE}).encode(), "text/javascript")}
    try:
        result = headless.collect(_serve(dist, files), browser, timeout, last=("/save/wheel", "/fail"))
        if "/save/wheel" not in result:
            raise RuntimeError(result.get("/fail", b"").decode()[:500])
    except (OSError, RuntimeError) as exc:
        print(f"snapshot: {wheel.name} is served uncompiled ({exc})", file=sys.stderr)
        return wheel
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, result["/save/wheel"])
    return path


def key(dist: Path, flavour: str = "jspi") -> str:
    """The hash of everything that goes into the snapshot (and the compiled wheel) of ``dist``;
    ``flavour`` "nojspi" for WebKit's (:func:`make_nojspi`)."""
    numpy = numpy_wheel(dist) if flavour == "jspi" else ""
    head = f"snapshot format {FORMAT}\n" + ("" if flavour == "jspi" else f"flavour {flavour}\n")
    h = hashlib.sha256(head.encode() + _worker_js(numpy))
    _hash_files(h, dist, INPUTS + ((numpy,) if numpy else ()))
    return h.hexdigest()


def _make(dist: Path, browser, timeout: float, compile_numpy: bool = True) -> tuple[bytes, bytes | None]:
    """The raw snapshot and the compiled numpy wheel (None when ``dist`` has no numpy wheel or
    ``compile_numpy`` is false). ``browser``: a Chromium binary, or a function that opens a URL
    and returns a function that closes it."""
    numpy = numpy_wheel(dist) if compile_numpy else ""
    files = {"/": (_PAGE, "text/html"), "/worker.js": (_worker_js(numpy), "text/javascript")}
    result = headless.collect(_serve(dist, files), browser, timeout, last=("/save/done", "/fail"))
    if "/save/done" not in result:
        raise RuntimeError("Pyodide could not make a snapshot: " + result.get("/fail", b"").decode()[:500])
    if len(result["/save/snapshot"]) < 1 << 20:
        raise RuntimeError(f"the snapshot is implausibly small ({len(result['/save/snapshot'])} bytes)")
    return result["/save/snapshot"], result.get("/save/numpy")


class Startup(NamedTuple):
    snapshot: Path      # the gzip-compressed memory snapshot
    numpy: Path | None  # numpy's wheel, byte-compiled (same file name as the original)


def make(dist: Path, browser: str | None = None, timeout: float = 120.0) -> Startup | None:
    """The snapshot and compiled numpy wheel of ``dist`` (cached), or None (with a note on
    stderr) when no Chromium is available to make them."""
    folder = vendor_pyodide.cache_root() / "snapshots" / key(dist)[:24]
    numpy = numpy_wheel(dist)
    made = Startup(folder / f"snapshot-{folder.name}.bin.gz", folder / numpy if numpy else None)
    if all(p.exists() for p in made if p):
        return made
    browser = browser or headless.chromium()
    if browser is None:
        print("snapshot: no Chromium found (set CHROMIUM=...): the site's runtime will boot without a "
              "memory snapshot (about 1.5 s slower)", file=sys.stderr)
        return None
    snapshot, compiled = _make(dist, browser, timeout)
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in zip(made, (gzip.compress(snapshot, compresslevel=9, mtime=0), compiled)):
        if path is not None:
            _write(path, data)
    return made


def _write(path: Path, data: bytes) -> None:
    """Write ``path`` atomically: builds running side by side never see half a file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    tmp.replace(path)


def _open_in_webkit(url: str):
    session = webkit.WebKit()
    try:
        session.driver.get(url)
    except BaseException:
        session.close()
        raise
    return session.close


def make_nojspi(dist: Path, timeout: float = 120.0) -> Path | None:
    """The snapshot of ``dist`` for browsers without JSPI (WebKit), made in WebKitGTK (cached), or
    None (with a note on stderr) when WebKit is not installed.

    Pyodide lays out its WebAssembly function table differently when the engine has JSPI
    (``WebAssembly.Suspending``): Chromium and Firefox have it, WebKit (2026) has not, and WebKit
    refuses the Chromium-made snapshot ("call_indirect to a signature that does not match"). A
    snapshot made in WebKit itself starts there (measured: click → first epoch 3.5 s instead of
    7 s). The page picks one by whether the browser has JSPI (``bridge.js``)."""
    folder = vendor_pyodide.cache_root() / "snapshots" / key(dist, "nojspi")[:24]
    path = folder / f"snapshot-nojspi-{folder.name}.bin.gz"
    if path.exists():
        return path
    lacks = webkit.missing()
    if lacks:
        print(f"snapshot: WebKit's not made ({lacks} missing; `bash scripts/test` installs them): "
              "browsers without JSPI (Safari, WebKit) will boot the runtime from scratch", file=sys.stderr)
        return None
    raw, _ = _make(dist, _open_in_webkit, timeout, compile_numpy=False)
    folder.mkdir(parents=True, exist_ok=True)
    _write(path, gzip.compress(raw, compresslevel=9, mtime=0))
    return path


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dist", type=Path, help="a Pyodide folder (pyodide.mjs, pyodide.asm.*, python_stdlib.zip)")
    ap.add_argument("out", type=Path, help="a folder to copy the snapshot and the compiled numpy wheel into")
    args = ap.parse_args()
    made = make(args.dist)
    if made is None:
        sys.exit(1)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in filter(None, (*made, make_nojspi(args.dist))):
        shutil.copy2(path, args.out / path.name)
        print(f"{args.out / path.name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
