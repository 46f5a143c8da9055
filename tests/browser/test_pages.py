"""Every page of the built site, as a reader sees it: it loads with zero console errors and zero
failed requests, its maths is typeset, its widgets are mounted over a visible static figure,
nothing overflows sideways at phone width, and it is screenshotted at desktop and phone width.

Screenshots are test artifacts, not committed: they go to $SCREENSHOT_DIR (default
.artifacts/screenshots/ in the checkout; CI uploads them). The runtime is not prewarmed here
(the pages are opened as on a Save-Data connection), so each page costs a second, not a Pyodide
boot; the widget tests run the simulations.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / ".artifacts" / "screenshots"))
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
SAVE_DATA = "Object.defineProperty(navigator, 'connection', {value: {saveData: true}, configurable: true});"


def site_pages(site: Path) -> list[str]:
    pages = []
    for html in sorted(site.rglob("index.html")):
        rel = html.parent.relative_to(site).as_posix()
        if rel.startswith("assets"):
            continue
        pages.append("/" if rel == "." else f"/{rel}/")
    return pages


CHECK = """() => {
  const out = {overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth};
  out.widgets = [...document.querySelectorAll('[data-sim]')].map((w) => {
    const r = w.getBoundingClientRect();
    const charts = [...w.querySelectorAll('svg.sim-chart, svg.sim-diagram, .sim-figure svg, table.sim-readout')];
    return {kind: w.dataset.sim, state: w.dataset.state, mounted: Boolean(w.querySelector('form.sim-controls')),
            height: r.height, visible: charts.filter((c) => { const b = c.getBoundingClientRect(); return b.width > 20 && b.height > 20; }).length};
  });
  out.images = [...document.querySelectorAll('article img')].filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src);
  out.rawMath = [...document.querySelectorAll('.arithmatex')].filter((m) => !m.querySelector('.katex')).map((m) => m.textContent.slice(0, 60));
  out.title = document.querySelector('article h1') ? document.querySelector('article h1').textContent : null;
  return out;
}"""


def test_every_page_loads_cleanly_at_desktop_and_phone_width(browser, base_url, site):
    pages = site_pages(site)
    assert len(pages) >= 20, pages
    problems = []
    shots = 0
    for size, (w, h) in SIZES.items():
        context = browser.new_context(viewport={"width": w, "height": h})
        context.add_init_script(SAVE_DATA)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: errors.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.url} {r.status}"))
        for path in pages:
            errors.clear()
            page.goto(base_url + path, wait_until="load")
            page.wait_for_function("() => !document.querySelector('.arithmatex') || document.querySelector('.katex')")
            if page.locator("[data-sim]").count():  # every widget, not only the first, mounts
                page.wait_for_function("() => [...document.querySelectorAll('[data-sim]')].every((w) => w.querySelector('form.sim-controls'))")
            info = page.evaluate(CHECK)
            where = f"{path} at {size}"
            if errors:
                problems.append(f"{where}: {errors}")
            if not info["title"]:
                problems.append(f"{where}: no title")
            if size == "phone" and info["overflow"] > 1:
                problems.append(f"{where}: {info['overflow']} px of horizontal overflow")
            if info["images"]:
                problems.append(f"{where}: images not loaded {info['images']}")
            if info["rawMath"]:
                problems.append(f"{where}: maths not typeset {info['rawMath']}")
            for widget in info["widgets"]:
                if not widget["mounted"] or widget["state"] != "static":
                    problems.append(f"{where}: widget {widget['kind']} not mounted ({widget['state']})")
                if widget["visible"] == 0 or widget["height"] < 100:
                    problems.append(f"{where}: widget {widget['kind']} shows no figure")
            out = SHOTS / size / (path.strip("/").replace("/", "__") or "home")
            out.parent.mkdir(parents=True, exist_ok=True)
            # JPEG: a full-page shot encodes in about half PNG's time (measured: 3.2 against 6.1 s
            # for six long pages at both widths), and the shots are for looking at
            page.screenshot(path=f"{out}.jpg", full_page=True, type="jpeg", quality=85)
            shots += 1
        context.close()
    assert problems == [], "\n".join(problems)
    assert shots == 2 * len(pages)


def test_widgets_remount_under_instant_navigation(probe, base_url):
    """mkdocs-material swaps pages without reloading (navigation.instant): a widget on the page
    reached by a link must mount again, and the one left behind must not leak."""
    page = probe.page
    page.context.add_init_script(SAVE_DATA)
    # Instant navigation follows only links its sitemap.xml lists, and the sitemap names the
    # site's own address (site_url: 127.0.0.1:8000 here, the Pages URL when hosted). This server
    # has another port, so the sitemap is served with this server's address, as a site served
    # where it was built for has it; without that every link would be a full reload.
    def sitemap(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(
            "http://127.0.0.1:8000/", base_url + "/"))
    page.route("**/sitemap.xml", sitemap)
    page.goto(base_url + "/lab/")
    page.evaluate("() => { window.__sameDocument = true; }")  # gone after any reload
    page.click("article a[href$='identity/']")
    page.wait_for_url("**/lab/identity/")
    page.wait_for_selector('[data-sim="identity"] form.sim-controls')
    page.go_back()
    page.wait_for_url("**/lab/")
    page.click("article a[href$='init/']")
    page.wait_for_selector('[data-sim="init"] form.sim-controls')
    assert page.locator('[data-sim="init"] form.sim-controls').count() == 1  # mounted once
    assert page.evaluate("() => window.__sameDocument") is True  # no reload: instant navigation
    probe.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_palette_toggle_is_there_in_both_schemes(browser, base_url, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base_url + "/")
    want = "slate" if scheme == "dark" else "default"
    assert page.get_attribute("body", "data-md-color-scheme") == want
    assert page.locator("form[data-md-component='palette'] label").count() >= 1
    context.close()
