"""Accessibility: an automated audit of every page in both palettes, and the widgets operated
with the keyboard alone.

* Every page of the built site is audited by axe-core (pinned in scripts/vendor_npm.py, from
  the npm registry), injected into the page, with the rules tagged WCAG 2.0/2.1/2.2 A and AA
  plus axe's best practices, once in the light palette (``default``) and once in the dark one
  (``slate``), each chosen as a reader's browser chooses it (``prefers-color-scheme``), and
  checked to be the palette the page shows. No serious or critical violation is allowed. The
  text of the charts (titles, ticks, axis labels, legends) is checked for contrast here too
  (4.5:1 against the page), because axe leaves text inside an SVG image unchecked ("needs
  review"); and every chart (``svg.sim-chart``) must be an image whose name is a summary
  sentence of what it shows.
* Every widget kind is operated with the keyboard alone, on the pages that explain them (two
  kinds on most pages, so the runtime loads seven times, not twelve): Tab from the top of the
  page (the first stop is "Skip to content") into the widget and through each of its controls
  (each with an accessible name and a visible focus ring), small values typed into some of
  them (and, in the trainer, a checkbox toggled with Space), then Enter or Space on Run, and
  the run ends in ``done``. Its status line is a live region (role=status, aria-live) whose
  words change with each state (loading → running → done when the run loads the runtime); its
  charts are named by summaries of the live data; axe then audits the widget as the run left
  it, and, for the trainer, the whole page in both palettes (switched with the palette toggle).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from sim_page import wait_done
from test_pages import SAVE_DATA, site_pages

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import vendor_npm  # noqa: E402

AXE_VERSION = vendor_npm.PACKAGES["axe-core"][0]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
SERIOUS = ("serious", "critical")
PALETTES = {"light": ("default", "rgb(255, 255, 255)"), "dark": ("slate", "rgb(22, 27, 34)")}

# Every widget kind, on the pages where the keyboard test meets them (in page order), with
# small settings typed in so that each run is short, and the states its status line must
# announce: a page's first run loads the Python runtime (pages are opened as on a Save-Data
# connection, so nothing loads before Run), later runs on the page find it loaded. The
# architecture is drawn without Python, and again as its settings are typed (so it is "done"
# before Run); the block explorer after it loads the runtime.
LOADS = ["static", "loading", "running", "done"]
WARM = ["static", "running", "done"]
REDRAWN = ["done", "running", "done"]
PAGES = {
    "/residual-learning/": [("identity", {"identity_steps": "50", "identity_points": "32"}, LOADS),
                            ("init", {"n": "60", "depth": "8", "epochs": "1"}, WARM)],
    "/gradient-flow/": [("gradient-flow", {"n": "60", "depth": "8", "epochs": "1"}, LOADS),
                        ("shattering", {"depths": "4", "shatter_points": "64", "shatter_runs": "1",
                                        "shatter_max_lag": "8"}, WARM)],
    "/why-it-works/": [("lesion", {"depth": "8", "epochs": "1", "lesion_draws": "1"}, LOADS),
                       ("landscape", {"depth": "8", "epochs": "1", "landscape_points_1d": "5",
                                      "landscape_points_2d": "3"}, WARM)],
    "/degradation/": [("degradation", {"depths": "4", "n": "60", "epochs": "2"}, LOADS)],
    "/blocks/": [("architecture", {"depth": "8"}, REDRAWN), ("block-explorer", {"block_width": "4"}, LOADS)],
    "/family/": [("variants", {"resolution": "64"}, LOADS)],
    "/lab/playground/": [("playground", {"depth": "8", "epochs": "2"}, LOADS)],
    "/lab/normfree/": [("normfree", {"depth": "8", "epochs": "2", "n": "60"}, LOADS)],
    "/lab/stochastic-depth/": [("stochastic-depth", {"depth": "8", "epochs": "2", "n": "60", "sd_draws": "1"}, LOADS)],
    "/lab/shortcuts/": [("shortcuts", {"depth": "8", "epochs": "2", "n": "60", "shortcut_seeds": "1"}, LOADS)],
    "/transformer/": [("transformer", {"layers": "2", "epochs": "2", "n": "60", "length": "3"}, LOADS)],
    "/trainer/": [("trainer", {"epochs": "2", "depth": "8"}, LOADS),  # last: checked after as the run left it
                  ("convergence", {"depths": "4", "n": "60", "epochs": "2"}, WARM)],
}
KINDS = {"transformer", "playground", "normfree", "stochastic-depth", "shortcuts", "trainer", "convergence", "degradation", "gradient-flow", "shattering", "lesion",
         "landscape", "identity", "init", "architecture", "block-explorer", "variants"}
TOGGLE = {"trainer": "norm"}  # a checkbox toggled with Space on the way to Run
MAX_TABS = 400

AUDIT = """async ([scope, tags]) => {
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));  // scroll-focus.js
  const r = await axe.run(scope ? document.querySelector(scope) : document,
                          {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return {version: r.testEngine.version, passed: r.passes.length,
          applied: r.passes.length + r.violations.length + r.incomplete.length,
          violations: r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' '))}))};
}"""

# The page's palette, its background, and each chart's name and text colours: contrast of every
# text of a widget's SVG figures against the page (iso-line labels sit on the heat map with a
# white halo, not on the page, and are left out).
PAGE_FACTS = """() => {
  const rgba = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const bg = rgba(getComputedStyle(document.body).backgroundColor);
  const texts = [...document.querySelectorAll('[data-sim] svg text:not(.sim-iso-label)')].map((t) => {
    const [r, g, b, a] = rgba(getComputedStyle(t).fill);
    const fg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    return {text: t.textContent, cls: t.getAttribute('class'), ratio: (hi + 0.05) / (lo + 0.05)};
  });
  const charts = [...document.querySelectorAll('svg.sim-chart')].map((s) => ({
    widget: s.closest('[data-sim]') ? s.closest('[data-sim]').id : null, role: s.getAttribute('role'),
    label: s.getAttribute('aria-label') || '',
    title: s.querySelector('.sim-chart-title') ? s.querySelector('.sim-chart-title').textContent : ''}));
  return {scheme: document.body.getAttribute('data-md-color-scheme'),
          background: getComputedStyle(document.body).backgroundColor, texts, charts};
}"""

# The focused element, whether it is inside the widget, its accessible name (axe's own
# computation) and whether its focus is drawn (an outline or a box-shadow under :focus-visible).
FOCUS = """(root) => {
  const a = document.activeElement;
  const s = getComputedStyle(a);
  let name = null;
  if (document.querySelector(root).contains(a)) {
    axe.setup(document.querySelector(root));
    name = axe.commons.text.accessibleText(a);
    axe.teardown();
  }
  return {inside: name !== null, tag: a.tagName, cls: String(a.className || ''), name, field: a.getAttribute('name'),
          action: a.dataset ? a.dataset.action || null : null, type: a.type || null,
          ring: a.matches(':focus-visible') && ((s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none')};
}"""

# Every control the widget shows (inside and outside its settings form; a hidden one, such as
# Retry before an error, is not in the accessibility tree) and its accessible name.
CONTROL_NAMES = """(root) => {
  const r = document.querySelector(root);
  axe.setup(r);
  const out = [...r.querySelectorAll('input, select, button, textarea')].filter((c) => c.checkVisibility())
    .map((c) => [c.tagName + (c.name ? '[' + c.name + ']' : c.dataset.action ? '[' + c.dataset.action + ']' : ''),
                 axe.commons.text.accessibleText(c)]);
  axe.teardown();
  return out;
}"""

# Records, from now on, every change of the widget's state and of its status line's words.
LISTEN = """(root) => {
  const r = document.querySelector(root);
  const status = r.querySelector('.sim-status');
  window.__said = [[r.dataset.state, status.textContent]];
  const note = () => { const last = window.__said[window.__said.length - 1];
    if (last[0] !== r.dataset.state || last[1] !== status.textContent) window.__said.push([r.dataset.state, status.textContent]); };
  const watch = new MutationObserver(note);
  watch.observe(r, {attributes: true, attributeFilter: ['data-state']});
  watch.observe(status, {childList: true, characterData: true, subtree: true});
  return {role: status.getAttribute('role'), live: status.getAttribute('aria-live')};
}"""

MOUNTED = "() => [...document.querySelectorAll('[data-sim]')].every((w) => w.querySelector('form.sim-controls'))"
NUMBER = re.compile(r"\d")


def summary_problem(chart: dict) -> str | None:
    """What keeps a chart's name from being a summary sentence (a role=img name that says more
    than the chart's title and quotes at least one number), or None."""
    label, title = chart["label"].strip(), chart["title"].strip()
    # "group": a diagram whose parts the reader can focus (the playground's layers and
    # shortcuts), which an img's presentational children could not be
    if chart["role"] not in ("img", "group"):
        return f"role {chart['role']!r}, not img (or group)"
    if len(label.split()) < 6 or label == title or not NUMBER.search(label):
        return f"name {label!r} is not a summary sentence (title {title!r})"
    return None


def axe_source() -> str:
    return (vendor_npm.fetch("axe-core") / "axe.min.js").read_text()


def inject_axe(page, source: str) -> None:
    page.add_script_tag(content=source)
    assert page.evaluate("() => typeof axe === 'object' && axe.version") == AXE_VERSION  # it ran


def serious(result: dict) -> list[str]:
    return [f"{v['id']} ({v['impact']}, {v['help']}): {node}"
            for v in result["violations"] if v["impact"] in SERIOUS for node in v["nodes"]]


def check_page_facts(facts: dict, where: str, scheme: str) -> tuple[list[str], int, int]:
    """Problems of the charts' names and text contrast on a page; how many texts and charts."""
    problems = []
    want, background = PALETTES[scheme]
    if facts["scheme"] != want or facts["background"] != background:
        problems.append(f"{where}: palette {facts['scheme']} on {facts['background']}, expected {want} on {background}")
    for t in facts["texts"]:
        if t["ratio"] < 4.5:
            problems.append(f"{where}: chart text {t['text']!r} ({t['cls']}) at {t['ratio']:.2f}:1")
    for chart in facts["charts"]:
        why = summary_problem(chart)
        if why:
            problems.append(f"{where}: chart {chart['title']!r} of {chart['widget']}: {why}")
    return problems, len(facts["texts"]), len(facts["charts"])


def test_axe_finds_no_serious_violation_on_any_page_in_either_palette(browser, base_url, site, tally):
    pages = site_pages(site)
    assert len(pages) >= 20, pages
    source = axe_source()
    tabs = {}
    for scheme in PALETTES:
        context = browser.new_context(color_scheme=scheme, bypass_csp=True, viewport={"width": 1280, "height": 900})
        context.add_init_script(SAVE_DATA)  # no runtime download: the audit is of the pages
        tabs[scheme] = context.new_page()
        tabs[scheme].set_default_timeout(120_000)
    problems = []
    audited = 0
    for path in pages:
        for scheme, page in tabs.items():
            page.goto(base_url + path, wait_until="load")
            page.wait_for_function("() => !document.querySelector('.arithmatex') || document.querySelector('.katex')")
            if page.locator("[data-sim]").count():  # every widget mounted, not only the first
                page.wait_for_function(MOUNTED)
            inject_axe(page, source)
            # both palettes' audits run at once, in their own renderer processes
            page.evaluate("([tags]) => { window.__audit = null; window.__audit = (%s)([null, tags]); }" % AUDIT, [TAGS])
        for scheme, page in tabs.items():
            where = f"{path} ({scheme})"
            result = page.evaluate("() => window.__audit")
            assert result["version"] == AXE_VERSION
            found = serious(result)
            problems += [f"{where}: {p}" for p in found]
            facts_problems, texts, charts = check_page_facts(page.evaluate(PAGE_FACTS), where, scheme)
            problems += facts_problems
            audited += 1
            tally.count("Accessibility", "page audits by axe-core (every page, light and dark palette)")
            tally.count("Accessibility", "axe rules applied, summed over the audits", result["applied"])
            tally.count("Accessibility", "axe rules passed, summed over the audits", result["passed"])
            tally.count("Accessibility", "serious or critical axe violations found", len(found))
            tally.count("Accessibility", "chart texts checked for 4.5:1 contrast", texts)
            tally.count("Accessibility", "build-time charts checked for a summary as their name", charts)
    for page in tabs.values():
        page.context.close()
    assert audited == 2 * len(pages)
    assert problems == [], "\n".join(problems[:60]) + f"\n({len(problems)} problems)"


def tab_to_next_stop_inside(page, root: str, walk: list) -> int:
    """Press Tab until the focus is in the widget; the stop is appended to ``walk``; returns how
    many presses it took."""
    for n in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS, root)
        if focus["inside"]:
            walk.append(focus)
            return n
    raise AssertionError(f"{root}: not reached with {MAX_TABS} presses of Tab")


def test_every_widget_runs_with_the_keyboard_alone(browser, base_url, tally):
    assert {kind for widgets in PAGES.values() for kind, _, _ in widgets} == KINDS
    source = axe_source()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.add_init_script(SAVE_DATA)  # the runtime loads when Run is pressed: the run says so
    page = context.new_page()
    page.set_default_timeout(180_000)
    problems = []
    for path, widgets in PAGES.items():
        page.goto(base_url + path)
        page.wait_for_function(MOUNTED)
        inject_axe(page, source)
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUS, "body")
        assert "md-skip" in first["cls"], first  # "Skip to content" is the first stop
        keys = 1
        for kind, small, want in widgets:
            root = f'[data-sim="{kind}"]'
            # every control of the widget has an accessible name
            for control, name in page.evaluate(CONTROL_NAMES, root):
                if not name.strip():
                    problems.append(f"{kind}: {control} has no accessible name")
                tally.count("Accessibility", "widget controls checked for an accessible name")

            # Tab only, on from where the focus is, into the widget and through its controls to
            # Run, typing the small settings on the way
            walk: list = []
            keys += tab_to_next_stop_inside(page, root, walk)
            changed = set()
            while walk[-1]["action"] != "run":
                field = walk[-1]["field"]
                if walk[-1]["tag"] == "SUMMARY":  # "More settings": Enter opens it, its controls are next
                    page.keyboard.press("Enter")
                    keys += 1
                    assert page.evaluate(f"document.querySelector('{root} details.sim-more').open"), kind
                elif field in small:
                    page.keyboard.press("Control+A")
                    page.keyboard.type(small[field])
                    keys += 1 + len(small[field])
                    changed.add(field)
                elif field == TOGGLE.get(kind):
                    before = page.is_checked(f"{root} [name={field}]")
                    page.keyboard.press("Space")
                    keys += 1
                    assert page.is_checked(f"{root} [name={field}]") is not before, (kind, field)
                    changed.add(field)
                keys += tab_to_next_stop_inside(page, root, walk)
            assert changed == set(small) | ({TOGGLE[kind]} if kind in TOGGLE else set()), (kind, changed)
            for field, value in small.items():
                assert page.input_value(f"{root} [name={field}]") == value, (kind, field)
            for stop in walk:
                what = f"{kind}: {stop['tag']} {stop['field'] or stop['action']}"
                if not stop["ring"]:
                    problems.append(f"{what}: focus not drawn (no outline or box-shadow under :focus-visible)")
                if not (stop["name"] or "").strip():
                    problems.append(f"{what}: focused, with no accessible name")

            # Run with the keyboard; the status line is a live region that speaks each state
            region = page.evaluate(LISTEN, root)
            assert region == {"role": "status", "live": "polite"}, (kind, region)
            page.keyboard.press("Enter" if len(kind) % 2 else "Space")  # both keys, over the kinds
            keys += 1
            wait_done(page, root)
            # the keyboard's focus stayed in the widget (Run, disabled while running, handed it on)
            after = page.evaluate(FOCUS, root)
            if not after["inside"]:
                problems.append(f"{kind}: the focus left the widget during the run")
            said = page.evaluate("() => window.__said")
            states = [s for k, (s, _) in enumerate(said) if k == 0 or s != said[k - 1][0]]
            assert states == want, (kind, said)
            for k in range(1, len(said)):
                if said[k][0] != said[k - 1][0]:  # each new state is announced in new words
                    assert said[k][1].strip() and said[k][1] != said[k - 1][1], (kind, said)
            tally.count("Accessibility", "widgets run with the keyboard alone (Tab, typing, Space, Enter)")
            tally.count("Accessibility", "key presses to reach, set and run them", keys)
            keys = 0
            tally.count("Accessibility", "run-status announcements in the live region", len(said) - 1)

            # the live charts are named by summaries of the live data, and axe finds nothing serious
            facts_problems, texts, charts = check_page_facts(page.evaluate(PAGE_FACTS), f"{path} after a run", "light")
            problems += facts_problems
            tally.count("Accessibility", "charts checked for a summary as their name after each run (the page's)", charts)
            result = page.evaluate(AUDIT, [root, TAGS])
            problems += [f"{kind} after a run: {p}" for p in serious(result)]
            tally.count("Accessibility", "widget audits by axe-core after a live run")

    # the trainer's page as the run left it, in both palettes (the palette toggle, by click)
    loss = page.get_attribute(f'[data-sim="trainer"] svg.sim-chart', "aria-label")
    assert loss.startswith("Training loss: loss against epoch;") and loss.endswith("at 2."), loss  # 2 epochs, live
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")  # colours settle at once
    for scheme in ("light", "dark"):
        if scheme == "dark":
            page.click("form[data-md-component='palette'] label:not([hidden])")
        page.wait_for_function("(s) => document.body.getAttribute('data-md-color-scheme') === s", arg=PALETTES[scheme][0])
        result = page.evaluate(AUDIT, [None, TAGS])
        problems += [f"/trainer/ after a run ({scheme}): {p}" for p in serious(result)]
        facts_problems, texts, _ = check_page_facts(page.evaluate(PAGE_FACTS), f"/trainer/ after a run ({scheme})", scheme)
        problems += facts_problems
        tally.count("Accessibility", "page audits by axe-core after a live run (the trainer, light and dark)")
        tally.count("Accessibility", "chart texts checked for 4.5:1 contrast", texts)
    context.close()
    assert problems == [], "\n".join(problems)
