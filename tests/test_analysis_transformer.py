"""The transformer task: the sorting data, the three layouts trained alike on the same batches,
what each record holds, its fields and its work budget, and the CLI."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from simcore import api
from simcore.analysis import transformer as tr
from simcore.transformer import LAYOUTS

FAST = {"layers": 2, "width": 8, "heads": 2, "length": 3, "n": 60, "epochs": 2, "batch_size": 16}


def test_sequences_are_digits_then_separator_then_sorted():
    seqs = tr.sequences(50, 4, np.random.default_rng(0))
    assert seqs.shape == (50, 9)
    assert (seqs[:, 4] == tr.SEP).all() and seqs[:, :4].max() <= 9
    np.testing.assert_array_equal(seqs[:, 5:], np.sort(seqs[:, :4], axis=1))
    np.testing.assert_array_equal(seqs, tr.sequences(50, 4, np.random.default_rng(0)))


def test_the_three_layouts_train_on_the_same_data_and_record_everything():
    res = api.transformer(FAST)
    json.dumps(res, allow_nan=False)  # strict JSON
    assert list(res["variants"]) == list(LAYOUTS)
    for layout, v in res["variants"].items():
        h = v["history"]
        assert [r["epoch"] for r in h] == [0, 1, 2]
        assert v["final"] == h[-1]
        assert v["init"] == {"grad_norms": h[0]["grad_norms"], "stream": h[0]["stream"]}
        for r in h:
            assert set(r) == {"epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc",
                              "status", "grad_norms", "stream"}
            assert len(r["grad_norms"]) == 2 and len(r["stream"]) == 3
            assert 0 <= r["train_acc"] <= 1 and r["status"] == "ok"
        # the initial network knows nothing: about chance (10 digits) and log 10 in loss
        assert abs(h[0]["train_loss"] - math.log(10)) < 1.5
    # the layouts start from the same embeddings: the stream they start with is the same
    starts = {v["history"][0]["stream"][0] for v in res["variants"].values()}
    assert len(starts) == 1
    # and the run is the same run every time, bit for bit
    assert api.transformer(FAST)["variants"] == res["variants"]


def test_one_layout_alone_is_that_layout_of_the_three():
    """``layouts`` picks one layout (the page trains them one call each, to draw each as it
    ends): its numbers are the same as in the run of all three, bit for bit, at a third of the
    work; "all" is the default."""
    every = api.transformer(FAST)
    assert api.transformer({**FAST, "layouts": "all"})["variants"] == every["variants"]
    for layout in LAYOUTS:
        alone = api.transformer({**FAST, "layouts": layout})
        assert list(alone["variants"]) == [layout] and alone["variants"][layout] == every["variants"][layout]
        assert 3 * api.work("transformer", {**FAST, "layouts": layout}) == pytest.approx(api.work("transformer", FAST))
    with pytest.raises(ValueError, match="^layouts: 'pre' is not allowed"):
        api.transformer({**FAST, "layouts": "pre"})


def test_warm_up_and_learning_rate():
    cfg = {**FAST, "epochs": 3, "warmup": 2, "n": 40, "test_fraction": 0.2}  # 32 train: 2 steps an epoch
    h = api.transformer(cfg)["variants"]["pre_ln"]["history"]
    lr = cfg.get("lr", tr.DEFAULTS["lr"])
    assert [r["lr"] for r in h] == [0.0, lr * 2 / 4, lr, lr]  # the last step of each epoch


def test_learning_to_sort_and_the_stream_of_each_layout():
    """At a small scale that learns: pre-LN's stream grows layer by layer, post-LN's is
    normalised at every boundary, and training lowers the loss."""
    res = api.transformer({**FAST, "layers": 3, "width": 16, "n": 200, "epochs": 6, "lr": 0.01})
    v = res["variants"]
    for layout in ("pre_ln", "post_ln"):
        h = v[layout]["history"]
        assert h[-1]["train_loss"] < 0.6 * h[0]["train_loss"], layout
    post = v["post_ln"]["init"]["stream"][1:]
    assert all(abs(s - 1) < 1e-3 for s in post), post  # LN's output at init (γ 1, β 0): RMS 1
    pre = v["pre_ln"]["final"]["stream"]
    assert all(b > a for a, b in zip(pre, pre[1:])), pre


def test_fields_and_budget():
    with pytest.raises(ValueError, match="^heads: 3 must divide width 8"):
        api.transformer({**FAST, "heads": 3})
    with pytest.raises(ValueError, match="^heads: 8 must divide width 8 into heads of at least 2"):
        api.transformer({**FAST, "heads": 8})
    for field, bad in (("layers", 0), ("layers", 17), ("length", 13), ("heads", 9), ("warmup", -1)):
        with pytest.raises(ValueError, match=f"^{field}:"):
            api.transformer({**FAST, field: bad})
    with pytest.raises(ValueError, match="^batch_size: 700 sequences of 24 tokens at width 256 need 131 MB"):
        api.transformer({"layers": 1, "width": 256, "length": 12, "n": 700, "batch_size": 5000, "epochs": 1})
    api.transformer({**FAST, "batch_size": 5000})  # a batch larger than the data: the data
    with pytest.raises(ValueError, match="over the budget of"):
        api.transformer({"layers": 16, "width": 256, "n": 5000, "epochs": 500})
    assert api.work("transformer", {}) < api.BUDGET / 4  # the default: a fraction of it


def test_cli_text_and_json():
    args = [f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()]
    out = subprocess.run([sys.executable, "-m", "simcore", "transformer", *args], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith("2 layers, width 8, 2 heads, sorting 3 digits")
    assert [l.split()[0] for l in lines[2:]] == list(LAYOUTS)
    js = subprocess.run([sys.executable, "-m", "simcore", "transformer", "--json", *args], capture_output=True, text=True, check=True).stdout
    assert json.loads(js)["variants"]["post_ln"]["history"] == api.transformer(FAST)["variants"]["post_ln"]["history"]
