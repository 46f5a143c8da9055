"""Subresource Integrity for the runtime: the page carries the SRI hash of each Pyodide runtime
file (scripts/sri.py), the worker loads them under those hashes, and a file that differs by one
byte is refused with a clear sentence and Retry (which recovers once the file is right)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from sim_page import wait_done

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import sri  # noqa: E402

ROOT = '[data-sim="identity"]'
URL = "/lab/identity/#identity?identity_blocks=1&width=8"


def test_every_page_pins_the_runtime_it_serves(site):
    want = sri.of_folder(site / "assets" / "pyodide")
    assert set(want) == set(sri.FILES)
    pages = list(site.rglob("*.html"))
    for html in pages:
        m = re.search(r'<script id="sim-config"[^>]*>(.*?)</script>', html.read_text(), re.S)
        if m:
            assert json.loads(m.group(1))["integrity"] == want, html


# one of each path: a script checked by the worker itself (pyodide.mjs goes the same way), a
# file Pyodide fetches under the pinned integrity (so do python_stdlib.zip and the lock file),
# and a package pinned by the lock file
@pytest.mark.parametrize("name", ["pyodide.asm.js", "pyodide.asm.wasm", "numpy-*.whl"])
def test_a_changed_runtime_file_is_refused_and_retry_recovers(probe, base_url, name, tally):
    page = probe.page
    pattern = f"**/assets/pyodide/{name}"
    served = {"changed": 0}

    def tamper(route):
        if route.request.method != "GET":
            return route.continue_()
        response = route.fetch()
        body = response.body()
        served["changed"] += 1
        # one byte more: the same file to any check but its hash (JSON stays valid)
        route.fulfill(response=response, body=body + (b"\n" if name.endswith((".js", ".mjs", ".json")) else b"\0"))

    page.route(pattern, tamper)
    if name.startswith("numpy"):
        # numpy's wheel is what the runtime installs when it starts without the snapshot that
        # holds numpy and simcore: that snapshot is missing here
        page.route("**/assets/pyodide/snapshot-packaged-*", lambda route: route.fulfill(status=404, body=b""))
    page.goto(base_url + URL)
    page.wait_for_selector(f"{ROOT} form")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    status = page.inner_text(f"{ROOT} .sim-status")
    assert served["changed"] >= 1
    if name.startswith("numpy"):  # a package: pinned by the lock file's sha256
        assert status.startswith("The simulation could not run here: numpy could not be loaded"), status
    else:
        assert f"Pyodide's {name}" in status and "integrity check failed" in status, status
    assert page.is_visible(f"{ROOT} [data-action=retry]")
    assert page.input_value(f"{ROOT} [name=identity_blocks]") == "1"  # the settings stay
    tally.count("Faults", "runtime files altered by one byte (refused)")
    page.unroute(pattern)
    page.click(f"{ROOT} [data-action=retry]")
    wait_done(page, ROOT)
    tally.count("Faults", "recovered with Retry")
    # (the console has the browser's and Pyodide's own reports)
    assert [f for f in probe.failed if "snapshot-packaged-" not in f] == []
