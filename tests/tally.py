"""What the hardening tests tried, counted, for the Reliability page.

A test takes the ``tally`` fixture and counts what it does::

    def test_hostile_api(tally):
        for case in CASES:
            ...
            tally.count("Hostile input", "simcore.api")

When the test passes, its counts are kept; when the session ends, every kept test replaces its
own entry in ``docs/reliability/last-run.json`` (a test that did not run keeps its entry from
an earlier run; a test that no longer exists is dropped). ``scripts/hooks.py`` renders that file
into the Reliability page, so the page shows what the tests counted, never numbers typed by hand.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "docs" / "reliability" / "last-run.json"


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


def write(results: dict[str, Tally], collected: set[str] | None) -> None:
    if not results and not RECORD.exists():
        return
    old = json.loads(RECORD.read_text()) if RECORD.exists() else {"tests": {}}
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    new = {nodeid: {"when": when,
                    "counts": [[c, w, n] for (c, w), n in sorted(t.counts.items())],
                    "notes": t.notes}
           for nodeid, t in results.items()}
    data = {"about": "written by tests/tally.py at the end of each pytest session; do not edit",
            "python": platform.python_version(),
            "tests": merge(old.get("tests", {}), new, collected)}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def summary(data: dict) -> dict[str, dict[str, tuple[int, list[str]]]]:
    """``{category: {what: (total, [test ids])}}`` over every test in the record."""
    out: dict[str, dict[str, list]] = {}
    for nodeid, entry in data["tests"].items():
        for category, what, n in entry["counts"]:
            slot = out.setdefault(category, {}).setdefault(what, [0, []])
            slot[0] += n
            slot[1].append(nodeid)
    return {c: {w: (t, ids) for w, (t, ids) in sorted(ws.items())} for c, ws in out.items()}
