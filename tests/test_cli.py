import json
import subprocess
import sys

import pytest

from simcore import api


def cli(*args):
    return subprocess.run([sys.executable, "-m", "simcore", *args], capture_output=True, text=True)


def test_train_json_equals_api():
    args = ["train", "--kind", "plain", "--depth", "6", "--width", "8", "--n", "100",
            "--epochs", "2", "--batch-size", "25", "--seed", "1", "--json"]
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    ref = api.train(dict(kind="plain", depth=6, width=8, n=100, epochs=2, batch_size=25, seed=1))
    strip = lambda h: [{k: v for k, v in r.items() if k != "elapsed"} for r in h]  # noqa: E731
    assert strip(res["history"]) == strip(ref["history"])


def test_train_text_streams_epochs():
    out = cli("train", "--depth", "4", "--n", "100", "--epochs", "3", "--batch_size", "50")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("training residual-4")
    assert [ln.split()[1] for ln in lines[1:]] == ["0", "1", "2", "3"]
    assert lines[-1].endswith("done")


def test_degradation_lists_and_text():
    out = cli("degradation", "--depths", "4,6", "--n", "100", "--epochs", "1", "--width", "8")
    assert out.returncode == 0, out.stderr
    assert "depth" in out.stdout and "residual" in out.stdout
    assert len([ln for ln in out.stdout.splitlines() if ln.strip().startswith(("4 ", "6 "))]) == 2


@pytest.mark.parametrize("args,option", [
    (["train", "--depth", "abc"], "--depth"),
    (["train", "--depth", "9"], "--depth"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--kind", "wide"], "--kind"),
    (["train", "--norm", "maybe"], "--norm"),
    (["train", "--batch-size", "0"], "--batch-size"),
    (["train", "--width", "1e9"], "--width"),
    (["degradation", "--depths", "8,4"], "--depths"),
    (["degradation", "--depths", "4,x"], "--depths"),
    (["train", "--bogus", "1"], "--bogus"),
    (["fly"], "fly"),
    (["train", "--epochs", "-1"], "--epochs"),
    (["train", "--epochs", "1e9"], "--epochs"),
    (["train", "--n", "5"], "--n"),
    (["train", "--dataset", "mnist"], "--dataset"),
    (["train", "--activation", "swish"], "--activation"),
    (["train", "--optimizer", "rmsprop"], "--optimizer"),
    (["train", "--noise", "inf"], "--noise"),
    (["train", "--seed", "-3"], "--seed"),
    (["train", "--warmup", "50", "--epochs", "10"], "--warmup"),
    (["train", "--depths", "4,8"], "--depths"),
    (["degradation", "--depths", ""], "--depths"),
    (["degradation", "--depth", "8"], "--depth"),
])
def test_bad_input_exits_2_with_one_line(args, option):
    out = cli(*args)
    assert out.returncode == 2
    err = out.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert option in err, err
    assert err.startswith("simcore: error:")


def test_help_lists_fields():
    out = cli("train", "--help")
    assert out.returncode == 0
    for field in api.TRAIN_DEFAULTS:
        assert f"--{field.replace('_', '-')}" in out.stdout


def test_variants_contract():
    out = cli("variants", "resnet50", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["params"] == 25_557_032 and isinstance(res["macs"], int)
    out = cli("variants", "resnet18", "--json", "--resolution", "224")
    assert json.loads(out.stdout)["macs"] == 1_814_073_344
    big = json.loads(cli("variants", "resnet18", "--json", "--resolution", "448").stdout)
    assert big["macs"] > 3.9 * 1_814_073_344
    names = cli("variants", "--list").stdout.split()
    from simcore.variants import NAMES
    assert names == list(NAMES)
    assert {"resnet18", "resnet152", "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2",
            "densenet121", "densenet201", "cifar_resnet20", "cifar_resnet110", "plain18",
            "plain34", "cifar_plain20", "cifar_plain110"} <= set(names)
    text = cli("variants", "cifar_resnet20")
    assert "269,722 parameters" in text.stdout


@pytest.mark.parametrize("args,fragment", [
    (["variants", "resnet9000"], "name: 'resnet9000'"),
    (["variants", "resnet18", "--resolution", "7"], "--resolution: 7"),
    (["variants", "resnet18", "--resolution", "x"], "--resolution: 'x'"),
    (["variants"], "NAME or --list"),
])
def test_variants_bad_input(args, fragment):
    out = cli(*args)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert fragment in out.stderr


def test_broken_pipe_is_quiet():
    p = subprocess.run(f"{sys.executable} -m simcore variants resnet152 | head -n 2", shell=True,
                       capture_output=True, text=True)
    assert "Traceback" not in p.stderr and len(p.stdout.splitlines()) == 2


def test_custom_points_and_skips_on_the_command_line():
    """--points takes x,y,class;… and gives the run the api gives for the same points;
    --skips takes one 0/1 per block; a bad value names its option."""
    import json as _json

    pts = "0,0,0;1,1,1;0.5,0.25,0;-1,0.5,1;0.125,-0.5,1"
    out = subprocess.run([sys.executable, "-m", "simcore", "train", "--dataset", "custom", "--points", pts,
                          "--depth", "8", "--skips", "010", "--epochs", "2", "--json"],
                         capture_output=True, text=True, check=True).stdout
    points = [[float(v) for v in p.split(",")[:2]] + [int(p.split(",")[2])] for p in pts.split(";")]
    want = api.train({"dataset": "custom", "points": points, "depth": 8, "skips": "010", "epochs": 2})
    got = _json.loads(out)
    assert got["config"]["points"] == points
    assert [r["train_loss"] for r in got["history"]] == [r["train_loss"] for r in want["history"]]
    bad = subprocess.run([sys.executable, "-m", "simcore", "train", "--dataset", "custom", "--points", "0,0,0;1,x,1"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("simcore: error: --points: point 1 ('1,x,1')")
