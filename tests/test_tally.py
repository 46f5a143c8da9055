"""The Reliability page's record: tests/tally.py keeps what passing tests counted, drops tests
that are gone, and hooks.reliability_table renders it."""

import json
import sys
from pathlib import Path

import pytest

import tally


def test_merge_keeps_unrun_replaces_run_and_drops_vanished():
    old = {"tests/test_api.py::test_a": {"counts": [["C", "x", 1]]},        # ran now: replaced
           "tests/test_api.py::test_gone": {"counts": [["C", "x", 5]]},     # not collected
           "tests/test_cli.py::test_b": {"counts": [["C", "y", 2]]},        # not collected
           "tests/test_nowhere.py::test_c": {"counts": [["C", "z", 3]]}}    # file deleted
    new = {"tests/test_api.py::test_a": {"counts": [["C", "x", 7]]}}
    # a partial run (a file, a test, -k) keeps what it did not run
    assert tally.merge(old, new, collected=None) == {
        "tests/test_api.py::test_a": {"counts": [["C", "x", 7]]},
        "tests/test_api.py::test_gone": {"counts": [["C", "x", 5]]},
        "tests/test_cli.py::test_b": {"counts": [["C", "y", 2]]}}
    # a whole-suite run drops what it did not collect
    whole = tally.merge(old, new, collected={"tests/test_api.py::test_a", "tests/test_cli.py::test_b"})
    assert whole == {"tests/test_api.py::test_a": {"counts": [["C", "x", 7]]},
                     "tests/test_cli.py::test_b": {"counts": [["C", "y", 2]]}}


def test_summary_adds_counts_across_tests():
    data = {"tests": {"t1": {"counts": [["Hostile input", "api", 3], ["Faults", "worker", 1]]},
                      "t2": {"counts": [["Hostile input", "api", 4]]}}}
    s = tally.summary(data)
    assert s["Hostile input"]["api"] == (7, ["t1", "t2"])
    assert s["Faults"]["worker"] == (1, ["t1"])


def test_count_rejects_negative():
    with pytest.raises(ValueError, match="n: -1"):
        tally.Tally().count("C", "x", -1)


def test_page_renders_the_record(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import hooks

    record = {"python": "3.11.7", "tests": {
        "tests/test_x.py::test_y": {"when": "2026-11-25 06:00 UTC",
                                    "counts": [["Hostile input", "<b>api</b>", 41]],
                                    "notes": ["peak 12 MB"]}}}
    path = tmp_path / "last-run.json"
    path.write_text(json.dumps(record))
    md = hooks.reliability_table(path)
    assert "### Hostile input" in md
    assert "| &lt;b&gt;api&lt;/b&gt; | 41 | `tests/test_x.py::test_y` |" in md
    assert "peak 12 MB" in md and "2026-11-25 06:00 UTC" in md


def test_page_without_a_record_says_how_to_make_one(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import hooks

    assert "bash scripts/test" in hooks.reliability_table(tmp_path / "missing.json")


def test_runs_write_outside_the_tracked_tree_and_publishing_is_explicit(tmp_path):
    """A test session writes the run record (under .artifacts/, ignored by git) and never the
    published record the page renders; `python tests/tally.py publish` copies a whole-suite,
    all-passed record, and refuses any other."""
    import subprocess
    root = Path(__file__).resolve().parents[1]
    assert tally.RECORD.is_relative_to(root / ".artifacts")
    ignored = subprocess.run(["git", "check-ignore", "-q", str(tally.RECORD)], cwd=root)
    assert ignored.returncode == 0, "the run record must be ignored by git"

    record, published = tmp_path / "run" / "last-run.json", tmp_path / "docs" / "last-run.json"
    published.parent.mkdir()
    published.write_text(json.dumps({"python": "3.11.7", "tests": {
        "tests/test_tally.py::test_count_rejects_negative": {"when": "earlier", "counts": [["C", "old", 1]], "notes": []}}}))
    before = published.read_text()
    t = tally.Tally()
    t.count("C", "x", 2)
    nodeid = "tests/test_tally.py::test_summary_adds_counts_across_tests"
    # a partial run starts from the published record and keeps its entries
    tally.write({nodeid: t}, None, record=record, published=published)
    assert published.read_text() == before
    data = json.loads(record.read_text())
    assert data["last_session"] == "partial" and len(data["tests"]) == 2
    with pytest.raises(RuntimeError, match="partial run; run the whole suite"):
        tally.publish(record, published)
    # a whole-suite run with a failure is not published either
    tally.write({nodeid: t}, {nodeid}, passed=False, record=record, published=published)
    with pytest.raises(RuntimeError, match="whole suite, with failures run"):
        tally.publish(record, published)
    tally.write({nodeid: t}, {nodeid}, record=record, published=published)
    assert "published 1 tests' counts" in tally.publish(record, published)
    assert json.loads(published.read_text())["tests"][nodeid]["counts"] == [["C", "x", 2]]
    with pytest.raises(RuntimeError, match="no run record"):
        tally.publish(tmp_path / "none.json", published)
