"""Browser tests: the site built in `self` mode, served on 127.0.0.1, driven in Debian's
Chromium by Playwright. scripts/test installs Chromium (apt-get) when it is missing."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".whl": "application/octet-stream"}

    def log_message(self, *args):
        pass


def _build_self_site(out: Path) -> None:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    # SITE_URL as `bash scripts/serve` has it (test_pages rewrites the sitemap from it)
    env = {**os.environ, "PYODIDE_MODE": "self", "NO_MKDOCS_2_WARNING": "1",
           "SITE_URL": "http://127.0.0.1:8000/"}
    run = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (out / "assets" / "pyodide" / "pyodide.asm.wasm").exists()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site built in self mode, once per test run: under pytest-xdist the first worker to
    get here builds it into the run's shared temporary folder, the others wait and reuse it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        out = tmp_path_factory.mktemp("site-self")
        _build_self_site(out)
        return out
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent
    out, done = shared / "site-self", shared / "site-self.built"
    with open(shared / "site-self.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _build_self_site(out)
            done.touch()
    return out


class SiteServer(http.server.ThreadingHTTPServer):
    """A browser closing its end of a download (a page left, a browser closed) is no error."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serve(directory, handler=_Quiet, server_class=SiteServer):
    """Serve ``directory`` on 127.0.0.1 (a free port) from a daemon thread; ``.url`` is its
    address, ``.shutdown()`` stops it. The browser tests and the benchmarks all serve so."""
    server = server_class(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


@pytest.fixture(scope="session")
def base_url(site) -> str:
    server = serve(site)
    yield server.url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash scripts/test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class PageProbe:
    """A page plus everything that went wrong on it: console errors, failed requests."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}"))

    def assert_clean(self):
        assert self.console_errors == [], self.console_errors
        assert self.failed == [], self.failed


@pytest.fixture
def probe(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield PageProbe(page)
    context.close()
