import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --- the Reliability page's counts (tests/tally.py) ---------------------------------------

from tally import Tally, write as _write_tally  # noqa: E402

_tallies: dict[str, Tally] = {}
_passed: set[str] = set()
_collected: set[str] = set()


@pytest.fixture
def tally(request):
    t = Tally()
    _tallies[request.node.nodeid] = t
    return t


def pytest_collection_modifyitems(session, config, items):
    _collected.update(item.nodeid for item in items)


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        _passed.add(report.nodeid)
    elif report.failed:
        _passed.discard(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    kept = {nodeid: t for nodeid, t in _tallies.items() if nodeid in _passed}
    _write_tally(kept, _collected)
