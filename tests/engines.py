"""Firefox and WebKit, driven offline from Debian's packages, behind one small interface.

* **Firefox** (``firefox-esr``) speaks WebDriver BiDi itself: started with
  ``--remote-debugging-port 0`` it prints a ``ws://`` address, and a few BiDi commands over the
  ``websockets`` package drive it (Playwright cannot drive a stock Firefox; there is no
  geckodriver package).
* **WebKit** is WebKitGTK's MiniBrowser driven by ``WebKitWebDriver`` (``webkit2gtk-driver``)
  through Selenium, on an Xvfb display of its own (``scripts/webkit.py``, which the build uses
  too).

Both get the same three verbs: :meth:`Engine.goto`, :meth:`Engine.evaluate` (a JavaScript
expression, awaited, its value passed back through JSON) and :meth:`Engine.wait_for`. Clicks
are ``element.click()`` in the page: these tests check what the simulations compute and show,
not how each engine dispatches input (Chromium's tests do that).

Errors: WebKit's driver has no log endpoint, so every engine collects errors from the page
itself. :func:`inject_probe` puts ``PROBE`` first in every HTML page the test server sends: it
records uncaught errors, unhandled rejections, ``console.error`` calls and every worker's
``error`` event into ``window.__engineErrors``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import webkit as _webkit  # noqa: E402  (shared with the build, which makes WebKit's snapshot)

FIREFOX = os.environ.get("FIREFOX", "firefox-esr")

# How the page's runtime last booted (from a snapshot or not, why, and each stage's end), as the
# worker reported it with "ready": an expression for Engine.evaluate
BOOT = ('(async () => (await (await import(new URL("/javascripts/sim/bridge.js", location.href).href))'
        '.start()).boot)()')

PROBE_PATH = "/__engine_probe__.js"
PROBE = b"""(() => {
  const errors = window.__engineErrors = [];
  const say = (where, what) => errors.push(where + ": " + String(what && (what.stack || what.message) || what).split("\\n")[0]);
  addEventListener("error", (e) => say("error", e.error || e.message));
  addEventListener("unhandledrejection", (e) => say("unhandled rejection", e.reason));
  const consoleError = console.error.bind(console);
  console.error = (...args) => { say("console.error", args.map(String).join(" ")); consoleError(...args); };
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) {
      super(...args);
      this.addEventListener("error", (e) => say("worker error", e.message || "(no message)"));
    }
  };
})();
"""
PROBE_TAG = f'<script src="{PROBE_PATH}"></script>'.encode()


def inject_probe(html: bytes) -> bytes:
    """``html`` with the probe as the first element of its ``<head>``."""
    return html.replace(b"<head>", b"<head>" + PROBE_TAG, 1)


def missing(name: str) -> str | None:
    """What engine ``name`` ("firefox" or "webkit") needs and this machine lacks, or None."""
    if name == "firefox":
        lacks = [w for w, ok in ((FIREFOX, shutil.which(FIREFOX) is not None),
                                 ("the websockets package", _webkit.importable("websockets"))) if not ok]
        return ", ".join(lacks) or None
    return _webkit.missing()



class EngineError(RuntimeError):
    pass


class Engine:
    name = ""

    def goto(self, url: str) -> None:
        raise NotImplementedError

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (awaited if a promise), as JSON."""
        raise NotImplementedError

    def wait_for(self, expression: str, timeout: float = 120.0, poll: float = 0.1):
        """Poll ``expression`` until it is truthy; its value. Raises ``TimeoutError``."""
        end = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > end:
                raise TimeoutError(f"{self.name}: not true after {timeout} s: {expression}")
            time.sleep(poll)

    def click(self, selector: str) -> None:
        self.evaluate(f"(document.querySelector({json.dumps(selector)}).click(), true)")

    def errors(self) -> list[str]:
        return self.evaluate("window.__engineErrors || ['the error probe is missing']")

    def user_agent(self) -> str:
        return self.evaluate("navigator.userAgent")

    def close(self) -> None:
        raise NotImplementedError


# --- Firefox over WebDriver BiDi ---------------------------------------------------------

# Nothing may reach for the network: the test machine has none, and the tests must not.
FIREFOX_PREFS = {
    "app.update.disabledForTesting": True, "browser.shell.checkDefaultBrowser": False,
    "browser.safebrowsing.malware.enabled": False, "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False, "browser.newtabpage.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False, "toolkit.telemetry.enabled": False,
    "network.captive-portal-service.enabled": False, "network.connectivity-service.enabled": False,
    "extensions.update.enabled": False, "browser.search.update": False,
    "dom.disable_beforeunload": True,
}


class Firefox(Engine):
    name = "firefox"

    def __init__(self, timeout: float = 60.0) -> None:
        from websockets.sync.client import connect

        self.profile = Path(tempfile.mkdtemp(prefix="residual-firefox-"))
        (self.profile / "user.js").write_text("".join(
            f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in FIREFOX_PREFS.items()))
        self.proc = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--profile", str(self.profile),
             "--remote-debugging-port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "MOZ_HEADLESS": "1"})
        address, lines = None, []
        end = time.monotonic() + timeout
        while address is None:
            line = self.proc.stderr.readline().decode(errors="replace")
            if not line and (self.proc.poll() is not None or time.monotonic() > end):
                self.close()
                raise EngineError(f"firefox did not start its BiDi server: {''.join(lines)[-2000:]}")
            lines.append(line)
            m = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            address = m and m.group(1)
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # keep it drained
        self._connection = connect(address.rstrip("/") + "/session", max_size=None, open_timeout=timeout)
        self.ws = self._connection.__enter__()
        self._id = 0
        self.log: list[dict] = []
        self.version = self._send("session.new", {"capabilities": {}})["capabilities"]["browserVersion"]
        self.context = self._send("browsingContext.getTree", {})["contexts"][0]["context"]
        self._send("session.subscribe", {"events": ["log.entryAdded"]})

    def _send(self, method: str, params: dict, timeout: float = 300.0) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        end = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, end - time.monotonic())))
            if msg.get("type") == "event":
                if msg.get("method") == "log.entryAdded":
                    self.log.append(msg["params"])
                continue
            if msg.get("id") != self._id:
                continue
            if msg.get("type") == "error" or "error" in msg:
                raise EngineError(f"firefox {method}: {msg.get('error')}: {msg.get('message')}")
            return msg["result"]

    def goto(self, url: str) -> None:
        self._send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression: str):
        res = self._send("script.evaluate", {
            "expression": f"(async () => JSON.stringify(await ({expression})))()",
            "target": {"context": self.context}, "awaitPromise": True, "resultOwnership": "none"})
        if res.get("type") == "exception":
            raise EngineError(f"firefox: {res['exceptionDetails'].get('text')}")
        value = res["result"].get("value")
        return None if value is None else json.loads(value)

    def console_errors(self) -> list[str]:
        """Errors Firefox itself logged for the page (BiDi ``log.entryAdded``), beside the probe's."""
        self._send("browsingContext.getTree", {})  # flush the events received so far
        return [e.get("text", "") for e in self.log if e.get("level") == "error"]

    def close(self) -> None:
        try:
            if getattr(self, "ws", None):
                try:
                    self._send("browser.close", {}, timeout=10)
                except Exception:
                    pass
                self._connection.__exit__(None, None, None)
        finally:
            _webkit.stop(self.proc)
            shutil.rmtree(self.profile, ignore_errors=True)


# --- WebKitGTK through Selenium (scripts/webkit.py starts it) ------------------------------

class WebKit(Engine):
    name = "webkit"

    def __init__(self) -> None:
        self.session = _webkit.WebKit()
        self.driver = self.session.driver
        self.version = self.session.version

    def goto(self, url: str) -> None:
        self.driver.get(url)

    def evaluate(self, expression: str):
        out = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"(async () => JSON.stringify(await ({expression})))()"
            ".then(done, (e) => done(JSON.stringify({__engine_error: String(e && e.stack || e)})));")
        value = None if out is None else json.loads(out)
        if isinstance(value, dict) and "__engine_error" in value:
            raise EngineError(f"webkit: {value['__engine_error']}")
        return value

    def close(self) -> None:
        self.session.close()


# --- Chromium through Playwright, for benchmarks that treat the three alike -------------------

class Chromium(Engine):
    name = "chromium"

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
        from conftest import ARGS, CHROMIUM

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        self.version = self.browser.version
        self.page = self.browser.new_page()
        self.page.set_default_timeout(300_000)

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def evaluate(self, expression: str):
        out = self.page.evaluate(f"async () => JSON.stringify(await ({expression}))")
        return None if out is None else json.loads(out)

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self._pw.stop()


ENGINES = {"firefox": Firefox, "webkit": WebKit}   # what tests/browser/test_engines.py runs
EVERY_ENGINE = {"chromium": Chromium, **ENGINES}  # for the benchmarks
