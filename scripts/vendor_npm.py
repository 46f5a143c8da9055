"""Front-end files the site serves itself, fetched once from the npm registry and cached.

    python scripts/vendor_npm.py katex      # fetch (if not cached) and print the folder

The site must work with no internet at read time (offline classrooms, the tests), so nothing is
loaded from a CDN: KaTeX (maths) is copied into the built site by ``scripts/hooks.py``, Pyodide's
runtime files by ``scripts/vendor_pyodide.py`` in self-hosted mode, and axe-core (the
accessibility audit) is injected by the browser tests. Each package is pinned
here by version and by the registry's sha512 integrity of its tarball; a tarball whose hash
differs is refused. The unpacked package is cached in ``~/.cache/residual/npm/<name>-<version>``
(override with ``RESIDUAL_CACHE``), so rebuilds fetch nothing. Only Python's standard library
is used: no Node.js is needed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
PACKAGES = {
    "katex": ("0.16.22", "sha512-XCHRdUw4lf3SKBaJe4EvgqIuWwkPSo9XoeO8GjQW94Bp7TWv9hNhzZjZ+OH9yf1UmLygb7DIT5GSFQiyt16zYg=="),
    # Pyodide's runtime files (self-hosted mode); its lock file pins numpy's wheel by sha256
    "pyodide": ("0.27.7", "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="),
    "axe-core": ("4.14.1", "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="),
}


def cache_root() -> Path:
    return Path(os.environ.get("RESIDUAL_CACHE", Path.home() / ".cache" / "residual")) / "npm"


def fetch(name: str) -> Path:
    """The unpacked ``package/`` folder of the pinned ``name``, fetched on first use."""
    version, integrity = PACKAGES[name]
    target = cache_root() / f"{name}-{version}"
    if (target / "package.json").exists():
        return target
    url = f"{REGISTRY}/{name}/-/{name.split('/')[-1]}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    algo, want = integrity.split("-", 1)
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise RuntimeError(f"{name} {version}: tarball integrity {algo}-{got} != pinned {integrity}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(tmp, filter="data")
    shutil.rmtree(target, ignore_errors=True)
    (tmp / "package").rename(target)
    shutil.rmtree(tmp, ignore_errors=True)
    return target


def copy_katex(dest: Path) -> None:
    """KaTeX's script, stylesheet, auto-render and its woff2 fonts (every browser the site
    supports takes woff2, so the woff/ttf fallbacks are left out) into ``dest``."""
    dist = fetch("katex") / "dist"
    (dest / "fonts").mkdir(parents=True, exist_ok=True)
    for f in ("katex.min.js", "katex.min.css"):
        shutil.copy2(dist / f, dest / f)
    shutil.copy2(dist / "contrib" / "auto-render.min.js", dest / "auto-render.min.js")
    for font in (dist / "fonts").glob("*.woff2"):
        shutil.copy2(font, dest / "fonts" / font.name)
    (dest / "LICENSE").write_text((fetch("katex") / "LICENSE").read_text())


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["katex"]:
        print(fetch(arg))
