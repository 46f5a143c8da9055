"""The documentation site builds strictly (broken links or anchors fail the build)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mkdocs_build_strict(tmp_path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    exe = str(mkdocs) if mkdocs.exists() else shutil.which("mkdocs")
    out = subprocess.run([exe, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").exists()


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
