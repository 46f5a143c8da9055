"""The degradation contract: deeper plain nets train worse; residual nets do not.

The fast test runs a reduced configuration on every test run; the slow test runs the default
experiment exactly as `python -m simcore degradation --json` does, for seeds 0, 1 and 2.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from simcore import api

FAST = {"n": 400, "width": 16, "depths": [4, 24], "epochs": 60, "batch_size": 32}


def assert_contract(res: dict, seed: int) -> None:
    depths = res["depths"]
    plain, resid = res["plain_train_error"], res["residual_train_error"]
    assert depths == sorted(depths) and all(isinstance(d, int) for d in depths)
    assert len(plain) == len(resid) == len(depths)
    assert all(0.0 <= e <= 1.0 for e in plain + resid)
    msg = f"seed {seed}: plain {plain}, residual {resid}"
    assert plain[-1] >= plain[0] + 0.05, "deepest plain net not 5 points worse than shallowest; " + msg
    assert resid[-1] <= resid[0] + 0.01, "deepest residual net worse than shallowest; " + msg
    assert resid[-1] < plain[-1], "deepest residual net not better than deepest plain; " + msg


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_degradation_contract_fast(seed):
    assert_contract(api.degradation({**FAST, "seed": seed}), seed)


def _cli(args: list[str]) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-m", "simcore", "degradation", "--json", *args],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


# docs/degradation.md, "Results": final training error (%) per depth 4, 8, 16, 32, 56
RESULTS = {
    "plain": [[2.0, 1.7, 2.1, 3.1, 44.8], [2.2, 2.1, 2.2, 6.0, 35.5], [2.2, 2.2, 2.6, 16.0, 28.1]],
    "residual": [[2.1, 1.9, 2.0, 2.0, 2.0], [2.2, 2.2, 2.2, 2.1, 2.1], [2.1, 2.4, 2.2, 2.1, 2.1]],
}


@pytest.mark.slow
def test_degradation_contract_default_cli():
    """The default experiment through the CLI, seeds 0-2, and the page's sweep of depths 24 to 48
    for seed 0 (`scripts/degradation_sweep.py --only "depths 24-48"`; depths 4 and 32 are the
    default run's: every depth trains its own pair of nets from the seed). All four at once, one
    BLAS thread each: on two cores that ends sooner than in turns."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(_cli, [["--seed", "0"], ["--seed", "1"], ["--seed", "2"],
                                    ["--seed", "0", "--depths", "24,40,48"]]))
    results, sweep = runs[:3], runs[3]
    for kind in ("plain", "residual"):
        assert [[round(100 * e, 1) for e in r[f"{kind}_train_error"]] for r in results] == RESULTS[kind]
    # "Between the extremes the rise is gradual": depths 4, 24, 32, 40, 48
    assert sweep["depths"] == [24, 40, 48]
    plain = [results[0]["plain_train_error"][0], sweep["plain_train_error"][0],
             results[0]["plain_train_error"][3], *sweep["plain_train_error"][1:]]
    assert [round(100 * e, 1) for e in plain] == [2.0, 2.2, 3.1, 21.4, 41.5]
    residual = [results[0]["residual_train_error"][0], sweep["residual_train_error"][0],
                results[0]["residual_train_error"][3], *sweep["residual_train_error"][1:]]
    assert all(2.0 <= round(100 * e, 1) <= 2.1 for e in residual), residual
    for seed, res in enumerate(results):
        assert res["depths"] == [4, 8, 16, 32, 56]
        assert set(res) >= {"depths", "plain_train_error", "residual_train_error"}
        assert_contract(res, seed)
    # docs/degradation.md, "It is not overfitting": seed 0's 56-layer plain net ends at 44.8 %
    # training and 50.5 % test error, the 4-layer one at 2.0 % and 4.0 %; the training error
    # rose by 43 points, the test-minus-training gap by less than 4
    r = results[0]
    pt, pe = r["plain_train_error"], r["plain_test_error"]
    assert [round(100 * v, 1) for v in (pt[-1], pe[-1], pt[0], pe[0])] == [44.8, 50.5, 2.0, 4.0]
    assert round(100 * (pt[-1] - pt[0])) == 43
    assert (pe[-1] - pt[-1]) - (pe[0] - pt[0]) < 0.04
