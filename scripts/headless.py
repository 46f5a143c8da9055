"""Run a page in a headless browser at build time and collect what it posts back.

The build uses a browser twice: to make Pyodide's memory snapshot (``scripts/snapshot.py``) and
to draw every simulation's static figure with the widget's own JavaScript (``scripts/render.py``).
Both serve a few files from 127.0.0.1, open a page that does the work, and wait for the page to
POST its answer. Debian's Chromium by default (``$CHROMIUM`` to choose another); WebKitGTK for
the snapshot of engines without JSPI.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Callable

TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".zip": "application/zip", ".json": "application/json", ".html": "text/html"}

# resolve(path) -> (body, content type), or None for a 404
Resolve = Callable[[str], "tuple[bytes, str] | None"]


def chromium() -> str | None:
    """The Chromium to use: ``$CHROMIUM``, else Debian's, else one on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser",
                      "google-chrome"):
        if candidate and (Path(candidate).is_file() or shutil.which(candidate)):
            return candidate
    return None


def open_in_chromium(browser: str):
    """A function that opens a URL in headless Chromium and returns a function that closes it."""
    def open_page(url: str):
        profile = tempfile.mkdtemp(prefix="headless-chromium-")
        args = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
                f"--user-data-dir={profile}", url]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def close() -> None:
            proc.kill()
            proc.wait()
            shutil.rmtree(profile, ignore_errors=True)
        return close
    return open_page


def file_type(path: str) -> str:
    return TYPES.get(Path(path).suffix, "application/octet-stream")


def collect(resolve: Resolve, browser, timeout: float, last: tuple[str, ...]) -> dict[str, bytes]:
    """Serve ``resolve``'s files on 127.0.0.1, open ``/`` in ``browser`` (a Chromium binary, or a
    function that opens a URL and returns a function that closes it) and return the bodies the
    page POSTs, by path, once it has posted one of the paths in ``last`` (or raise on timeout)."""
    result: dict[str, bytes] = {}
    got = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            found = resolve(self.path.split("?")[0])
            if found is None:
                self.send_error(404)
                return
            body, ctype = found
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            result[self.path] = body
            self.send_response(204)
            self.end_headers()
            if self.path in last:
                got.set()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    open_page = open_in_chromium(browser) if isinstance(browser, str) else browser
    close = None
    try:
        close = open_page(f"http://127.0.0.1:{server.server_address[1]}/")
        if not got.wait(timeout):
            raise RuntimeError(f"no answer from {browser} within {timeout:.0f} s")
    finally:
        if close:
            close()
        server.shutdown()
    return result
