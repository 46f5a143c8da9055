"""Static figures: every simulation's build-time figure drawn by the widget's own JavaScript.

A widget's figure is drawn by one piece of code: ``view(data, config)`` in
``docs/javascripts/sim/widgets/<kind>.js``, which the live widget calls on what the worker
computed. At build time Python only computes (``scripts/widgets/<kind>.py``: the same
``simcore.api`` call at the widget's defaults); this module hands those results to the same
``view`` in headless Chromium, in one page for the whole site, and returns each figure's markup
(``outerHTML``), which the page carries for readers without JavaScript. The live figure later
replaces it with the same markup drawn from the same numbers: no layout jump, no twin to keep
in step.

Chromium rather than a small JavaScript engine: it is the engine the build already runs for the
memory snapshot (``scripts/_env.sh`` installs it), it runs the DOM code unchanged, and it costs
about a second per build (measured: ``python scripts/render.py --time``); the result is cached
by the hash of the inputs and of every file under ``docs/javascripts/sim``.

    .venv/bin/python scripts/render.py --time   # draw every widget's default figure, timed
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import headless  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "docs" / "javascripts"
FORMAT = 1  # bump when the page below changes

_PAGE = b"""<!doctype html><meta charset="utf-8"><title>static figures</title>
<script type="module">
const post = (path, body) => fetch(path, { method: "POST", body });
try {
  const jobs = await (await fetch("/jobs.json")).json();
  const out = [];
  for (const { kind, data, config } of jobs) {
    const widget = await import(`/javascripts/sim/widgets/${kind}.js`);
    const node = widget.view(data, config);
    document.body.append(node);  // laid out in a document, as it is live
    out.push(node.outerHTML);
  }
  await post("/done", JSON.stringify(out));
} catch (err) {
  await post("/fail", String((err && err.stack) || err));
}
</script>"""


class RenderError(RuntimeError):
    pass


def sources_hash() -> str:
    h = hashlib.sha256(f"render format {FORMAT}\n".encode() + _PAGE)
    for path in sorted((JS / "sim").rglob("*.js")):
        h.update(str(path.relative_to(JS)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def timeless(value):
    """``value`` without its ``elapsed`` seconds, at any depth: a figure never shows how long the
    build's run took, so the same commit draws the same pages byte for byte (and hits the cache)."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k != "elapsed"}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "residual" / "figures"


def render(jobs: list[dict], browser: str | None = None, timeout: float = 60.0) -> list[str]:
    """The markup of each job's figure, ``{"kind", "data", "config"}`` → ``view(data, config)``'s
    ``outerHTML``, drawn in one headless Chromium page (cached by the hash of jobs and sources)."""
    if not jobs:
        return []
    body = json.dumps(timeless(jobs), sort_keys=True, allow_nan=False).encode()
    key = hashlib.sha256(sources_hash().encode() + body).hexdigest()[:32]
    cached = cache_dir() / f"{key}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    browser = browser or headless.chromium()
    if browser is None:
        raise RenderError("static figures: no Chromium found to draw them with (the widgets' own "
                          "JavaScript draws every static figure at build time). Install it with "
                          "`bash scripts/build` (which installs Debian's chromium) or set CHROMIUM=...")

    def resolve(path: str):
        if path == "/":
            return _PAGE, "text/html"
        if path == "/jobs.json":
            return body, "application/json"
        if path.startswith("/javascripts/sim/") and ".." not in path:
            f = JS / path[len("/javascripts/"):]
            if f.is_file():
                return f.read_bytes(), headless.file_type(f.name)
        return None

    try:
        got = headless.collect(resolve, browser, timeout, last=("/done", "/fail"))
    except RuntimeError as exc:
        raise RenderError(f"static figures: {exc}") from exc
    if "/done" not in got:
        raise RenderError("static figures: a widget's view() failed in Chromium:\n"
                          + got.get("/fail", b"").decode()[:2000])
    out = json.loads(got["/done"])
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(out))
    tmp.replace(cached)
    return out


def main() -> None:
    import argparse
    import time

    import widgets

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", action="store_true", help="time computing the data and drawing (uncached)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    jobs = [widgets.job(m) for m in widgets.modules().values()]
    t1 = time.perf_counter()
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()  # uncached: what a first build pays
    marks = render(jobs)
    t2 = time.perf_counter()
    for job, html in zip(jobs, marks):
        print(f"{job['kind']:16} {len(html):8,} characters of markup")
    if args.time:
        print(f"computing the data: {t1 - t0:.2f} s; drawing {len(jobs)} figures in Chromium: {t2 - t1:.2f} s")


if __name__ == "__main__":
    main()
