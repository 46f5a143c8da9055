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
