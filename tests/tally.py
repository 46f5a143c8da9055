"""What the hardening tests tried, counted, for the Reliability page.

A test takes the ``tally`` fixture and counts what it does::

    def test_hostile_api(tally):
        for case in CASES:
            ...
            tally.count("Hostile input", "simcore.api")

When the test passes, its counts are kept; when the session ends, every kept test replaces its
own entry in the *run record*, ``.artifacts/reliability/last-run.json`` (outside the tracked
tree, so running the tests leaves it clean; a test that did not run keeps its entry from an
earlier run, or from the published record when there is no run record yet; a test that no
longer exists is dropped).

The Reliability page renders the *published* record, ``docs/reliability/last-run.json``
(``scripts/hooks.py``), so the page shows what the tests counted, never numbers typed by hand.
Publishing is an explicit step, after a whole-suite run::

    .venv/bin/python tests/tally.py publish

which refuses a record that a partial run (``-k``, a file, ``-m``) was the last to write.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "docs" / "reliability" / "last-run.json"    # what the Reliability page shows
RECORD = ROOT / ".artifacts" / "reliability" / "last-run.json"  # what the test runs write


class Tally:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.notes: list[str] = []

    def count(self, category: str, what: str, n: int = 1) -> None:
        """Add ``n`` to the count of ``what`` (e.g. "URL-hash fields") under ``category``
        (e.g. "Hostile input"). ``n`` may be 0: a measured zero is recorded as one."""
        if n < 0:
            raise ValueError(f"n: {n} is negative")
        self.counts[(category, what)] += int(n)

    def note(self, text: str) -> None:
        """One line kept with the counts (e.g. the memory figures of the soak)."""
        self.notes.append(text)


def merge(record: dict, results: dict[str, dict], collected: set[str] | None) -> dict:
    """``record`` (the file's ``tests``) with ``results`` (this session's passing tests) put in.
    ``collected``: every test id of a whole-suite run, whose record then drops the tests it did
    not collect (renamed or removed ones); ``None`` for a partial run (``-k``, a file, a test),
    which drops only entries whose test file is gone."""
    out = {}
    for nodeid, entry in record.items():
        exists = (ROOT / nodeid.split("::")[0]).exists()
        if exists and (collected is None or nodeid in collected):
            out[nodeid] = entry
    out.update(results)
    return dict(sorted(out.items()))


def write(results: dict[str, Tally], collected: set[str] | None, passed: bool = True,
          record: Path | None = None, published: Path | None = None) -> None:
    """Put this session's ``results`` into the run record (``RECORD``), starting from the
    published record when there is no run record yet. ``collected``: as :func:`merge` (``None``
    for a partial run); ``passed``: whether every test of the session passed. The published
    record is never written here."""
    record, published = record or RECORD, published or PUBLISHED
    base = record if record.exists() else published
    if not results and not base.exists():
        return
    old = json.loads(base.read_text()) if base.exists() else {"tests": {}}
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    new = {nodeid: {"when": when,
                    "counts": [[c, w, n] for (c, w), n in sorted(t.counts.items())],
                    "notes": t.notes}
           for nodeid, t in results.items()}
    data = {"about": "written by tests/tally.py at the end of each pytest session; do not edit",
            "python": platform.python_version(),
            "last_session": ("whole suite" if collected is not None else "partial")
                            + ("" if passed else ", with failures"),
            "tests": merge(old.get("tests", {}), new, collected)}
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def publish(record: Path | None = None, published: Path | None = None) -> str:
    """Copy the run record to the published record the Reliability page renders. Raises
    ``RuntimeError`` if there is no run record or a partial run was the last to write it."""
    record, published = record or RECORD, published or PUBLISHED
    if not record.exists():
        raise RuntimeError(f"no run record at {record}: run `bash scripts/test` first")
    data = json.loads(record.read_text())
    if data.get("last_session") != "whole suite":
        raise RuntimeError(f"{record} was last written by a {data.get('last_session', 'partial')} "
                           "run; run the whole suite (`bash scripts/test`) to a pass before "
                           "publishing")
    published.parent.mkdir(parents=True, exist_ok=True)
    published.write_text(record.read_text())
    return f"published {len(data['tests'])} tests' counts to {published}"


def summary(data: dict) -> dict[str, dict[str, tuple[int, list[str]]]]:
    """``{category: {what: (total, [test ids])}}`` over every test in the record."""
    out: dict[str, dict[str, list]] = {}
    for nodeid, entry in data["tests"].items():
        for category, what, n in entry["counts"]:
            slot = out.setdefault(category, {}).setdefault(what, [0, []])
            slot[0] += n
            slot[1].append(nodeid)
    return {c: {w: (t, ids) for w, (t, ids) in sorted(ws.items())} for c, ws in out.items()}


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["publish"]:
        sys.exit("usage: python tests/tally.py publish   (copies the run record "
                 ".artifacts/reliability/last-run.json to docs/reliability/last-run.json)")
    try:
        print(publish())
    except RuntimeError as e:
        sys.exit(str(e))
