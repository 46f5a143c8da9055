"""The simulations in Firefox and WebKit, offline, as in Chromium: default runs equal native
simcore bit for bit, from the build's memory snapshot, with no error on the page; a bad value in
a shared link shows its message.

The engines are driven by tests/engines.py (Firefox over WebDriver BiDi, WebKitGTK through
WebKitWebDriver); `bash scripts/test` installs them, `bash scripts/test -m engines` runs these
tests alone.
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import _Quiet, serve
from simcore import api
from sim_page import SHOWN_NUMBERS

import engines
import test_identity_widget
import test_init_widget
import test_playground
import test_trainer

pytestmark = [pytest.mark.engines,
              pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning")]

# page, widget root, native numbers of the widget's defaults (keyed as sim_page.shown_numbers)
WIDGETS = {
    "trainer": ("/trainer/", test_trainer.ROOT,
                lambda cfg: {f"{k}.{key}": v[key] for k, v in test_trainer.native_finals(cfg).items()
                             for key in test_trainer.SHOWN}),
    "identity": ("/lab/identity/", test_identity_widget.ROOT, test_identity_widget.native_numbers),
    "init": ("/lab/init/", test_init_widget.ROOT, test_init_widget.native_numbers),
    "playground": ("/lab/playground/", test_playground.ROOT, test_playground.native_numbers),
}



class _Probed(_Quiet):
    """The site as the other browser tests serve it, with the error probe first in every page."""

    def do_GET(self):
        if self.path == engines.PROBE_PATH:
            return self._send(engines.PROBE, "text/javascript")
        path = self.translate_path(self.path.split("#")[0])
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if path.endswith(".html") and os.path.isfile(path):
            with open(path, "rb") as f:
                return self._send(engines.inject_probe(f.read()), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def probed_url(site):
    server = serve(site, _Probed)
    yield server.url
    server.shutdown()


@pytest.fixture(scope="module", params=sorted(engines.ENGINES))
def engine(request):
    lacks = engines.missing(request.param)
    if lacks:
        pytest.fail(f"{request.param}: {lacks} missing; run `bash scripts/test`, which installs them")
    e = engines.ENGINES[request.param]()
    yield e
    e.close()


def page_errors(engine) -> list[str]:
    errors = engine.errors()
    if isinstance(engine, engines.Firefox):
        errors += [f"firefox log: {t}" for t in engine.console_errors()]
    return errors


def mounted(root: str) -> str:
    return f"document.querySelector({json.dumps(root + ' form.sim-controls [data-action=run]')}) !== null"


# the training losses the page plotted, per network and epoch (charts.js keeps each chart's rows)
PLOTTED_LOSSES = """(root) => [...document.querySelectorAll(root + ' svg.sim-chart')]
  .filter((svg) => /loss/i.test(svg.querySelector('.sim-chart-title')?.textContent || ''))
  .flatMap((svg) => (svg.plotted || []).map(([series, x, y]) => [series, x, y]))"""


def first_difference(engine, root: str, kind: str, cfg: dict) -> str:
    """For a failure message: the first epoch at which a training widget's plotted loss left
    native simcore's (a rare engine difference is easier to chase knowing where it began)."""
    if kind not in ("trainer", "playground"):
        return "n/a"
    histories = ({k: api.train({**cfg, "kind": k})["history"] for k in ("plain", "residual")}
                 if kind == "trainer" else test_playground.native(cfg))
    for series, epoch, loss in engine.evaluate(f"({PLOTTED_LOSSES})({json.dumps(root)})"):
        native = {r["epoch"]: r for r in histories[series]}[epoch]["train_loss"]
        if loss != native:
            return f"{series}, epoch {epoch}: page {loss!r}, native {native!r}"
    return "none in the plotted losses"


@pytest.mark.parametrize("kind", WIDGETS)
def test_default_run_equals_native_simcore_bit_for_bit(engine, probed_url, kind, tally):
    url, root, native = WIDGETS[kind]
    engine.goto(probed_url + url)
    engine.wait_for(mounted(root), 60)
    engine.click(f"{root} [data-action=run]")
    state = engine.wait_for(f"(s => ['done', 'error'].includes(s) && s)(document.querySelector({json.dumps(root)}).dataset.state)", 240)
    status = engine.evaluate(f"document.querySelector({json.dumps(root + ' .sim-status')}).innerText")
    assert state == "done", f"{engine.name}: {status}"
    cfg = engine.evaluate(f"JSON.parse(document.querySelector({json.dumps(root)}).dataset.config)")
    shown = {k: v["value"] for k, v in engine.evaluate(f"({SHOWN_NUMBERS})({json.dumps(root)})").items()}
    want = native(cfg)
    assert set(shown) == set(want)
    assert shown == want, {**{k: (shown[k], want[k]) for k in want if shown[k] != want[k]},  # bit for bit
                           "first difference": first_difference(engine, root, kind, cfg)}
    boot = engine.evaluate(engines.BOOT)
    assert boot["snapshot"] is True, f"{engine.name} booted without the build's snapshot: {boot.get('why')}"
    # with numpy and simcore in it: Firefox (JSPI) from Chromium's snapshot, WebKit from its own
    assert boot["packages"] is True, (engine.name, boot)
    assert page_errors(engine) == []
    tally.count("Engines", f"widget default runs equal to native simcore bit for bit, {engine.name}")
    tally.count("Engines", f"numbers compared bit for bit, {engine.name}", len(want))


def test_playground_steps_and_plays_a_shared_network_as_native(engine, probed_url, tally):
    """A link with a shortcut removed and the reader's own points; stepped to epoch 2, then
    played to the end: the readout equals native simcore's at each, bit for bit."""
    root = test_playground.ROOT
    points = [[-1, 0.5, 0], [-0.5, -1, 0], [1, 0.25, 1], [0.75, -1.5, 1], [0, 2, 0], [0.1, -2, 1]]
    link = f"#playground?{test_playground.SMALL}&skips=101&dataset=custom&points={test_playground.encode_points(points)}"
    engine.goto(probed_url + "/references/")  # a fresh page (no widget): from the playground's own, a link would only change its hash
    engine.goto(probed_url + "/lab/playground/" + link)
    engine.wait_for(mounted(root), 60)
    cfg = {**engine.evaluate(f"JSON.parse(document.querySelector({json.dumps(root)}).dataset.config)"),
           "depth": 8, "epochs": 4, "seed": 3, "skips": "101", "dataset": "custom", "points": points}
    shown = lambda: {k: v["value"] for k, v in engine.evaluate(f"({SHOWN_NUMBERS})({json.dumps(root)})").items()}  # noqa: E731
    epoch = f"document.querySelector({json.dumps(root)}).dataset.epoch"
    for e in range(3):
        engine.click(f"{root} [data-action=step]")
        engine.wait_for(f"{epoch} === '{e}'", 240)
    assert shown() == test_playground.native_numbers(cfg, epoch=2)
    engine.click(f"{root} [data-action=pause]")  # Resume
    engine.wait_for(f"document.querySelector({json.dumps(root)}).dataset.state === 'done'", 240)
    assert shown() == test_playground.native_numbers(cfg)
    assert page_errors(engine) == []
    tally.count("Engines", f"playground runs stepped and played to native simcore's numbers, {engine.name}")


def test_a_bad_link_value_shows_its_message(engine, probed_url, tally):
    root = test_trainer.ROOT
    engine.goto(probed_url + "/trainer/#trainer?dataset=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&depth=9x")
    engine.wait_for(mounted(root), 60)
    message = engine.evaluate("document.getElementById('trainer-dataset-error').textContent")
    assert "is not allowed" in message and "<img" in message  # the markup, quoted as text
    assert "depth" in engine.evaluate("document.getElementById('trainer-depth-error').textContent")
    assert engine.evaluate(f"document.querySelectorAll({json.dumps(root + ' img')}).length") == 0
    assert engine.evaluate(f"document.querySelector({json.dumps(root + ' [name=dataset]')}).getAttribute('aria-invalid')") == "true"
    assert page_errors(engine) == []
    tally.count("Engines", f"bad link values shown with their message, {engine.name}", 2)


def transformer_numbers(cfg: dict) -> dict:
    """The transformer widget's readout, computed natively: what each cell's data-value holds."""
    from simcore import api

    out = {}
    for k, v in api.transformer(cfg)["variants"].items():
        f, g, s = v["final"], v["init"]["grad_norms"], v["final"]["stream"]
        out.update({f"{k}.train_acc": f["train_acc"], f"{k}.test_acc": f["test_acc"],
                    f"{k}.grad_ratio": g[-1] / g[0], f"{k}.stream_last": s[-1]})
    return out


def test_transformer_link_runs_as_native(engine, probed_url, tally):
    """A shared link to a small Transformer run (3 layers, post-LN's warm-up, 4 digits): every
    readout number equals native simcore's, bit for bit (attention, layer norm, the stream's
    norms, Adam with warm-up)."""
    root = "#transformer"
    small = {"layers": 3, "width": 8, "length": 4, "n": 80, "epochs": 3, "warmup": 1}
    engine.goto(probed_url + "/references/")
    engine.goto(probed_url + "/transformer/#transformer?" + "&".join(f"{k}={v}" for k, v in small.items()))
    engine.wait_for(mounted(root), 60)
    engine.click(f"{root} [data-action=run]")
    state = engine.wait_for(f"(s => ['done', 'error'].includes(s) && s)(document.querySelector({json.dumps(root)}).dataset.state)", 240)
    assert state == "done", engine.evaluate(f"document.querySelector({json.dumps(root + ' .sim-status')}).innerText")
    cfg = {**engine.evaluate(f"JSON.parse(document.querySelector({json.dumps(root)}).dataset.config)"), **small}
    shown = {k: v["value"] for k, v in engine.evaluate(f"({SHOWN_NUMBERS})({json.dumps(root)})").items()}
    assert shown == transformer_numbers(cfg)  # bit for bit
    assert page_errors(engine) == []
    tally.count("Engines", f"Transformer runs from a shared link equal to native simcore bit for bit, {engine.name}")
