"""The robustness table of docs/degradation.md ("How robust is it?"), re-run row by row.

Each row is the default degradation experiment (five depths, ten networks, 100 epochs) with one
setting changed: eleven full experiments, 6.7 minutes of computing (4 min 45 s on two cores,
2026-12-06), half as much again as the rest of the suite, so these tests carry the `sweep` marker, which `bash scripts/test` leaves
out (pyproject.toml's addopts) and `bash scripts/test -m sweep` runs alone, two rows at a time.
The table's first row, the default experiment, is checked on every run by
tests/test_degradation.py (seed 0 of test_degradation_contract_default_cli), and so are the
depth-24-to-48 sweep and the per-seed results table of the same page.

The rows are computed exactly as `scripts/degradation_sweep.py`, which wrote the table, does.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.sweep

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from degradation_sweep import VARIANTS  # noqa: E402

D = "diverged"
# change: (variant of degradation_sweep.VARIANTS, seed, plain %, residual %, {(kind, depth index)
# of the runs that ended diverged}) as the page's table gives them (a † marks the diverged runs)
TABLE = {
    "lr 0.1": ("lr 0.1", 0, [2.0, 2.1, 2.1, 3.2, 45.4], [2.0, 2.1, 2.0, 2.0, 2.5], set()),
    "lr 0.2": ("lr 0.2", 0, [2.0, 1.9, 2.1, 24.9, 47.4], [2.1, 2.0, 2.0, 2.1, 2.2], set()),
    "lr 0.2, seed 1": ("lr 0.2", 1, [2.2, 2.1, 2.2, 14.7, 39.9], [2.2, 2.4, 2.2, 3.4, 31.1], set()),
    "lr 0.2, seed 2": ("lr 0.2", 2, [2.1, 2.1, 2.4, 10.3, 48.0], [2.2, 2.2, 2.4, 2.9, 34.0], set()),
    "lr 0.2 + warm-up 5": ("lr 0.2 + warm-up 5", 0, [2.0, 2.1, 2.1, 4.4, 42.4],
                           [1.9, 1.9, 2.0, 2.0, 1.9], set()),
    "lr 0.4": ("lr 0.4", 0, [2.0, 1.9, 2.1, 10.1, 49.8], [2.1, 2.0, 2.1, 39.2, 40.6], set()),
    "lr 0.4 + warm-up 5": ("lr 0.4 + warm-up 5", 0, [2.0, 2.1, 1.9, 17.5, 46.0],
                           [2.1, 1.9, 2.1, 2.7, 50.0], {("residual", 4)}),
    "no batch norm": ("no batch norm", 0, [1.7, 1.7, 1.9, 50.0, 50.0], [1.7, 1.7, 49.5, 50.0, 50.0],
                      {("plain", 3), ("residual", 2), ("residual", 3), ("residual", 4)}),
    "pre-activation": ("pre-activation", 0, [2.0, 1.7, 2.0, 8.4, 45.5], [1.9, 2.0, 1.7, 1.9, 1.6], set()),
    "width 16": ("width 16", 0, [1.9, 2.1, 2.0, 34.0, 43.6], [2.1, 1.9, 2.0, 2.0, 2.0], set()),
    "Adam lr 0.003": ("Adam lr 0.003", 0, [1.7, 2.0, 2.0, 2.9, 48.0], [1.7, 1.9, 2.1, 1.9, 1.9], set()),
}


def _run(row: str) -> dict:
    from simcore import api
    variant, seed = TABLE[row][:2]
    return api.degradation({**VARIANTS[variant], "seed": seed})


@pytest.fixture(scope="module")
def results() -> dict:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(TABLE, pool.map(_run, TABLE)))


@pytest.mark.parametrize("row", TABLE)
def test_robustness_row(results, row):
    _, _, plain, residual, diverged = TABLE[row]
    res = results[row]
    assert res["depths"] == [4, 8, 16, 32, 56]
    assert [round(100 * e, 1) for e in res["plain_train_error"]] == plain
    assert [round(100 * e, 1) for e in res["residual_train_error"]] == residual
    ended = {(kind, i) for kind in ("plain", "residual")
             for i, s in enumerate(res[f"{kind}_status"]) if s == D}
    assert ended == diverged
