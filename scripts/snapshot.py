"""A memory snapshot of Pyodide after start-up, made at build time, so readers skip CPython's boot.

Pyodide 0.27 can save its whole WebAssembly memory once CPython has started and its own Python
packages are imported (``loadPyodide({_makeSnapshot: true})`` then ``makeMemorySnapshot()``), and
start from such a snapshot instead (``loadPyodide({_loadSnapshot})``). Measured in Debian's
Chromium on 127.0.0.1 (docs/runtime.md): ``loadPyodide`` takes about 2.3 s from scratch, of which
about 1.8 s is Python importing Pyodide's own modules; from a snapshot, about 0.4 s.

The snapshot is made here, in headless Chromium (the same kind of JavaScript engine and module
worker that later restores it), from exactly the Pyodide files the site serves, with the standard
library modules imported that installing a wheel, numpy and simcore would import next
(:data:`PRELOAD`). It is written gzip-compressed (about 6 MB for 24 MB). A second snapshot has
numpy and simcore imported as well (:func:`make_packaged`): Pyodide's snapshot holds memory only,
not the WebAssembly modules of numpy's extension libraries, so it comes with those libraries and
where they were loaded, and the worker puts them back there before the memory (about 11 MB
gzip-compressed, with the libraries; see "a snapshot with numpy and simcore in it" below).

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
import zipfile
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


# --- a snapshot with numpy and simcore in it --------------------------------------------------
#
# Pyodide 0.27's snapshot holds the WebAssembly memory only, so it is taken before any package
# is loaded: a numpy extension module is a WebAssembly module of its own, whose functions sit
# in the runtime's function table at the indices its loader gave it, and whose data lives in
# that memory. Emscripten's loader can put a module back where it was: given a handle that says
# "already loaded at this memory address and this table index" (the record it keeps for each
# library it opens), it instantiates the module there instead of allocating new room. So the
# build imports numpy and simcore, saves the memory together with each library's addresses and
# the library files, and the worker (docs/javascripts/sim/worker.js) instantiates the libraries
# at those addresses, in the same order, before Pyodide copies the saved memory over them: the
# function table comes out index for index as it was (the worker checks its length before and
# after), and numpy, simcore and the modules they import are imported already. Measured in
# docs/runtime.md.
#
# The file is one container, gzip-compressed: b"RSNP", the length of a JSON header (4 bytes,
# little-endian), the header, then Pyodide's own snapshot, each library's file and simcore's
# data files, every part starting at a multiple of 16 bytes. The header names the parts
# (``snapshot``: [offset, length]; ``libs``: name, the addresses and [offset, length], in load
# order; ``files``: path under ``site``, the site-packages folder, and [offset, length]), the
# table's length before and after the libraries, and the sha256 of the simcore wheel inside.

PACKAGED = b"RSNP"
PACKAGED_NAME = "snapshot-packaged-"  # how its file name starts (the plain one's: "snapshot-")
# Imported before the snapshot is taken, so that no simulation imports a module later (the
# snapshot has numpy's and simcore's modules in memory, not their files): numpy's subpackages
# that numpy imports lazily (numpy.ma at the first np.unique, numpy.random at the first seeded
# generator, np.load's modules for the digits), then one short training run.
WARM_UP = ("import json, numpy.ma, numpy.linalg, numpy.fft, numpy.polynomial, numpy.random, "
           "numpy.lib.format, numpy.lib.npyio, simcore, simcore.api, simcore.worker, simcore.data\n"
           "simcore.data.digits()\n"
           "assert 'error' not in json.loads(simcore.worker.run_json('train', json.dumps("
           "{'depth': 4, 'width': 4, 'n': 40, 'epochs': 1})))")


def _data_files(wheel: zipfile.ZipFile) -> list[str]:
    """simcore's data files (the digits, the wheel's metadata), which the worker writes into its
    file system at start: everything in the wheel but its modules."""
    return [n for n in wheel.namelist() if not n.endswith((".pyc", ".py", "/"))]


_PACKAGED_WORKER = """\
const { loadPyodide } = await import("./pyodide/pyodide.mjs");
try {
  const py = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href, _makeSnapshot: true });
  py.runPython(%(imports)r);
  const M = py._module;
  const tableStart = M.wasmTable.length;
  const site = py.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
  for (const wheel of ["numpy", "simcore"]) {
    py.unpackArchive(await (await fetch("./wheels/" + wheel)).arrayBuffer(), "wheel", { extractDir: site });
  }
  py.runPython(%(warm_up)r);
  py.runPython("import gc; gc.collect()");
  // Each library Python opened has the handle dlopen gave it; Emscripten's loader wrote there
  // (from byte 8) that it is loaded, its memory address and size, its table index and size.
  const libs = [];
  const handles = [];
  for (const [key, dso] of Object.entries(M.LDSO.loadedLibsByHandle)) {
    const h = Number(key);
    if (!h) continue;
    handles.push([h, dso.name]);
    if (!M.HEAPU8[h + 8]) continue;
    libs.push({ name: dso.name, memoryBase: M.HEAPU32[(h + 12) >> 2],
                memorySize: M.HEAP32[(h + 16) >> 2], tableBase: M.HEAPU32[(h + 20) >> 2],
                tableSize: M.HEAP32[(h + 24) >> 2] });
  }
  libs.sort((a, b) => a.tableBase - b.tableBase);
  const meta = { libs, handles, tableStart, tableEnd: M.wasmTable.length, site };
  const snapshot = py.makeMemorySnapshot();
  await fetch("/save/meta", { method: "POST", body: JSON.stringify(meta) });
  await fetch("/save/snapshot", { method: "POST", body: snapshot });
} catch (err) {
  await fetch("/fail", { method: "POST", body: String(err && err.stack || err) });
}
"""


def _packaged_worker_js() -> bytes:
    return (_PACKAGED_WORKER % {"imports": "import " + ", ".join(PRELOAD), "warm_up": WARM_UP}).encode()


def packaged_key(dist: Path, numpy: Path, simcore: Path, flavour: str = "jspi") -> str:
    """The hash of everything that goes into the snapshot with numpy and simcore in it;
    ``flavour`` "nojspi" for WebKit's."""
    head = f"packaged snapshot format {FORMAT}\n" + ("" if flavour == "jspi" else f"flavour {flavour}\n")
    h = hashlib.sha256(head.encode() + _packaged_worker_js())
    _hash_files(h, dist, INPUTS)
    _hash_files(h, numpy.parent, (numpy.name,))
    _hash_files(h, simcore.parent, (simcore.name,))
    return h.hexdigest()


def pack(meta: dict, snapshot: bytes, libs: list[bytes], files: dict[str, bytes] | None = None) -> bytes:
    """The container (above) of Pyodide's ``snapshot``, the ``libs`` files named in ``meta`` and
    the data ``files`` (path under site-packages: bytes); the offsets in its header count from
    the end of the header."""
    files = files or {}
    bodies = [snapshot, *libs, *files.values()]
    parts, at = [], 0
    for body in bodies:
        parts.append([at, len(body)])
        at += -(-len(body) // 16) * 16
    n = 1 + len(libs)
    header = {**meta, "snapshot": parts[0],
              "libs": [{**lib, "part": part} for lib, part in zip(meta["libs"], parts[1:n])],
              "files": [{"path": path, "part": part} for path, part in zip(files, parts[n:])]}
    text = json.dumps(header, separators=(",", ":")).encode()
    head = PACKAGED + len(text).to_bytes(4, "little") + text
    out = bytearray(head + b"\0" * (-len(head) % 16))
    for body in bodies:
        out += body + b"\0" * (-len(body) % 16)
    return bytes(out)


def unpack(data: bytes) -> tuple[dict, bytes, list[bytes], dict[str, bytes]]:
    """The header, Pyodide's snapshot, the library files and the data files of a container made
    by :func:`pack`."""
    if data[:4] != PACKAGED:
        raise ValueError("not a snapshot with packages (no RSNP mark)")
    size = int.from_bytes(data[4:8], "little")
    header = json.loads(data[8:8 + size])
    base = 8 + size + (-(8 + size) % 16)
    part = lambda at_len: data[base + at_len[0]:base + at_len[0] + at_len[1]]  # noqa: E731
    return (header, part(header["snapshot"]), [part(lib["part"]) for lib in header["libs"]],
            {f["path"]: part(f["part"]) for f in header["files"]})


def make_packaged(dist: Path, numpy: Path, simcore: Path, browser=None, timeout: float = 120.0,
                  flavour: str = "jspi") -> Path | None:
    """The snapshot of ``dist`` with ``numpy``'s and ``simcore``'s wheels installed and imported
    and numpy's libraries beside it (the container above, gzip-compressed, cached), made in
    Chromium, or with ``flavour`` "nojspi" in WebKit (:func:`make_nojspi` says why); or None
    (with a note on stderr) when that browser is not available."""
    k = packaged_key(dist, numpy, simcore, flavour)[:24]
    tag = "" if flavour == "jspi" else f"{flavour}-"
    path = vendor_pyodide.cache_root() / "snapshots" / k / f"{PACKAGED_NAME}{tag}{k}.bin.gz"
    if path.exists():
        return path
    if flavour != "jspi":
        lacks = webkit.missing()
        if lacks:
            print(f"snapshot: WebKit's with numpy and simcore not made ({lacks} missing)", file=sys.stderr)
            return None
        browser = browser or _open_in_webkit
    browser = browser or headless.chromium()
    if browser is None:
        print("snapshot: no Chromium found: the site's runtime will install numpy and simcore at "
              "every start", file=sys.stderr)
        return None
    files = {"/": (_PAGE, "text/html"), "/worker.js": (_packaged_worker_js(), "text/javascript"),
             "/wheels/numpy": (numpy.read_bytes(), "application/zip"),
             "/wheels/simcore": (simcore.read_bytes(), "application/zip")}
    result = headless.collect(_serve(dist, files), browser, timeout, last=("/save/snapshot", "/fail"))
    if "/save/snapshot" not in result:
        raise RuntimeError("Pyodide could not make a snapshot with numpy and simcore: "
                           + result.get("/fail", b"").decode()[:500])
    meta = json.loads(result["/save/meta"])
    with zipfile.ZipFile(numpy) as wheel:
        libs = [wheel.read(lib["name"].split("/site-packages/", 1)[1]) for lib in meta["libs"]]
    with zipfile.ZipFile(simcore) as wheel:
        files = {name: wheel.read(name) for name in _data_files(wheel)}
    meta["simcore"] = hashlib.sha256(simcore.read_bytes()).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, gzip.compress(pack(meta, result["/save/snapshot"], libs, files), compresslevel=9, mtime=0))
    return path


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
