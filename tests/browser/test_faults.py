"""Faults, injected for real into the trainer widget (issue 12): the runtime's download cut off
mid-stream by the server, the simcore wheel altered in flight, the worker dying mid-run, a run
that diverges, the tab hidden and shown again mid-run. Each ends in a clear state (one sentence
in the status line; Retry where the runtime failed), the reader's settings stay, and once the
fault is gone the next run works and shows native simcore's numbers. (Python raising inside a
simulation: tests/browser/test_identity_widget.py; runtime files altered by one byte:
tests/browser/test_integrity.py.)"""

from __future__ import annotations

import json
import math
import re
import socket
from urllib.parse import urlencode

import pytest
from conftest import SiteServer, _Quiet, serve
from sim_page import assert_equal_numbers, shown_numbers, wait_done, widget_config
from test_trainer import KINDS, SHOWN, assert_finals, native_finals

from simcore import api

ROOT = '[data-sim="trainer"]'
STATUS = f"{ROOT} .sim-status"
SIM_WORKER = "/javascripts/sim/worker.js"
# the reader's own settings, not the defaults: they must survive every fault
SETTINGS = {"epochs": "3", "seed": "3"}


def open_trainer(page, base: str, settings: dict = SETTINGS):
    page.goto(f"{base}/trainer/#trainer?" + urlencode(settings))
    page.wait_for_selector(f"{ROOT} form")
    assert_settings_kept(page, settings)


def assert_settings_kept(page, settings: dict):
    for field, value in settings.items():
        control = f"{ROOT} [name={field}]"
        if value in ("true", "false"):
            assert page.is_checked(control) == (value == "true"), field
        else:
            assert page.input_value(control) == value, field


def config_of(page, settings: dict = SETTINGS) -> dict:
    cfg = widget_config(page, ROOT)
    typed = {k: v == "true" if isinstance(cfg[k], bool) else type(cfg[k])(v) for k, v in settings.items()}
    return {**cfg, **typed}


def assert_clear_error(page, *fragments: str, settings: dict = SETTINGS) -> str:
    """data-state error, one sentence naming the fault, Retry shown, the settings kept."""
    page.wait_for_selector(f'{ROOT}[data-state="error"]')
    status = page.inner_text(STATUS)
    assert status.startswith("The simulation could not run here: "), status
    for fragment in fragments:
        assert fragment in status, (fragment, status)
    assert "Traceback" not in status and "undefined" not in status, status
    assert page.is_visible(f"{ROOT} [data-action=retry]")
    assert page.is_enabled(f"{ROOT} [data-action=run]")
    assert_settings_kept(page, settings)
    return status


def assert_next_run_works(page, tally, settings: dict = SETTINGS, button: str = "retry"):
    page.click(f"{ROOT} [data-action={button}]")
    wait_done(page, ROOT)
    assert page.inner_text(STATUS) == f"Done: {settings['epochs']} epochs each."
    assert_finals(shown_numbers(page, ROOT), native_finals(config_of(page, settings)))
    assert not page.is_visible(f"{ROOT} [data-action=retry]")
    tally.count("Faults", f"recovered: the next run ({button.capitalize()}) equals native simcore")


def sim_worker(page):
    workers = [w for w in page.workers if w.url.endswith(SIM_WORKER)]
    assert len(workers) == 1, [w.url for w in page.workers]
    return workers[0]


# --- a. the runtime's download cut off by the server ------------------------------------------

class _Cutting(_Quiet):
    """Serves the site as conftest's server does; a GET of a file named in ``cut`` sends the real headers (full
    Content-Length) and the first ``cut[name]`` bytes, then drops the connection."""

    cut: dict[str, int] = {}
    served: dict[str, int] = {}

    def do_GET(self):
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        if name not in self.cut:
            return super().do_GET()
        path = self.translate_path(self.path)
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:self.cut[name]])
        self.wfile.flush()
        self.served[name] = self.served.get(name, 0) + 1
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)  # mid-stream: no more bytes, ever


class _Server(SiteServer):
    def handle_error(self, request, client_address):
        pass  # a browser closing its end of a cut (or abandoned) download is expected here


@pytest.fixture(scope="module")
def cutting_url(site):
    server = serve(site, _Cutting, _Server)
    yield server.url
    server.shutdown()


@pytest.mark.parametrize("name", ["pyodide.asm.wasm", "python_stdlib.zip"])
def test_runtime_download_cut_mid_stream(probe, cutting_url, site, name, tally):
    page = probe.page
    size = (site / "assets" / "pyodide" / name).stat().st_size
    _Cutting.cut, _Cutting.served = {name: size // 3}, {}
    try:
        open_trainer(page, cutting_url)
        page.click(f"{ROOT} [data-action=run]")
        assert_clear_error(page, f"Pyodide's {name} stopped downloading part-way", "(the connection dropped).",
                           "The figure below was computed when the site was built.")
        assert _Cutting.served.get(name, 0) >= 1
        tally.count("Faults", "runtime downloads cut off mid-stream by the server")
        tally.note(f"{name}: the server sent {size // 3:,} of {size:,} bytes and dropped the connection")
    finally:
        _Cutting.cut = {}
    assert_next_run_works(page, tally)


# --- b. the simcore wheel does not match the page's hash ---------------------------------------

def test_simcore_wheel_hash_mismatch(probe, base_url, tally):
    page = probe.page
    altered = {"n": 0}

    def tamper(route):
        response = route.fetch()
        body = bytearray(response.body())
        body[len(body) // 2] ^= 0xFF  # one byte flipped in flight: same size, another hash
        altered["n"] += 1
        route.fulfill(response=response, body=bytes(body))

    page.route("**/assets/pyodide/simcore-*.whl", tamper)
    # the wheel is what the runtime installs when it starts without the snapshot that holds
    # numpy and simcore: that snapshot is missing here
    page.route("**/assets/pyodide/snapshot-packaged-*", lambda route: route.fulfill(status=404, body=b""))
    open_trainer(page, base_url)
    page.click(f"{ROOT} [data-action=run]")
    wheel = re.escape("simcore-") + r"[^ ]+\.whl"
    status = assert_clear_error(page, "simcore could not be loaded (",
                                "is not the file this site was built with: its sha256 does not match the lock file's")
    assert re.search(wheel, status), status
    assert altered["n"] >= 1
    tally.count("Faults", "simcore wheels altered in flight (sha256 mismatch, refused)")
    page.unroute("**/assets/pyodide/simcore-*.whl")
    assert_next_run_works(page, tally)


def test_a_page_that_expects_another_simcore_says_reload(probe, base_url, tally):
    """A page cached from another build (it expects another simcore version than the wheel the
    server has, whose hash it does match here) tells the reader to reload, in one sentence."""
    page = probe.page

    def older_page(route):
        response = route.fetch()
        text = response.text()
        cfg = re.search(r'<script id="sim-config"[^>]*>(.*?)</script>', text, re.S).group(1)
        want = json.loads(cfg)["simcoreVersion"]
        route.fulfill(response=response, body=text.replace(cfg, cfg.replace(
            f'"simcoreVersion": "{want}"', '"simcoreVersion": "9.9.9"')))
        served["version"] = want

    served = {}
    page.route("**/trainer/", older_page)
    open_trainer(page, base_url)
    page.click(f"{ROOT} [data-action=run]")
    assert_clear_error(page, f"simcore {served['version']} loaded, but this page expects 9.9.9; reload the page.")
    tally.count("Faults", "pages from another build (simcore version mismatch, said so)")


# --- c. the worker dies mid-run ---------------------------------------------------------------

# A fatal error of the runtime itself: Python calls abort() (a WebAssembly abort, after which
# Pyodide can no longer be used) in the middle of a training stream, on its fifth request.
LOAD = 'const glue = pyodide.pyimport("simcore.worker");'  # where worker.js loads simcore.worker
ABORT = ("\nimport simcore.worker as _w\n"
         "_real_next = _w.stream_next\n"
         "_asked = [0]\n"
         "def _next(sid, max_epochs, budget_s):\n"
         "    _asked[0] += 1\n"
         "    if _asked[0] == 12:\n"
         "        import os\n"
         "        os.abort()\n"
         "    return _real_next(sid, max_epochs, budget_s)\n"
         "_w.stream_next = _next\n")

CRASHES = {
    # the worker closes itself: no error, no message, it is just gone
    "closed": ("self.close()", "The simulation runtime stopped unexpectedly (its worker ended)."),
    # the same while the reader has paused the run: no call is waiting, the run is told anyway
    "closed while paused": ("self.close()", "The simulation runtime stopped unexpectedly (its worker ended)."),
    # an exception nobody catches, outside any call
    "uncaught error": ("setTimeout(() => { throw new Error('injected crash'); })",
                       "The simulation runtime crashed (Uncaught Error: injected crash)."),
    "wasm abort": (None, "The Python runtime crashed (Aborted())."),
}


@pytest.mark.parametrize("how", list(CRASHES))
def test_worker_crash_mid_run(probe, base_url, how, tally):
    page = probe.page
    script, message = CRASHES[how]
    settings = {"epochs": "150", "seed": "3"}
    if how == "wasm abort":
        def patch(route):
            response = route.fetch()
            text = response.text()
            assert LOAD in text
            route.fulfill(response=response, body=text.replace(LOAD, f"pyodide.runPython({ABORT!r}); {LOAD}"))
        page.route(f"**{SIM_WORKER}", patch)
    open_trainer(page, base_url, settings)
    page.click(f"{ROOT} [data-action=run]")
    # mid-run: live epochs drawn, the stream still going
    page.wait_for_function(f"() => Number(document.querySelector('{ROOT}').dataset.records) >= 4"
                           f" || document.querySelector('{ROOT}').dataset.state === 'error'")
    if script:
        assert page.get_attribute(ROOT, "data-state") == "running"
        if how.endswith("paused"):
            page.click(f"{ROOT} [data-action=pause]")
            assert page.inner_text(STATUS) == "Paused."
            page.wait_for_timeout(500)  # the epochs already asked for arrive; then nothing is asked
            paused_at = page.get_attribute(ROOT, "data-records")
            page.wait_for_timeout(500)
            assert page.get_attribute(ROOT, "data-records") == paused_at  # no call in flight
        sim_worker(page).evaluate(script)
    status = assert_clear_error(page, message, "The figure shows what was computed before it stopped.", settings=settings)
    assert re.fullmatch(r"The simulation could not run here: The (simulation|Python) runtime .+\)\. The figure shows "
                        r"what was computed before it stopped\.", status), status
    records = page.get_attribute(ROOT, "data-records")
    assert 0 < int(records) < 2 * 151
    page.wait_for_timeout(500)
    assert page.get_attribute(ROOT, "data-records") == records  # nothing arrives any more
    tally.count("Faults", "worker crashes mid-run (detected; the next run starts a fresh worker)")
    tally.note(f"{how}: {status.removeprefix('The simulation could not run here: ')}")
    if how == "wasm abort":
        page.unroute(f"**{SIM_WORKER}")
    short = {"epochs": "3", "seed": "3"}
    page.fill(f"{ROOT} [name=epochs]", short["epochs"])
    assert_next_run_works(page, tally, short, button="run" if how.startswith("closed") else "retry")


# --- e. a run that diverges -------------------------------------------------------------------

def test_divergence_says_so_and_the_next_run_works(probe, base_url, tally):
    page = probe.page
    settings = {"lr": "10", "norm": "false", "epochs": "5"}  # the residual loss becomes NaN
    open_trainer(page, base_url, settings)
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page, ROOT)
    cfg = config_of(page, settings)
    native = {k: api.train({**cfg, "kind": k})["final"] for k in KINDS}
    assert all(native[k]["status"] == "diverged" for k in KINDS)  # simcore's own verdict
    assert native["residual"]["train_loss"] is None  # NaN: JSON has none, simcore says None
    status = page.inner_text(STATUS)
    assert status == (f"Diverged: the plain network at epoch {native['plain']['epoch']} and the residual network at "
                      f"epoch {native['residual']['epoch']} (the loss became NaN or grew without bound, so training "
                      "stopped there); "
                      "try a smaller learning rate."), status
    assert_equal_numbers(shown_numbers(page, ROOT), {f"{k}.{key}": native[k][key] for k in KINDS for key in SHOWN})
    assert page.inner_text(f'{ROOT} tr[data-kind="residual"] [data-key="train_loss"]') == "—"  # not "NaN"
    for k in KINDS:
        assert page.inner_text(f'{ROOT} tr[data-kind="{k}"] [data-key="status"]') == "diverged"
    # the charts hold no NaN or infinite coordinates, and the lines stay inside their frames
    marks = page.eval_on_selector_all(f"{ROOT} svg.sim-chart path, {ROOT} svg.sim-chart rect, {ROOT} svg.sim-chart circle",
                                      "(els) => els.map((e) => [...e.attributes].map((a) => a.value).join(' '))")
    assert marks and not any(re.search(r"NaN|Infinity|undefined", m) for m in marks)
    for d in page.eval_on_selector_all(f"{ROOT} svg.sim-chart path.sim-line", "(ps) => ps.map((p) => p.getAttribute('d'))"):
        ys = [float(y) for y in re.findall(r"[ML][-\d.]+,([-\d.]+)", d)]
        assert ys and all(math.isfinite(y) and 0 <= y <= 220 for y in ys), d  # charts.H
    assert_settings_kept(page, settings)
    tally.count("Faults", "runs diverged (said so; no NaN drawn)")
    page.fill(f"{ROOT} [name=lr]", "0.05")
    page.check(f"{ROOT} [name=norm]")
    assert_next_run_works(page, tally, {**settings, "lr": "0.05", "norm": "true"}, button="run")
    probe.assert_clean()


# --- f. the tab hidden and shown again mid-run ------------------------------------------------

# Headless Chromium driven by Playwright keeps a page visible (Playwright's focus emulation;
# Page.setWebLifecycleState "frozen" is then a no-op): the page is hidden the way its code sees
# it, document.hidden and visibilityState say "hidden" and visibilitychange fires, then shown.
VISIBILITY = """(state) => {
    for (const [name, value] of [['visibilityState', state], ['hidden', state === 'hidden']])
        Object.defineProperty(document, name, {configurable: true, get: () => value});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def test_tab_hidden_and_shown_mid_run(probe, base_url, tally):
    page = probe.page
    settings = {"epochs": "30", "seed": "3"}
    open_trainer(page, base_url, settings)
    page.evaluate("() => { window.seen = []; document.addEventListener('visibilitychange', () => seen.push(document.visibilityState)); }")
    page.click(f"{ROOT} [data-action=run]")
    page.wait_for_function(f"() => Number(document.querySelector('{ROOT}').dataset.records) >= 4")
    assert page.get_attribute(ROOT, "data-state") == "running"
    page.evaluate(VISIBILITY, "hidden")
    page.wait_for_timeout(2000)
    page.evaluate(VISIBILITY, "visible")
    assert page.evaluate("seen") == ["hidden", "visible"]
    wait_done(page, ROOT)
    cfg = config_of(page, settings)
    assert_finals(shown_numbers(page, ROOT), native_finals(cfg))
    # every epoch of both networks drawn once: nothing lost, nothing twice
    assert page.get_attribute(ROOT, "data-records") == str(2 * (cfg["epochs"] + 1))
    for d in page.eval_on_selector_all(f"{ROOT} svg.sim-chart path.sim-line", "(ps) => ps.map((p) => p.getAttribute('d'))"):
        assert len(re.findall(r"[ML]", d)) == cfg["epochs"] + 1, d
    tally.count("Faults", "tab hidden and shown mid-run (run finished equal to native)")
    probe.assert_clean()
