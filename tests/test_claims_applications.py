"""Numbers docs/applications.md ("Applications and impact") states about simcore's counts."""

import pytest

from simcore import api
from simcore.variants import count


@pytest.mark.parametrize("name, params, gmacs", [
    ("resnet50", 25_557_032, "4.09"),
    ("resnet101", 44_549_160, "7.80"),
    ("resnet152", 60_192_808, "11.51"),
])
def test_backbone_sizes(name, params, gmacs):
    c = count(name)
    assert c["params"] == params, name
    assert f"{c['macs'] / 1e9:.2f}" == gmacs, name
    assert c["resolution"] == 224


def test_cli_json_is_the_same_count():
    """The page's command, `python -m simcore variants resnet101 --json`, prints this count."""
    r = api.run("variants", {"name": "resnet101"})
    assert (r["params"], r["macs"]) == (count("resnet101")["params"], count("resnet101")["macs"])


def test_pages_agree_on_the_ilsvrc_result():
    """docs/index.md and docs/applications.md: 3.57 % top-5 was an ensemble's (He et al. 2016a,
    Table 5), the single ResNet-152's 4.49 % (validation, Table 4); no page credits 3.57 % to one
    network, and none says the deepest earlier networks had "about twenty layers"."""
    from pathlib import Path
    docs = Path(__file__).resolve().parents[1] / "docs"
    for name in ("index.md", "applications.md"):
        text = " ".join((docs / name).read_text().split())
        i = text.index("3.57 %")
        assert "ensemble" in text[max(0, i - 200):i + 200], name
    index = " ".join((docs / "index.md").read_text().split())
    assert "4.49 %" in index and "about twenty" not in index
