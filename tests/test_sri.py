"""scripts/sri.py: the integrity hashes of the Pyodide runtime, and what a cdn build does when
it cannot know them."""

import base64
import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import sri  # noqa: E402

UNREACHABLE = "http://127.0.0.1:9/pyodide/"  # the discard port: nothing listens


def test_integrity_is_the_sri_sha384_of_the_bytes():
    data = b"console.log(1)"
    assert sri.integrity(data) == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    assert sri.integrity(data) != sri.integrity(data + b" ")


def _release(folder: Path) -> Path:
    for name in sri.FILES:
        (folder / name).write_bytes(name.encode() * 3)
    return folder


def test_of_folder_hashes_every_runtime_file_and_the_lock_the_site_serves(tmp_path):
    folder = _release(tmp_path)
    got = sri.of_folder(folder)
    assert set(got) == set(sri.FILES)
    assert got["pyodide.asm.wasm"] == sri.integrity(b"pyodide.asm.wasm" * 3)
    served = sri.of_folder(folder, lock_text='{"packages": {}}')
    assert served["pyodide-lock.json"] == sri.integrity(b'{"packages": {}}')


def test_cdn_hashes_from_a_release_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PYODIDE_SRI_SOURCE", str(_release(tmp_path)))
    monkeypatch.setenv("PYODIDE_SRI", "require")
    assert sri.for_cdn("0.27.7", UNREACHABLE, tmp_path / "cache") == sri.of_folder(tmp_path)


def test_cdn_unreachable_auto_builds_without_hashes_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PYODIDE_SRI_SOURCE", raising=False)
    monkeypatch.delenv("PYODIDE_SRI", raising=False)
    assert sri.for_cdn("0.27.7", UNREACHABLE, tmp_path) == {}
    assert "no integrity hashes" in capsys.readouterr().err


def test_cdn_unreachable_require_fails_the_build(tmp_path, monkeypatch):
    monkeypatch.delenv("PYODIDE_SRI_SOURCE", raising=False)
    monkeypatch.setenv("PYODIDE_SRI", "require")
    with pytest.raises(RuntimeError, match="PYODIDE_SRI=require"):
        sri.for_cdn("0.27.7", UNREACHABLE, tmp_path)


def test_cdn_download_is_cached_and_hashed(tmp_path, monkeypatch):
    """Served over HTTP once, hashed, and read from the cache afterwards (the server gone)."""
    import functools
    import http.server
    import threading

    (tmp_path / "release").mkdir()
    release = _release(tmp_path / "release")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(release))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    monkeypatch.delenv("PYODIDE_SRI_SOURCE", raising=False)
    monkeypatch.setenv("PYODIDE_SRI", "require")
    try:
        first = sri.for_cdn("0.27.7", url, tmp_path / "cache")
    finally:
        server.shutdown()
    assert first == sri.of_folder(release)
    assert sri.for_cdn("0.27.7", url, tmp_path / "cache") == first  # from the cache


def test_policy_is_validated(tmp_path, monkeypatch):
    monkeypatch.setenv("PYODIDE_SRI", "sometimes")
    with pytest.raises(ValueError, match="PYODIDE_SRI: 'sometimes'"):
        sri.for_cdn("0.27.7", UNREACHABLE, tmp_path)
    monkeypatch.setenv("PYODIDE_SRI", "off")
    assert sri.for_cdn("0.27.7", UNREACHABLE, tmp_path) == {}
