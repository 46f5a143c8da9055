"""The documentation site builds strictly (broken links or anchors fail the build)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mkdocs_build_strict(tmp_path):
    """The default (cdn-mode) build: strict, and every page carries the runtime settings that
    point at the pinned CDN and at a simcore wheel whose sha256 matches the file served."""
    import hashlib
    import json
    import os
    import re

    mkdocs = Path(sys.executable).parent / "mkdocs"
    exe = str(mkdocs) if mkdocs.exists() else shutil.which("mkdocs")
    sys.path.insert(0, str(ROOT / "scripts"))
    import sri
    import vendor_pyodide

    version = re.search(r"^\s+version: ([\d.]+)", (ROOT / "mkdocs.yml").read_text(), re.M).group(1)
    # the runtime's integrity hashes from a release folder (this machine cannot reach the CDN)
    dist = vendor_pyodide.vendor(version)
    env = {k: v for k, v in os.environ.items() if k != "PYODIDE_MODE"}
    env.update(PYODIDE_SRI="require", PYODIDE_SRI_SOURCE=str(dist))
    site = tmp_path / "site"
    out = subprocess.run([exe, "build", "--strict", "--site-dir", str(site)],
                         cwd=ROOT, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (site / "index.html").exists()
    page = (site / "trainer" / "index.html").read_text()
    cfg = json.loads(re.search(r'<script id="sim-config"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert cfg["mode"] == "cdn" and cfg["pyodideVersion"] == version
    assert cfg["integrity"] == sri.of_folder(dist) and len(cfg["integrity"]) == 5
    assert cfg["indexURL"] == f"https://cdn.jsdelivr.net/pyodide/v{version}/full/"
    wheel = site / cfg["wheelURL"]
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == cfg["wheelSha256"]
    assert not (site / "assets" / "pyodide").exists(), "cdn mode must not ship Pyodide"
    # the memory snapshot of the CDN's runtime (made from the files hashed above), served here
    snap = site / cfg["snapshot"]["url"]
    assert cfg["snapshot"]["url"].startswith("assets/pyodide-snapshot/snapshot-packaged-")
    assert cfg["snapshot"]["packages"] is True  # numpy and simcore in it: nothing fetched ahead
    assert sri.integrity(snap.read_bytes()) == cfg["snapshot"]["integrity"]
    assert 'data-sim="trainer"' in page and "fonts.googleapis" not in page
    # nothing is read from another host at read time but the pinned Pyodide CDN (in the
    # worker): the maths engine and its fonts are served with the site
    katex = site / "assets" / "katex"
    assert (katex / "katex.min.js").exists() and (katex / "auto-render.min.js").exists()
    css = (katex / "katex.min.css").read_text()
    fonts = set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css))
    assert fonts and all((katex / f).exists() for f in fonts)
    import base64
    for html in site.rglob("*.html"):
        text = html.read_text()
        # a Content-Security-Policy leads every page's head: only this site and the pinned
        # CDN; inline scripts only by hash, and every inline script the page has is hashed
        if "<head>" in text:
            csp = re.search(r'<head>\s*<meta http-equiv="Content-Security-Policy" content="([^"]+)">', text)
            assert csp, html
            rules = dict(r.strip().split(" ", 1) for r in csp.group(1).split(";"))
            assert rules["default-src"] == "'self'" and rules["object-src"] == "'none'"
            assert "'unsafe-inline'" not in rules["script-src"] and "'unsafe-eval'" not in rules["script-src"]
            assert rules["connect-src"] == "'self' https://cdn.jsdelivr.net"
            for attrs, body in re.findall(r"<script(?![^>]*\ssrc=)([^>]*)>(.*?)</script>", text, re.S):
                if body.strip() and "application/json" not in attrs:
                    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                    assert f"'sha256-{digest}'" in rules["script-src"], html
            assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", text), f"inline event handler in {html}"
        # every link and reference inside the site resolves to a file of the site (MkDocs checks
        # Markdown pages; this also covers notebooks, templates and generated HTML)
        for ref in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', text):
            if re.match(r"^[a-z]+:", ref) or ref.startswith("//"):
                continue
            target = (site / ref.lstrip("/") if ref.startswith("/") else html.parent / ref).resolve()
            if ref.endswith("/") or target.is_dir():
                target = target / "index.html"
            assert target.exists(), f"{html.relative_to(site)} links to {ref}, which is not in the site"
        for m in re.finditer(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"[^>]*>', text):
            if 'rel="canonical"' in m.group(0):
                continue  # names the page, fetches nothing
            assert m.group(1).startswith("https://cdn.jsdelivr.net/pyodide/"), (html, m.group(0))


def load_hooks():
    import importlib.util
    spec = importlib.util.spec_from_file_location("hooks", ROOT / "scripts" / "hooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fields_table_is_generated_from_the_api():
    from simcore import api
    table = load_hooks().render_markers("<!-- simcore:fields -->")
    for field in api.FIELDS:
        assert f"| `{field}` |" in table, field
    assert "<!-- simcore:" not in table
    assert "`4,8,16,32,56`" in table  # the degradation default depths


def test_unknown_marker_fails_the_build():
    import pytest
    with pytest.raises(ValueError, match="unknown simcore marker 'nope'"):
        load_hooks().render_markers("<!-- simcore:nope -->")
