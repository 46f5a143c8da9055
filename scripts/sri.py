"""Subresource Integrity for the Pyodide runtime the worker loads.

The worker fetches Pyodide's five runtime files (``pyodide.mjs``, ``pyodide.asm.js``,
``pyodide.asm.wasm``, ``python_stdlib.zip``, ``pyodide-lock.json``) with the SRI hashes this
module computes at build time, so a runtime that differs by one byte from the one the site was
built against is refused. The packages (numpy, and simcore in ``self`` mode) are covered by the
lock file: Pyodide fetches each with the sha256 the lock gives it as its integrity.

Where the hashes come from:

* ``self`` mode: the site's own copy (always known).
* ``cdn`` mode: the files of the pinned version downloaded once from the CDN at build time
  (cached in ``~/.cache/residual/pyodide-cdn/<version>/``), or an official release folder named
  by ``PYODIDE_SRI_SOURCE``. ``PYODIDE_SRI`` says what to do when neither is available:
  ``auto`` (the default) builds without runtime hashes and says so; ``require`` (the Pages
  workflow) fails the build; ``off`` never computes them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import urllib.request
from pathlib import Path

FILES = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
POLICIES = ("auto", "require", "off")


def integrity(data: bytes) -> str:
    """The SRI string of ``data``: ``sha384-`` and the base64 of its SHA-384 digest."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def of_folder(folder: Path, lock_text: str | None = None) -> dict[str, str]:
    """The integrity of each runtime file in ``folder`` (``lock_text``, when given, stands for
    the folder's lock file: the one the site will serve)."""
    out = {name: integrity((folder / name).read_bytes()) for name in FILES if name != "pyodide-lock.json"}
    lock = lock_text.encode("utf-8") if lock_text is not None else (folder / "pyodide-lock.json").read_bytes()
    out["pyodide-lock.json"] = integrity(lock)
    return out


def _download(index_url: str, dest: Path, timeout: float = 60.0) -> Path:
    """The runtime files of ``index_url`` in ``dest`` (downloaded once; a complete folder is
    reused)."""
    if all((dest / name).exists() for name in FILES):
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        with urllib.request.urlopen(index_url + name, timeout=timeout) as r:
            data = r.read()
        tmp = dest / (name + ".part")
        tmp.write_bytes(data)
        tmp.replace(dest / name)
    return dest


def _cdn_folder(version: str, cache: Path) -> tuple[Path, bool]:
    """Where :func:`for_cdn` reads the pinned CDN runtime: the release folder named by
    ``PYODIDE_SRI_SOURCE`` (True), or the folder it downloads the CDN's files into (False)."""
    source = os.environ.get("PYODIDE_SRI_SOURCE")
    return (Path(source), True) if source else (cache / "pyodide-cdn" / version, False)


def cdn_source(version: str, cache: Path) -> Path | None:
    """The folder :func:`for_cdn` hashed the pinned CDN runtime from, or None when it has none."""
    folder, _ = _cdn_folder(version, cache)
    return folder if all((folder / name).is_file() for name in FILES) else None


def for_cdn(version: str, index_url: str, cache: Path) -> dict[str, str]:
    """The hashes of the pinned CDN runtime, or ``{}`` when they cannot be known (see the module
    docstring for ``PYODIDE_SRI`` and ``PYODIDE_SRI_SOURCE``)."""
    policy = os.environ.get("PYODIDE_SRI", "auto") or "auto"
    if policy not in POLICIES:
        raise ValueError(f"PYODIDE_SRI: {policy!r} is not one of {', '.join(POLICIES)}")
    if policy == "off":
        return {}
    folder, given = _cdn_folder(version, cache)
    try:
        return of_folder(folder if given else _download(index_url, folder))
    except (OSError, ValueError) as exc:
        if policy == "require":
            raise RuntimeError(f"PYODIDE_SRI=require: the Pyodide {version} runtime files could not be "
                               f"read to hash them ({exc})") from exc
        print(f"sri: no integrity hashes for the Pyodide {version} runtime ({exc}); the CDN files "
              f"load unchecked (set PYODIDE_SRI_SOURCE to an official release folder, or build "
              f"with network)", file=sys.stderr)
        return {}
