"""Build the pure-Python simcore wheel the browser loads, reproducibly.

    python scripts/build_wheel.py [OUT_DIR]

The wheel is written by hand (it is a zip of ``simcore/`` plus ``.dist-info``) with fixed
timestamps and sorted entries, so the same source always gives the same bytes and the same
sha256: the page is built with that hash and refuses any other wheel. No network and no build
backend are needed, so a docs build works offline.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simcore"
EPOCH = (1980, 1, 1, 0, 0, 0)


def version() -> str:
    text = (PACKAGE / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def source_files() -> list[Path]:
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and p.suffix in (".py", ".npz", ".txt")]
    return sorted(files, key=lambda p: p.relative_to(ROOT).as_posix())


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build(out_dir: Path) -> Path:
    """Write ``simcore-<version>-py3-none-any.whl`` into ``out_dir`` and return its path."""
    v = version()
    dist = f"simcore-{v}.dist-info"
    entries: list[tuple[str, bytes]] = [
        (p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in source_files()]
    entries += [
        (f"{dist}/METADATA", (f"Metadata-Version: 2.1\nName: simcore\nVersion: {v}\n"
                              "Summary: NumPy core that trains plain and residual networks\n"
                              "Requires-Python: >=3.11\nRequires-Dist: numpy>=1.24\n").encode()),
        (f"{dist}/WHEEL", b"Wheel-Version: 1.0\nGenerator: residual build_wheel\n"
                          b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist}/top_level.txt", b"simcore\n"),
    ]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{dist}/RECORD,,\n"
    entries.append((f"{dist}/RECORD", record.encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"simcore-{v}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist")
    print(out, sha256_of(out))
