"""MkDocs hooks: pages show what simcore computes, generated at build time from the code.

A page writes a marker such as ``<!-- simcore:fields -->`` on a line of its own; the hook
replaces it with Markdown produced from ``simcore.api``, so docs cannot drift from the code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from simcore import api

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_wheel  # noqa: E402  (scripts/ sibling modules)
import widgets  # noqa: E402  (scripts/widgets/<kind>.py: what each widget's build step computes)
import render  # noqa: E402  (static figures, drawn by the widgets' own JavaScript in Chromium)
import vendor_npm  # noqa: E402  (KaTeX, pinned and cached)
import vendor_pyodide  # noqa: E402
import sri  # noqa: E402  (integrity hashes of the runtime)
import snapshot  # noqa: E402  (Pyodide's memory after start-up, made in headless Chromium)

CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
MODES = ("cdn", "self")
_state: dict = {}

MARKER = re.compile(r"^<!-- simcore:([\w-]+) -->$", re.M)


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return f"`{str(v).lower()}`"
    if isinstance(v, list):
        return "`" + ",".join(map(str, v)) + "`"
    return f"`{v}`"


def fields_table() -> str:
    """Every config field of simcore.api: what it accepts and its defaults per task, then the
    notes of the fields that have one (``api.NOTES``)."""
    tasks = list(api.TASKS)
    rows = ["| field | allowed | " + " | ".join(f"`{t}` default" for t in tasks) + " |",
            "|---|---|" + "---|" * len(tasks)]
    for field, (kind, allowed) in api.FIELDS.items():
        defaults = " | ".join(_fmt(api.TASKS[t][1].get(field)) for t in tasks)
        rows.append(f"| `{field}` | {api.describe(kind, allowed)} | {defaults} |")
    rows += [""] + [f"- `{field}`: {note}." for field, note in api.NOTES.items()]
    return "\n".join(rows)


def variants_table() -> str:
    """Parameters and MACs of every architecture simcore.variants counts, at its own resolution."""
    from simcore import variants

    rows = ["| network | input | parameters | multiply-accumulates |", "|---|---:|---:|---:|"]
    for name in variants.NAMES:
        c = variants.count(name)
        rows.append(f"| `{name}` | {c['resolution']}×{c['resolution']} | {c['params']:,} | "
                    f"{c['macs'] / 1e9:.3f} G |")
    return "\n".join(rows)


def cli_help() -> str:
    """``python -m simcore --help`` and each subcommand's ``--help``, taken from the parser the
    CLI itself builds (so the page cannot drift from the program), in collapsible blocks."""
    import os
    from html import escape
    from unittest import mock

    from simcore.__main__ import build_parser

    # argparse wraps to the terminal's width: fix it, so every build writes the same page
    with mock.patch.dict(os.environ, {"COLUMNS": "76"}):
        parser = build_parser()
        sub = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
        out = [f'<pre class="sim-cli"><code>$ python -m simcore --help\n'
               f'{escape(parser.format_help().rstrip())}</code></pre>']
        for name, p in sub.choices.items():
            out.append(f'<details class="sim-cli-task" id="cli-{name}"><summary><code>python -m simcore {name}'
                       f'</code>: {escape(p.description or "")}</summary><pre class="sim-cli"><code>'
                       f'{escape(p.format_help().rstrip())}</code></pre></details>')
    return "\n".join(out)


ROOT = Path(__file__).resolve().parents[1]
RELIABILITY_RECORD = ROOT / "docs" / "reliability" / "last-run.json"


def reliability_table(record: Path = RELIABILITY_RECORD) -> str:
    """What the hardening tests tried, from docs/reliability/last-run.json (written by
    tests/tally.py at the end of a test session): one table per category, with the tests."""
    from html import escape

    data = json.loads(record.read_text()) if record.exists() else {"tests": {}}
    if not data["tests"]:
        return "*No test run has been recorded yet: run `bash scripts/test`.*"
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import tally
    finally:
        sys.path.pop(0)
    whens = sorted(e["when"] for e in data["tests"].values())
    out = [f"Recorded by {len(data['tests'])} tests, run between {whens[0]} and {whens[-1]} "
           f"(Python {data['python']}).", ""] if whens else []
    for category, rows in tally.summary(data).items():
        out += [f"### {escape(category)}", "", "| what | count | counted by |", "|---|---:|---|"]
        for what, (total, ids) in rows.items():
            tests = "<br>".join(f"`{escape(i)}`" for i in ids)
            out.append(f"| {escape(what)} | {total:,} | {tests} |")
        out.append("")
    notes = [(i, n) for i, e in data["tests"].items() for n in e.get("notes", [])]
    if notes:
        out += ["### Notes from the run", ""] + [f"- {escape(n)} (`{escape(i)}`)" for i, n in notes]
    return "\n".join(out)


GENERATORS = {"reliability": reliability_table, "fields": fields_table, "variants-table": variants_table, "cli-help": cli_help}
WIDGETS = widgets.modules()
_clash = set(GENERATORS) & set(WIDGETS)
if _clash:
    raise ValueError(f"widget kinds clash with table generators: {', '.join(sorted(_clash))}")


def widget(kind: str) -> str:
    """A widget's root, its static figure to be drawn by its own JavaScript (:func:`on_env`)."""
    job = _state.setdefault("jobs", {})[kind] = widgets.job(WIDGETS[kind])
    return widgets.widget_root(WIDGETS[kind], job)


GENERATORS.update({kind: (lambda kind=kind: widget(kind)) for kind in WIDGETS})


def render_markers(markdown: str) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in GENERATORS:
            raise ValueError(f"unknown simcore marker {name!r}; known: {', '.join(GENERATORS)}")
        return GENERATORS[name]()

    return MARKER.sub(sub, markdown)


def on_page_markdown(markdown, page, config, files):
    return render_markers(markdown)


def on_env(env, config, files):
    """Every page's Markdown is read: draw all the static figures the pages asked for, in one
    headless Chromium page, with each widget's own ``view`` (scripts/render.py)."""
    jobs = list(_state.get("jobs", {}).values())
    _state["figures"] = {job["kind"]: html for job, html in zip(jobs, render.render(jobs))}
    return env


def place_figures(output: str) -> str:
    """Put each widget's static figure (drawn by :func:`on_env`) in its root."""
    for kind, html in _state.get("figures", {}).items():
        output = output.replace(widgets.PLACEHOLDER.format(kind=kind), html)
    left = re.search(widgets.PLACEHOLDER.format(kind=r"([\w-]+)"), output)
    if left:
        raise RuntimeError(f"static figure of {left.group(1)!r} was not drawn")
    return output


# --- the browser runtime ------------------------------------------------------------------


def on_config(config):
    """Read the Pyodide pin and mode, build the simcore wheel, and hand the page its config.

    ``extra.pyodide.version`` is the one place the Pyodide version lives; ``extra.pyodide.mode``
    (``PYODIDE_MODE``: ``cdn`` by default, or ``self``) picks where the runtime comes from.
    """
    pyo = config["extra"].setdefault("pyodide", {})
    version = str(pyo.get("version", ""))
    mode = str(pyo.get("mode") or "cdn")
    if mode not in MODES:
        raise ValueError(f"PYODIDE_MODE: {mode!r} is not one of {', '.join(MODES)}")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ValueError(f"extra.pyodide.version: {version!r} is not a version like 0.27.7")
    tmp = Path(tempfile.mkdtemp(prefix="simcore-wheel-"))
    wheel = build_wheel.build(tmp)
    _state.update(mode=mode, version=version)
    if mode == "self":
        dist = vendor_pyodide.vendor(version)
        wheel = snapshot.compile_wheel(dist, wheel)  # byte-compiled by Pyodide's own Python
        _state.update(wheel=wheel, sha256=build_wheel.sha256_of(wheel))
        startup = _startup(dist)
        _state.update(dist=dist, numpy=startup and startup.numpy, snapshot_dir="assets/pyodide/",
                      **_snapshots(dist, startup, startup and startup.numpy, wheel))
        _state["lock"] = self_lock(dist, wheel, _state["sha256"], _state["numpy"])
        integrity = sri.of_folder(dist, _state["lock"])
    else:
        integrity = sri.for_cdn(version, CDN.format(version=version), vendor_pyodide.cache_root())
        # the snapshot must be made from the very runtime the CDN serves: the files the
        # integrity hashes were computed from; it is served from this site (numpy comes from
        # the CDN as it is)
        source = sri.cdn_source(version, vendor_pyodide.cache_root()) if integrity else None
        if source:
            wheel = snapshot.compile_wheel(source, wheel)
        _state.update(wheel=wheel, sha256=build_wheel.sha256_of(wheel))
        startup = _startup(source) if source else None
        # numpy's libraries go into the snapshot with numpy and simcore imported: the vendored
        # release's (byte for byte the CDN's, checked against its lock file), byte-compiled as
        # the self-hosted site's are (so both builds share one snapshot when the files agree)
        _state.update(numpy=None, snapshot_dir="assets/pyodide-snapshot/",
                      **_snapshots(source, startup, startup and _compiled_numpy(version), wheel))
    config["extra"]["sim"] = {
        "pyodideVersion": version,
        "mode": mode,
        # relative to the site root; the page resolves them against its base URL
        "indexURL": CDN.format(version=version) if mode == "cdn" else "assets/pyodide/",
        "wheelURL": f"assets/simcore/{wheel.name}",
        "wheelSha256": _state["sha256"],
        "simcoreVersion": build_wheel.version(),
        # SRI of each runtime file (scripts/sri.py); {} when the cdn build could not know them
        "integrity": integrity,
    }
    require_snapshots(_state)
    # the worker starts from one when it can, from scratch otherwise (scripts/snapshot.py):
    # "snapshot" made in Chromium, for browsers with JSPI; "snapshotNoJspi" made in WebKit
    for field, name in (("snapshot", "snapshot"), ("snapshotNoJspi", "snapshot_nojspi")):
        if _state.get(name):
            config["extra"]["sim"][field] = {
                "url": _state["snapshot_dir"] + _state[name].name,
                "integrity": sri.integrity(_state[name].read_bytes()),
            }
            if _state[name].name.startswith(snapshot.PACKAGED_NAME):
                # numpy and simcore come in it: the worker fetches neither ahead
                config["extra"]["sim"][field]["packages"] = True
    return config


def _startup(dist: Path):
    """The memory snapshot of ``dist`` and its numpy wheel byte-compiled (scripts/snapshot.py), or
    None: the site then boots its runtime from scratch, only slower."""
    try:
        return snapshot.make(dist)
    except (OSError, RuntimeError) as exc:  # a browser that could not make one
        print(f"snapshot: not made ({exc}); the site's runtime will boot without one", file=sys.stderr)
        return None


def _compiled_numpy(version: str) -> Path | None:
    """numpy's wheel of Pyodide ``version`` byte-compiled (vendored; scripts/snapshot.py), or None
    when it cannot be had."""
    try:
        startup = snapshot.make(vendor_pyodide.vendor(version))
    except Exception as exc:  # noqa: BLE001  (no network and no cache: the build goes on)
        print(f"snapshot: numpy's wheel not available ({exc})", file=sys.stderr)
        return None
    return startup and startup.numpy


def _snapshots(dist: Path, startup, numpy: Path | None, wheel: Path) -> dict:
    """The snapshot each kind of browser starts from: for browsers with JSPI (made in Chromium)
    and without (made in WebKit), the one with numpy and simcore imported when it could be made,
    or else the plain one; None where neither could."""
    if not startup:
        return {"snapshot": None, "snapshot_nojspi": None}
    return {"snapshot": _packaged(dist, numpy, wheel, "jspi") or startup.snapshot,
            "snapshot_nojspi": _packaged(dist, numpy, wheel, "nojspi") or _nojspi(dist)}


def _packaged(dist: Path, numpy: Path | None, wheel: Path, flavour: str):
    """The snapshot of ``dist`` with numpy and simcore imported (scripts/snapshot.py), or None."""
    if numpy is None:
        return None
    try:
        return snapshot.make_packaged(dist, numpy, wheel, flavour=flavour)
    except Exception as exc:  # noqa: BLE001  (a browser or its driver failing: the build goes on)
        print(f"snapshot: the {flavour} one with numpy and simcore not made ({type(exc).__name__}: "
              f"{exc}); the site's runtime will install them at every start", file=sys.stderr)
        return None


def require_snapshots(state: dict, env=os.environ) -> None:
    """With ``SNAPSHOT_REQUIRED=1`` (the deploy workflow), fail the build unless both memory
    snapshots were made: a hosted site without them starts its simulations 1.5 to 3.5 s later."""
    missing = [n for n in ("snapshot", "snapshot_nojspi") if not state.get(n)]
    if missing and env.get("SNAPSHOT_REQUIRED") == "1":
        raise RuntimeError(f"SNAPSHOT_REQUIRED: {', '.join(missing)} not made (see the 'snapshot:' "
                           "lines above); set CHROMIUM and install webkit2gtk-driver and xvfb")


def _nojspi(dist: Path):
    """The snapshot for browsers without JSPI, made in WebKit (scripts/snapshot.py), or None."""
    try:
        return snapshot.make_nojspi(dist)
    except Exception as exc:  # noqa: BLE001  (WebKit or its driver failing: the build goes on)
        print(f"snapshot: WebKit's not made ({type(exc).__name__}: {exc}); browsers without JSPI "
              "will boot the runtime from scratch", file=sys.stderr)
        return None


def self_lock(dist: Path, wheel: Path, sha256: str, numpy: Path | None = None) -> str:
    """The distribution's lock file with the simcore wheel added (the text the site serves), so
    one ``loadPackage(["numpy", "simcore"])`` fetches both; with ``numpy``, numpy's entry pins
    that (byte-compiled) wheel instead of the release's."""
    lock = json.loads((dist / "pyodide-lock.json").read_text())
    if numpy is not None:
        entry = lock["packages"]["numpy"]
        if numpy.name != entry["file_name"]:
            raise ValueError(f"compiled numpy wheel {numpy.name} is not the lock's {entry['file_name']}")
        entry["sha256"] = vendor_pyodide.sha256(numpy.read_bytes())
    lock["packages"]["simcore"] = {
        "name": "simcore", "version": build_wheel.version(), "file_name": wheel.name,
        "install_dir": "site", "package_type": "package", "sha256": sha256,
        "imports": ["simcore"], "depends": ["numpy"], "unvendored_tests": False,
    }
    return json.dumps(lock, indent=1, sort_keys=True)


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>(.*?)</script>", re.S)


def content_security_policy(html: str, mode: str) -> str:
    """The page's Content-Security-Policy: scripts, styles' files, fonts, fetches and workers from
    this site only (plus, in cdn mode, the Pyodide CDN the worker loads from); each inline script
    mkdocs-material writes into the page allowed by its sha256, nothing else inline; no plugins,
    no <base> tricks. Inline style *attributes* stay allowed: KaTeX typesets with them."""
    import base64
    import hashlib

    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
                     for attrs, body in _INLINE_SCRIPT.findall(html)
                     if body.strip() and "application/json" not in attrs})
    cdn = " https://cdn.jsdelivr.net" if mode == "cdn" else ""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {' '.join(hashes)}{cdn}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self'{cdn}",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


_MD_LINK = re.compile(r'href="([^":#]+\.md)(#[^"]*)?"')


def _notebook_links(output: str, page, files) -> str:
    """A notebook's markdown cells link to pages by their source path (``../degradation.md``),
    which works in Jupyter next to the docs; on the site such a link must point to the page's
    URL. (MkDocs rewrites these in Markdown pages, mkdocs-jupyter does not.)"""
    import posixpath

    def sub(m: re.Match) -> str:
        src = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), m.group(1)))
        target = files.get_file_from_path(src)
        if target is None:
            raise ValueError(f"{page.file.src_uri}: link to {m.group(1)!r}, which is not a page")
        return f'href="{target.url_relative_to(page.file)}{m.group(2) or ""}"'

    return _MD_LINK.sub(sub, output)


def on_page_content(html, page, config, files):
    if page.file.src_uri.endswith(".ipynb"):
        return _notebook_links(html, page, files)
    return html


_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'


def label_search_dialog(html: str) -> str:
    """mkdocs-material's search overlay is a dialog without a name (axe: aria-dialog-name):
    name it "Search". A page without the overlay (no search plugin) is left as it is."""
    return html.replace(_SEARCH_DIALOG, _SEARCH_DIALOG[:-1] + ' aria-label="Search">', 1)


def on_post_page(output, page, config):
    """Put the page's Content-Security-Policy first in its <head> (a meta policy applies only to
    what comes after it); name the search dialog."""
    output = label_search_dialog(place_figures(output))
    policy = content_security_policy(output, _state.get("mode", "cdn"))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return output.replace("<head>", f"<head>\n    {meta}", 1)


def on_post_template(output_content, template_name, config):
    """The same policy on the site's own templates (the 404 page)."""
    if template_name.endswith(".html") and "<head>" in output_content:
        return on_post_page(output_content, None, config)
    return output_content


def on_post_build(config):
    """Copy the wheel into the site; in ``self`` mode also the trimmed Pyodide, with simcore
    added to its lock file so one ``loadPackage(["numpy", "simcore"])`` fetches both, and the
    memory snapshot the runtime starts from (when one could be made)."""
    site = Path(config["site_dir"])
    vendor_npm.copy_katex(site / "assets" / "katex")  # maths, served with the site
    wheel = _state["wheel"]
    dest = site / "assets" / "simcore"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel, dest / wheel.name)
    for name in ("snapshot", "snapshot_nojspi"):
        if _state.get(name):
            out = site / _state["snapshot_dir"]
            out.mkdir(parents=True, exist_ok=True)
            shutil.copy2(_state[name], out / _state[name].name)
    if _state["mode"] != "self":
        return
    dist = _state["dist"]
    out = site / "assets" / "pyodide"
    out.mkdir(parents=True, exist_ok=True)
    compiled = _state.get("numpy")  # numpy's wheel byte-compiled, served instead of the release's
    skip = {vendor_pyodide.STAMP, "pyodide-lock.json", compiled.name if compiled else None}
    for f in dist.iterdir():
        if f.name not in skip:
            shutil.copy2(f, out / f.name)
    shutil.copy2(wheel, out / wheel.name)
    if compiled:
        shutil.copy2(compiled, out / compiled.name)
    (out / "pyodide-lock.json").write_text(_state["lock"])
