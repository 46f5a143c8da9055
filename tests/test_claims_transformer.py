"""Every number of docs/transformer.md, re-run: the transformer task at the page's settings (the
widget's defaults, and the changes the page names), training only the layouts whose numbers the
page quotes (a layout alone gives the same numbers as in the run of all three:
tests/test_analysis_transformer.py)."""

import math

import pytest

from simcore import api
from simcore.transformer import LAYOUTS

from test_claims_lab import pct

RUNS: dict = {}


def run(*layouts, **change) -> dict:
    """The variants of ``layouts`` (all three when none is named) at the defaults with ``change``."""
    out = {}
    for layout in layouts or LAYOUTS:
        key = (layout, tuple(sorted(change.items())))
        if key not in RUNS:
            cfg = {**api.defaults("transformer"), **change, "layouts": layout}
            RUNS[key] = api.transformer(cfg)["variants"][layout]
        out[layout] = RUNS[key]
    return out


def test_the_page_describes_the_defaults():
    d = api.defaults("transformer")
    assert (d["layers"], d["width"], d["heads"], d["lr"], d["warmup"], d["length"], d["n"], d["epochs"]) \
        == (8, 16, 2, 0.02, 0.0, 5, 400, 15)
    assert round(d["n"] * d["test_fraction"]) == 80


def test_what_the_default_run_shows():
    v = run()
    pre, post, none = (v[k] for k in ("pre_ln", "post_ln", "no_residual"))
    assert pct(pre["final"]["test_acc"]) == 83.8
    assert max(pct(r["test_acc"]) for r in pre["history"]) == 95.3
    assert pct(post["final"]["test_acc"]) == 22.7
    losses = [r["train_loss"] for r in post["history"]]
    assert round(losses[3], 2) == 2.17 and round(losses[-1], 2) == 2.12
    assert all(abs(l - losses[-1]) < 0.06 for l in losses[3:])  # "then stays there"
    assert all(g < 0.001 for g in post["final"]["grad_norms"][:5])  # the first five layers
    assert pct(none["final"]["test_acc"]) == 11.0
    # the stream
    s = pre["init"]["stream"]
    assert (round(s[0], 2), round(s[-1], 2), round(pre["final"]["stream"][-1], 1)) == (1.39, 2.54, 13.6)
    assert all(b > a for a, b in zip(s, s[1:]))
    assert all(round(x, 2) == 1.00 for x in post["init"]["stream"][1:])
    # the gradients at initialisation
    gp, gq = post["init"]["grad_norms"], pre["init"]["grad_norms"]
    assert (round(min(gp), 2), round(max(gp), 2), round(min(gq), 2), round(max(gq), 2)) == (1.01, 1.22, 0.37, 0.56)
    assert (round(gq[0], 2), round(gq[-1], 2)) == (0.56, 0.37)
    assert (round(gp[0], 2), round(gp[-1], 2), max(range(8), key=gp.__getitem__) + 1) == (1.01, 1.04, 3)


@pytest.mark.parametrize("seed, pre, post, none, grads", [
    (1, 91.3, 11.3, 10.0, (0.66, 1.24)), (2, 93.5, 20.7, 9.8, (0.65, 1.01))])
def test_other_seeds_give_the_same_picture(seed, pre, post, none, grads):
    v = run(seed=seed)
    assert [pct(v[k]["final"]["test_acc"]) for k in ("pre_ln", "post_ln", "no_residual")] == [pre, post, none]
    g = v["post_ln"]["init"]["grad_norms"]
    assert (round(g[0], 2), round(g[-1], 2)) == grads


def test_warm_up_depth_and_learning_rate():
    v = run("post_ln", "pre_ln", warmup=3)
    assert (pct(v["post_ln"]["final"]["test_acc"]), pct(v["pre_ln"]["final"]["test_acc"])) == (60.0, 93.2)
    v = run("post_ln", "pre_ln", layers=4)
    assert (pct(v["post_ln"]["final"]["test_acc"]), pct(v["pre_ln"]["final"]["test_acc"])) == (89.2, 95.3)
    assert pct(run("no_residual", layers=2)["no_residual"]["final"]["test_acc"]) == 52.8
    assert run("post_ln", lr=0.005)["post_ln"]["final"]["test_acc"] > 0.9  # "post-LN trains at 8 layers"


def test_the_loss_of_ignoring_the_input():
    """Post-LN's plateau (2.12) lies between a uniform guess (log 10 = 2.30) and the loss of
    predicting each sorted position's digit frequencies without reading the input (1.80)."""
    from collections import Counter

    import numpy as np

    from simcore.analysis.transformer import sequences

    seqs = sequences(20000, 5, np.random.default_rng(1))[:, 6:]
    entropy = 0.0
    for pos in range(5):
        counts = Counter(seqs[:, pos])
        entropy -= sum(c / len(seqs) * math.log(c / len(seqs)) for c in counts.values()) / 5
    assert round(entropy, 2) == 1.80 and round(math.log(10), 2) == 2.30
    assert entropy < run("post_ln")["post_ln"]["final"]["train_loss"] < math.log(10)
