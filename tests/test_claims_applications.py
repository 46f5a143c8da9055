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
