"""Numbers the pages state in prose, checked against simcore (docs/family.md)."""

from simcore.variants import count


def test_family_page_claims():
    r18, p18 = count("resnet18"), count("plain18")
    assert r18["params"] - p18["params"] == 173_824
    assert round(100 * (r18["params"] - p18["params"]) / r18["params"], 1) == 1.5
    for n in (20, 32, 44, 56, 110):
        c, p = count(f"cifar_resnet{n}"), count(f"cifar_plain{n}")
        assert (c["params"], c["macs"]) == (p["params"], p["macs"])
    r50, r34, d121 = count("resnet50"), count("resnet34"), count("densenet121")
    assert round(100 * (r50["params"] / r34["params"] - 1)) == 17
    assert round(100 * (r50["macs"] / r34["macs"] - 1)) == 12
    assert d121["params"] < r50["params"] / 3
    assert round(100 * d121["macs"] / r50["macs"]) == 69


def _identity(**cfg):
    from simcore import api
    return api.identity({"identity_part": "learn_identity", "zero_init": False, **cfg})["learn_identity"]


def _init(**cfg):
    from simcore import api
    return api.identity({"identity_part": "init", **cfg})["init"]


def test_identity_page_claims():
    """docs/lab/identity.md."""
    li = _identity()
    assert (li["plain"]["steps_to_tol"], li["residual"]["steps_to_tol"]) == (314, 62)
    z = _identity(zero_init=True)["residual"]
    assert z["steps_to_tol"] == 0 and z["initial_loss"] == 0.0
    relu = _identity(activation="relu")
    assert relu["plain"]["status"] == "not reached" and round(relu["plain"]["final_loss"], 2) == 0.16
    assert relu["residual"]["steps_to_tol"] == 26
    assert round(max(b["branch_rms"] for b in li["residual"]["blocks"]), 2) == 0.47
    deep = _identity(identity_blocks=8)
    assert round(deep["residual"]["initial_loss"]) == 147 and deep["residual"]["status"] == "not reached"
    assert deep["plain"]["status"] == "diverged"


def test_init_page_claims():
    """docs/lab/init.md."""
    r = _init()
    px, ph, rx, rh = (r["plain"]["xavier_normal"], r["plain"]["he_normal"],
                      r["residual"]["xavier_normal"], r["residual"]["he_normal"])
    assert round(px["ratio"], 3) == 0.692 and round(px["profile"]["signal"][1], 2) == 0.23
    assert round(px["profile"]["signal"][-1] * 1e4) == 3 and px["drop"] < 0.01 and not px["started"]
    assert round(ph["ratio"], 3) == 0.978 and round(100 * ph["drop"]) == 74 and ph["started"]
    assert round(rx["ratio"], 2) == 1.05 and rx["started"]
    assert round(rh["ratio"], 2) == 1.16 and round(rh["profile"]["signal"][-1]) == 14
    assert rh["status"] == "diverged" and not rh["started"]
    deep = _init(depth=50)
    assert round(deep["plain"]["xavier_normal"]["profile"]["signal"][-1] * 1e10) == 5
    assert deep["residual"]["he_normal"]["status"] == "diverged"
    shallow = _init(depth=8)
    assert all(shallow[k][i]["started"] for k in ("plain", "residual") for i in ("xavier_normal", "he_normal"))


def test_degradation_notebook_claims():
    """docs/notebooks/reproducing-degradation.ipynb: its small configuration degrades."""
    from simcore import api
    r = api.degradation({"depths": [4, 8, 16, 32], "n": 400, "epochs": 30, "width": 16, "seed": 0})
    plain, res = r["plain_train_error"], r["residual_train_error"]
    assert plain[-1] >= plain[0] + 0.05          # the deepest plain net trains worse
    assert res[-1] <= res[0] + 0.02 and res[-1] < plain[-1]
    assert r["plain_test_error"][-1] > r["plain_test_error"][0]  # not overfitting: both rise


def test_residual_maths_notebook_claims():
    """docs/notebooks/residual-maths.ipynb: the plain linear stack's Jacobian collapses by orders
    of magnitude with depth; the residual one stays within an order of magnitude of one."""
    import numpy as np

    from simcore.analysis.identity import affine_map, make_stack
    for blocks in (16, 32):
        norms = {}
        for kind in ("plain", "residual"):
            stack = make_stack(kind, blocks, 8, layout="pre", activation="identity", norm=False,
                               init="xavier_normal", zero_init=False, seed=3)
            for leaf in stack.leaves():
                if "W" in getattr(leaf, "params", {}):
                    leaf.params["W"] *= 0.5
            M, _ = affine_map(stack, 8)
            norms[kind] = np.linalg.norm(M, 2)
        assert norms["plain"] < 1e-8
        assert 0.1 < norms["residual"] < 10


def test_home_page_claims():
    """docs/index.md: the degradation widget's quick preset (the home page's figure) shows the
    plain net getting worse with depth on its training data while the residual net does not."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from widgets import degradation as widget

    results = widget.per_depth(widget.DEFAULTS)
    plain = [r["plain_train_error"][0] for r in results]
    res = [r["residual_train_error"][0] for r in results]
    assert plain[-1] >= plain[0] + 0.10
    assert res[-1] <= res[0] + 0.01 and res[-1] < plain[-1]


def test_tests_named_in_the_docs_exist():
    """A page that points to the test backing a claim (`tests/x.py::test_y`) points to a real one."""
    import ast
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    named = set()
    for page in (root / "docs").rglob("*.md"):
        named |= {(m.group(1), m.group(2), page.name)
                  for m in re.finditer(r"(tests/[\w/]+\.py)(?:::(\w+))?", page.read_text())}
    assert named
    for path, name, page in named:
        assert (root / path).exists(), (page, path)
        if name:
            tree = ast.parse((root / path).read_text())
            assert name in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, (page, path, name)
