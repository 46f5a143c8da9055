"""How robust is the default degradation experiment? Re-run it with one setting changed.

Usage: .venv/bin/python scripts/degradation_sweep.py [--seeds 0,1,2] [--out sweep.json]

Each row changes one field of ``simcore.api.DEGRADATION_DEFAULTS`` and reports the final
training error (%) per depth, plain and residual, exactly as ``python -m simcore degradation``
would. The numbers quoted in docs/degradation.md come from this script.
"""

from __future__ import annotations

import argparse
import json
import time

from simcore import api

VARIANTS = {
    "default": {},
    "depths 24-48": {"depths": [4, 24, 32, 40, 48]},
    "lr 0.1": {"lr": 0.1},
    "lr 0.2": {"lr": 0.2},
    "lr 0.2 + warm-up 5": {"lr": 0.2, "warmup": 5},
    "lr 0.4": {"lr": 0.4},
    "lr 0.4 + warm-up 5": {"lr": 0.4, "warmup": 5},
    "no batch norm": {"norm": False},
    "pre-activation": {"layout": "pre"},
    "width 16": {"width": 16},
    "Adam lr 0.003": {"optimizer": "adam", "lr": 0.003},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--only", default="", help="comma-separated variant names")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    rows = []
    names = [v for v in VARIANTS if not args.only or v in args.only.split(",")]
    for name in names:
        for seed in map(int, args.seeds.split(",")):
            t = time.perf_counter()
            res = api.degradation({**VARIANTS[name], "seed": seed})
            row = {"variant": name, "seed": seed, "depths": res["depths"],
                   "plain": [round(100 * e, 1) for e in res["plain_train_error"]],
                   "residual": [round(100 * e, 1) for e in res["residual_train_error"]],
                   "plain_status": res["plain_status"], "residual_status": res["residual_status"],
                   "seconds": round(time.perf_counter() - t, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
