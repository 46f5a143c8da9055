import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --- the Reliability page's counts (tests/tally.py) ---------------------------------------
# Tests count into a Tally; when the session ends, the counts of the tests that passed are
# written. Under pytest-xdist each worker hands its tallies and collected test ids to the
# controller (workeroutput), which alone sees every report and writes the file.

from tally import Tally, write as _write_tally  # noqa: E402

_tallies: dict[str, Tally] = {}
_passed: set[str] = set()
_collected: set[str] = set()


@pytest.fixture
def tally(request):
    t = Tally()
    _tallies[request.node.nodeid] = t
    return t


# The files that take longest (minutes each, measured with --durations in whole-suite runs)
# start first: pytest-xdist hands out whole files in collection order, and a run that reached
# one of these last spent its end waiting on it with the other core idle.
LONGEST_FIRST = ("tests/test_degradation.py", "tests/browser/test_accessibility.py",
                 "tests/browser/test_pages.py", "tests/test_claims_transformer.py",
                 "tests/test_claims_lab.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable
    _collected.update(item.nodeid for item in items)


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        _passed.add(report.nodeid)
    elif report.failed:
        _passed.discard(report.nodeid)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: only called when xdist runs
def pytest_testnodedown(node, error):  # controller, once per finished xdist worker
    out = getattr(node, "workeroutput", {}).get("tally")
    if out:
        data = json.loads(out)
        _collected.update(data["collected"])
        for nodeid, counts in data["tallies"].items():
            t = _tallies.setdefault(nodeid, Tally())
            for category, what, n in counts["counts"]:
                t.count(category, what, n)
            t.notes.extend(counts["notes"])


def pytest_sessionfinish(session, exitstatus):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller writes
        workeroutput["tally"] = json.dumps({
            "collected": sorted(_collected),
            "tallies": {i: {"counts": [[c, w, n] for (c, w), n in t.counts.items()], "notes": t.notes}
                        for i, t in _tallies.items()}})
        return
    kept = {nodeid: t for nodeid, t in _tallies.items() if nodeid in _passed}
    opt = session.config.option
    whole = not session.config.args or [Path(a).resolve() for a in session.config.args] == [Path(__file__).parent]
    # pyproject's addopts leave out the opt-in `sweep` tests: that is still the whole suite
    whole = whole and not opt.keyword and opt.markexpr in ("", "not sweep") and not getattr(opt, "lf", False)
    _write_tally(kept, _collected if whole else None, passed=exitstatus == 0)
