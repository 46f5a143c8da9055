"""The runtime starts from the build's memory snapshot of Pyodide (scripts/snapshot.py), and from
scratch whenever the snapshot cannot be used: missing, altered in transit, or refused by Pyodide
itself. Either way the numbers are simcore's (the same as natively)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
from sim_page import assert_equal_numbers, shown_numbers, wait_done, widget_config
from test_identity_widget import native_numbers

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import snapshot  # noqa: E402
import sri  # noqa: E402
import vendor_pyodide  # noqa: E402

ROOT = '[data-sim="identity"]'
URL = "/lab/identity/"  # its default settings: widget_config() gives them
BOOT = """async () => (await (await import(new URL('../../javascripts/sim/bridge.js', location.href).href)).start()).boot"""
SNAPSHOT = "**/assets/pyodide/snapshot-*.bin.gz"


def _config(site: Path) -> dict:
    html = (site / "lab" / "identity" / "index.html").read_text()
    return json.loads(re.search(r'<script id="sim-config"[^>]*>(.*?)</script>', html, re.S).group(1))


def _run(probe, base_url) -> dict:
    page = probe.page
    page.goto(base_url + URL)
    page.wait_for_selector(f"{ROOT} form")
    page.click(f"{ROOT} [data-action=run]")
    wait_done(page, ROOT)
    assert_equal_numbers(shown_numbers(page, ROOT), native_numbers(widget_config(page, ROOT)))
    return page.evaluate(BOOT)


def test_the_build_ships_the_snapshot_it_names(site):
    """Browsers with JSPI get the snapshot with numpy and simcore imported: Pyodide's snapshot
    made from the very runtime the site serves, numpy's libraries exactly as in the wheel the
    site serves, and the page's simcore wheel; the name carries the hash of all three."""
    page_cfg = _config(site)
    cfg = page_cfg["snapshot"]
    served = site / cfg["url"]
    dist = vendor_pyodide.default_dest(page_cfg["pyodideVersion"])
    for name in snapshot.INPUTS:
        assert (site / "assets" / "pyodide" / name).read_bytes() == (dist / name).read_bytes()
    numpy = site / "assets" / "pyodide" / snapshot.numpy_wheel(dist)
    simcore = site / "assets" / "pyodide" / Path(page_cfg["wheelURL"]).name
    key = snapshot.packaged_key(dist, numpy, simcore)[:24]
    assert served.is_file() and served.name == f"snapshot-packaged-{key}.bin.gz"
    data = served.read_bytes()
    assert cfg["integrity"] == sri.integrity(data)
    header, raw, libs, files = snapshot.unpack(gzip.decompress(data))
    assert header["simcore"] == page_cfg["wheelSha256"]
    # simcore's data files, as in its wheel (its modules are in the memory)
    with zipfile.ZipFile(simcore) as wheel:
        assert files == {n: wheel.read(n) for n in wheel.namelist() if not n.endswith(".pyc")}
    assert "simcore/_data/digits.npz" in files
    # Pyodide's snapshot header: a magic number, then the build id of the Pyodide it was made
    # with, which must be the served runtime's (pyodide.mjs carries it)
    build_id = re.search(r'BUILD_ID:"([0-9a-f]{64})"', (site / "assets" / "pyodide" / "pyodide.mjs").read_text()).group(1)
    words = [int.from_bytes(raw[16 + 4 * i:20 + 4 * i], "little") for i in range(8)]
    assert "".join(f"{w:08x}" for w in words) == build_id
    assert len(raw) > 16 << 20  # the whole WebAssembly memory after start-up
    # numpy's libraries that importing numpy and training opened, in the order of their table
    # entries, byte for byte the wheel's
    wheel = zipfile.ZipFile(numpy)
    names = [lib["name"].split("/site-packages/")[1] for lib in header["libs"]]
    assert "numpy/_core/_multiarray_umath.cpython-312-wasm32-emscripten.so" in names
    assert any(n.startswith("numpy/random/") for n in names)
    assert [wheel.read(n) for n in names] == libs
    bases = [lib["tableBase"] for lib in header["libs"]]
    assert bases == sorted(bases) and header["tableStart"] <= bases[0] < bases[-1] < header["tableEnd"]
    assert cfg["packages"] is True
    # browsers without JSPI: their own, made in WebKit
    nojspi = snapshot.packaged_key(dist, numpy, simcore, "nojspi")[:24]
    assert Path(page_cfg["snapshotNoJspi"]["url"]).name == f"snapshot-packaged-nojspi-{nojspi}.bin.gz"
    assert page_cfg["snapshotNoJspi"]["packages"] is True
    header, *_ = snapshot.unpack(gzip.decompress((site / page_cfg["snapshotNoJspi"]["url"]).read_bytes()))
    assert header["simcore"] == page_cfg["wheelSha256"] and [lib["name"] for lib in header["libs"]][0].endswith(
        "_multiarray_umath.cpython-312-wasm32-emscripten.so")


def test_the_site_serves_numpy_byte_compiled(site):
    """numpy's wheel as the release has it, but each module byte-compiled by Pyodide's Python:
    the same files otherwise, byte for byte, and the lock file pins the wheel served."""
    cfg = _config(site)
    dist = vendor_pyodide.default_dest(cfg["pyodideVersion"])
    name = snapshot.numpy_wheel(dist)
    served = site / "assets" / "pyodide" / name
    lock = json.loads((site / "assets" / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["packages"]["numpy"]["sha256"] == hashlib.sha256(served.read_bytes()).hexdigest()
    release, ours = zipfile.ZipFile(dist / name), zipfile.ZipFile(served)
    modules = {n for n in release.namelist() if n.endswith(".py")}
    assert len(modules) > 150
    assert set(ours.namelist()) == (set(release.namelist()) - modules) | {n + "c" for n in modules}
    for n in release.namelist():
        if n in modules:
            pyc = ours.read(n + "c")
            assert pyc[:4] == (3531).to_bytes(2, "little") + b"\r\n", n  # CPython 3.12's magic number
        elif not n.endswith("RECORD"):
            assert ours.read(n) == release.read(n), n


def test_the_site_serves_simcore_byte_compiled(site, tmp_path):
    """simcore's wheel as scripts/build_wheel.py writes it, but each module byte-compiled by
    Pyodide's Python (no compilation at import in the browser); the page and the lock file pin
    the wheel served (every simulation test runs it)."""
    import build_wheel  # noqa: PLC0415

    cfg = _config(site)
    served = site / "assets" / "pyodide" / Path(cfg["wheelURL"]).name
    assert (site / cfg["wheelURL"]).read_bytes() == served.read_bytes()
    lock = json.loads((site / "assets" / "pyodide" / "pyodide-lock.json").read_text())
    assert cfg["wheelSha256"] == lock["packages"]["simcore"]["sha256"] == hashlib.sha256(served.read_bytes()).hexdigest()
    source, ours = zipfile.ZipFile(build_wheel.build(tmp_path)), zipfile.ZipFile(served)
    modules = {n for n in source.namelist() if n.endswith(".py")}
    assert "simcore/api.py" in modules and "simcore/_data/digits.npz" in source.namelist()
    assert set(ours.namelist()) == (set(source.namelist()) - modules) | {n + "c" for n in modules}
    for n in source.namelist():
        if n in modules:
            assert ours.read(n + "c")[:4] == (3531).to_bytes(2, "little") + b"\r\n", n
        elif not n.endswith("RECORD"):
            assert ours.read(n) == source.read(n), n


def test_the_runtime_starts_from_the_snapshot(probe, base_url, tally):
    """... with numpy and simcore imported: no wheel is downloaded."""
    helper = []  # the page's helper worker that fetches and gunzips it (inflate.js)
    probe.page.on("request", lambda r: r.url.endswith("/inflate.js") and helper.append(r.url))
    wheels = []
    probe.page.on("request", lambda r: r.url.endswith(".whl") and wheels.append(r.url))
    boot = _run(probe, base_url)
    assert boot["snapshot"] is True and boot["packages"] is True and len(helper) == 1, (boot, helper)
    assert wheels == []
    assert set(boot["ms"]) >= {"scripts_imported", "runtime", "packages", "simcore"}
    probe.assert_clean()
    tally.count("Runtime", "boots from the build's memory snapshot, numpy and simcore in it")


def test_a_missing_snapshot_means_a_boot_from_scratch(probe, base_url, tally):
    probe.page.route(SNAPSHOT, lambda route: route.fulfill(status=404, body=b""))
    boot = _run(probe, base_url)
    assert boot == {**boot, "snapshot": False, "why": "the snapshot could not be fetched"}
    probe.failed = [f for f in probe.failed if "snapshot-" not in f]  # the 404 we served
    probe.assert_clean()
    tally.count("Faults", "snapshot missing (booted from scratch)")


def test_an_altered_snapshot_is_not_used(probe, base_url, tally):
    def tamper(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.body() + b"\0")

    probe.page.route(SNAPSHOT, tamper)
    boot = _run(probe, base_url)
    assert boot == {**boot, "snapshot": False, "why": "the snapshot could not be fetched"}
    assert probe.failed == []
    # the browser reports the integrity failure itself, nothing else goes wrong
    assert all("integrity" in e for e in probe.console_errors), probe.console_errors
    tally.count("Faults", "snapshot altered in transit (refused, booted from scratch)")


REFUSED = {
    "another build": "build id mismatch",
    "not a snapshot": "invalid magic number",
    "another table": "the function table has ",
    "another simcore": "it holds another simcore wheel than this page's",
}


@pytest.mark.parametrize("how", list(REFUSED))
def test_a_snapshot_that_cannot_be_used_means_a_boot_from_scratch(probe, base_url, site, how, tally):
    """A snapshot that passes the integrity check but cannot be used: one Pyodide refuses (made
    by another build of Pyodide, or not a snapshot at all), one whose function table does not
    start where the runtime's does, one of another simcore wheel. The worker boots again from
    scratch and installs numpy and simcore itself."""
    cfg = _config(site)
    header, raw, libs, files = snapshot.unpack(gzip.decompress((site / cfg["snapshot"]["url"]).read_bytes()))
    raw = bytearray(raw)
    if how == "another build":
        raw[16] ^= 0xFF  # the first byte of the build id
    elif how == "not a snapshot":
        raw[0:4] = b"\0\0\0\0"  # the magic number
    elif how == "another table":
        header["tableStart"] += 1
    else:
        header["simcore"] = "0" * 64
    bad = gzip.compress(snapshot.pack(header, bytes(raw), libs, files), compresslevel=1)
    integrity = sri.integrity(bad)
    page = probe.page

    def page_with_new_hash(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(cfg["snapshot"]["integrity"], integrity))

    page.route("**/lab/identity/", page_with_new_hash)
    page.route(SNAPSHOT, lambda route: route.fulfill(status=200, body=bad, content_type="application/gzip"))
    boot = _run(probe, base_url)
    assert boot["snapshot"] is False and boot["why"].startswith("the snapshot was refused ("), boot
    assert REFUSED[how] in boot["why"]
    probe.assert_clean()
    tally.count("Faults", "snapshot refused (booted again from scratch)")


def test_without_the_helper_the_worker_fetches_the_snapshot_itself(probe, base_url, tally):
    """The page gunzips the snapshot in a helper worker (inflate.js) when it can; a page that
    cannot (here: no DecompressionStream on the page) leaves it to the simulation worker."""
    probe.page.add_init_script("delete window.DecompressionStream;")
    helper = []
    probe.page.on("request", lambda r: r.url.endswith("/inflate.js") and helper.append(r.url))
    boot = _run(probe, base_url)
    assert boot["snapshot"] is True and helper == [], (boot, helper)
    probe.assert_clean()
    tally.count("Runtime", "boots from the snapshot without the page's helper")


def test_a_helper_that_cannot_start_means_a_boot_from_scratch(probe, base_url, tally):
    probe.page.route("**/javascripts/sim/inflate.js", lambda route: route.fulfill(status=404, body=b""))
    boot = _run(probe, base_url)
    assert boot == {**boot, "snapshot": False, "why": "the snapshot could not be fetched"}
    probe.failed = [f for f in probe.failed if "inflate.js" not in f]  # the 404 we served
    probe.console_errors = [e for e in probe.console_errors if "404" not in e]
    probe.assert_clean()
    tally.count("Faults", "snapshot helper missing (booted from scratch)")
