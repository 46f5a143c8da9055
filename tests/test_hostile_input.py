"""Hostile input to simcore.api and to the command line: every case is refused at once with
one clear message that names the field, shows the bad value (cut short when it is long) and
says what is allowed, and nothing is left broken.

The tables below are the whole test: one row per input. ``API`` rows are
``(task, config, field, shows, allowed)``: ``api.run(task, config)`` raises ``ValueError``
whose message starts with ``field:`` and contains ``shows`` (how the bad value appears) and
``allowed``. ``CLI`` rows are ``(argv, option, shows, allowed)``: ``python -m simcore *argv``
exits 2 with one line on stderr that names ``option`` and contains both fragments, and no
traceback. (The browser's controls and links are in tests/browser/test_hostile_widgets.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import pytest

from simcore import api

LONG = "x" * 100_000          # a 10^5-character string
SCRIPT = "<script>window.pwned=1</script>"
IMG = '<img src=x onerror="window.pwned=1">'
HUGE = 10**5000               # too long even for repr() (Python's 4,300-digit limit)
NAN, INF = float("nan"), float("inf")
TASKS = ", ".join(api.TASKS)

API = [
    # task, config, field named, how the bad value is shown, what is allowed
    # --- the task and the config themselves
    ("fly", {}, "task", "'fly'", f"one of {TASKS}"),
    (LONG, {}, "task", "(100000 characters)", f"one of {TASKS}"),
    (["train"], {}, "task", "['train']", f"one of {TASKS}"),           # unhashable: no TypeError
    ({"task": "train"}, {}, "task", "{'task': 'train'}", f"one of {TASKS}"),
    (None, {}, "task", "None", f"one of {TASKS}"),
    ("ｔｒａｉｎ", {}, "task", "'ｔｒａｉｎ'", f"one of {TASKS}"),          # fullwidth look-alike
    ("train ", {}, "task", "'train '", f"one of {TASKS}"),
    ("train", [1, 2], "config", "[1, 2]", "an object of fields"),
    ("train", '{"depth": 8}', "config", "'{\"depth\": 8}'", "an object of fields"),  # JSON text
    ("train", "{depth: 8", "config", "'{depth: 8'", "an object of fields"),          # malformed
    ("degradation", LONG, "config", "(100000 characters)", "an object of fields"),
    ("variants", 42, "config", "42", "an object of fields"),
    # --- configs as the browser worker gets them: parsed from JSON text (which allows NaN)
    ("train", json.loads('{"lr": NaN}'), "lr", "nan", "a number in [1e-06, 10.0]"),
    ("train", json.loads('{"depth": 1e400}'), "depth", "inf", "an integer in [3, 128]"),
    ("train", json.loads('{"n": 1' + "0" * 400 + '}'), "n", "<an integer of about", "[20, 5000]"),
    ("train", json.loads('{"kind": "\\u0000residual"}'), "kind", "'\\x00residual'", "one of plain"),
    ("train", json.loads('{"depth": [], "width": {}}'), "depth", "[]", "an integer in [3, 128]"),
    # --- unknown field names
    ("train", {"colour": "red"}, "colour", "unknown field", "allowed fields are kind, depth"),
    ("train", {LONG: 1}, "'xxxx", "(100000 characters): unknown field", "allowed fields are"),
    ("train", {1: 2, "a": 3}, "1", "unknown field", "allowed fields are"),  # mixed key types
    ("train", {"ｄｅｐｔｈ": 8}, "ｄｅｐｔｈ", "unknown field", "allowed fields are"),
    ("train", {SCRIPT: 1}, SCRIPT, "unknown field", "allowed fields are"),
    ("variants", {"resolutions": 64}, "resolutions", "unknown field", "name, resolution"),
    # --- train: wrong types
    ("train", {"depth": True}, "depth", "True", "an integer in [3, 128]"),     # bool for int
    ("train", {"width": False}, "width", "False", "an integer in [2, 256]"),
    ("train", {"depth": 8.5}, "depth", "8.5", "an integer in [3, 128]"),       # float for int
    ("train", {"depth": "8"}, "depth", "'8'", "an integer in [3, 128]"),
    ("train", {"depth": "１２"}, "depth", "'１２'", "an integer in [3, 128]"),   # fullwidth digits
    ("train", {"depth": None}, "depth", "None", "an integer in [3, 128]"),
    ("train", {"depth": {"value": {"deeper": 8}}}, "depth", "{'value': {'deeper': 8}}", "an integer"),
    ("train", {"depth": [8]}, "depth", "[8]", "an integer in [3, 128]"),
    ("train", {"lr": "0.1"}, "lr", "'0.1'", "a number in [1e-06, 10.0]"),
    ("train", {"norm": "true"}, "norm", "'true'", "true or false"),
    ("train", {"norm": 1}, "norm", "1", "true or false"),
    ("train", {"zero_init": None}, "zero_init", "None", "true or false"),
    # --- train: NaN, infinities, signs and sizes
    ("train", {"lr": NAN}, "lr", "nan", "a number in [1e-06, 10.0]"),
    ("train", {"lr": INF}, "lr", "inf", "a number in [1e-06, 10.0]"),
    ("train", {"momentum": -INF}, "momentum", "-inf", "a number in [0.0, 0.999]"),
    ("train", {"depth": NAN}, "depth", "nan", "an integer in [3, 128]"),
    ("train", {"n": -1}, "n", "-1", "an integer in [20, 5000]"),
    ("train", {"n": 0}, "n", "0", "an integer in [20, 5000]"),
    ("train", {"n": 10**12}, "n", "1000000000000", "an integer in [20, 5000]"),  # never allocated
    ("train", {"width": 2**63}, "width", "9223372036854775808", "an integer in [2, 256]"),
    ("train", {"depth": HUGE}, "depth", "<an integer of about 5001 digits>", "[3, 128]"),
    ("train", {"lr": 10**400}, "lr", "<an integer of about 401 digits>", "[1e-06, 10.0]"),  # was OverflowError
    ("train", {"batch_size": 1e300}, "batch_size", "<an integer of about", "[1, 5000]"),
    ("train", {"epochs": -0.5}, "epochs", "-0.5", "an integer in [0, 500]"),
    ("train", {"seed": 2**32}, "seed", "4294967296", "an integer in [0, 4294967295]"),
    # --- train: unknown choices
    ("train", {"kind": "wide"}, "kind", "'wide'", "one of plain, residual, highway, dense"),
    ("train", {"kind": "ｒｅｓｉｄｕａｌ"}, "kind", "'ｒｅｓｉｄｕａｌ'", "one of plain, residual"),
    ("train", {"kind": "Residual"}, "kind", "'Residual'", "one of plain, residual"),
    ("train", {"kind": "residual\u200b"}, "kind", "'residual\\u200b'", "one of plain"),  # zero-width space
    ("train", {"kind": LONG}, "kind", "(100000 characters)", "one of plain, residual"),
    ("train", {"dataset": SCRIPT}, "dataset", repr(SCRIPT), "one of spirals"),
    ("train", {"activation": IMG}, "activation", "<img src=x onerror=", "one of relu"),
    ("train", {"optimizer": ["adam"]}, "optimizer", "['adam']", "one of sgd"),
    ("train", {"init": 0}, "init", "0", "one of he_normal"),
    ("train", {"arithmetic": "ｎａｔｉｖｅ"}, "arithmetic", "'ｎａｔｉｖｅ'", "one of portable, native"),
    ("train", {"arithmetic": None}, "arithmetic", "None", "one of portable, native"),
    ("train", {"dataset": "digits", "n": 3000}, "n", "3000", "an integer in [20, 1797]"),
    ("train", {"depth": 9}, "depth", "9", "2 + 2·b"),
    # --- degradation: the list of depths
    ("degradation", {"depths": "4,8"}, "depths", "'4,8' is not allowed (wrong type)", "a list of integers in [3, 128]"),
    ("degradation", {"depths": []}, "depths", "[]", "a list of integers in [3, 128]"),
    ("degradation", {"depths": list(range(4, 100_004))}, "depths", "(100000 items)", "1 to 8"),
    ("degradation", {"depths": [4, NAN]}, "depths", "nan", "a list of integers in [3, 128]"),
    ("degradation", {"depths": [4, True]}, "depths", "True", "a list of integers"),
    ("degradation", {"depths": [4, {"d": 8}]}, "depths", "{'d': 8}", "a list of integers"),
    ("degradation", {"depths": [4, 10**9]}, "depths", "1000000000", "a list of integers in [3, 128]"),
    ("degradation", {"depths": [8, 4]}, "depths", "[8, 4]", "strictly ascending"),
    ("degradation", {"depths": [-4, 8]}, "depths", "-4", "a list of integers in [3, 128]"),
    # --- every analysis task: its own fields
    ("blocks_demo", {"block_kind": "ｒｅｓｉｄｕａｌ"}, "block_kind", "'ｒｅｓｉｄｕａｌ'", "one of residual, bottleneck"),
    ("blocks_demo", {"block_width": 10**6}, "block_width", "1000000", "an integer in [2, 64]"),
    ("blocks_demo", {"n": -64}, "n", "-64", "an integer in [20, 5000]"),
    ("convergence", {"convergence_target_acc": NAN}, "convergence_target_acc", "nan", "[0.0, 1.0]"),
    ("convergence", {"depths": [4, 12, 12]}, "depths", "[4, 12, 12]", "strictly ascending"),
    ("gradflow", {"samples": 0}, "samples", "0", "an integer in [1, 32]"),
    ("gradflow", {"samples": "all"}, "samples", "'all'", "an integer in [1, 32]"),
    ("identity", {"identity_blocks": 10**9}, "identity_blocks", "1000000000", "an integer in [1, 16]"),
    ("identity", {"identity_points": -8}, "identity_points", "-8", "an integer in [8, 1000]"),
    ("identity", {"identity_tol": 0}, "identity_tol", "0", "a number in [1e-12, 1.0]"),
    ("identity", {"identity_lr": INF}, "identity_lr", "inf", "a number in [1e-06, 10.0]"),
    ("identity", {"identity_part": IMG}, "identity_part", "onerror", "one of both, learn_identity, init"),
    ("identity", {"identity_optimizer": None}, "identity_optimizer", "None", "one of sgd"),
    ("landscape", {"landscape_points_2d": 10**6}, "landscape_points_2d", "1000000", "[3, 31]"),
    ("landscape", {"landscape_points_1d": 2.5}, "landscape_points_1d", "2.5", "[3, 201]"),
    ("landscape", {"landscape_span": -INF}, "landscape_span", "-inf", "a number in [0.01, 5.0]"),
    ("landscape", {"landscape_points_2d": 10}, "landscape_points_2d", "10", "must be odd"),
    ("lesion", {"lesion_max_k": -1}, "lesion_max_k", "-1", "an integer in [0, 63]"),
    ("lesion", {"lesion_draws": 10**8}, "lesion_draws", "100000000", "an integer in [1, 100]"),
    ("paths", {"path_samples": True}, "path_samples", "True", "an integer in [1, 100]"),
    ("paths", {"depth": 10**6}, "depth", "1000000", "an integer in [3, 128]"),
    ("shattering", {"shatter_points": 10**9}, "shatter_points", "1000000000", "[16, 1024]"),
    ("shattering", {"shatter_offset": NAN}, "shatter_offset", "nan", "a number in [-5.0, 5.0]"),
    ("shattering", {"shatter_runs": 0}, "shatter_runs", "0", "an integer in [1, 8]"),
    ("shattering", {"depths": [4, 10**4]}, "depths", "10000", "a list of integers in [3, 128]"),
    # --- variants (validates its own two fields)
    ("variants", {"name": "vgg16"}, "name", "'vgg16'", "one of resnet18, resnet34"),
    ("variants", {"name": "ｒｅｓｎｅｔ５０"}, "name", "'ｒｅｓｎｅｔ５０'", "one of resnet18"),
    ("variants", {"name": LONG}, "name", "(100000 characters)", "one of resnet18"),
    ("variants", {"name": ["resnet50"]}, "name", "['resnet50']", "one of resnet18"),
    ("variants", {"name": SCRIPT}, "name", repr(SCRIPT), "one of resnet18"),
    ("variants", {"resolution": True}, "resolution", "True", "an integer in [32, 1024]"),
    ("variants", {"resolution": NAN}, "resolution", "nan", "an integer in [32, 1024]"),
    ("variants", {"resolution": -INF}, "resolution", "-inf", "an integer in [32, 1024]"),
    ("variants", {"resolution": 10**9}, "resolution", "1000000000", "an integer in [32, 1024]"),
    ("variants", {"resolution": HUGE}, "resolution", "<an integer of about 5001 digits>", "[32, 1024]"),
    ("variants", {"resolution": "224"}, "resolution", "'224'", "an integer in [32, 1024]"),
    ("variants", {"resolution": 0}, "resolution", "0", "an integer in [32, 1024]"),
]
# every task, the same three: an unknown field, a config that is not an object, nested junk
# (nested junk in a field each task has: its seed, a network's depth, a counted net's name)
JUNK_FIELD = {"variants": ("name", "one of resnet18"), "plan": ("depth", "an integer in [3, 128]")}
for _task in api.TASKS:
    _field, _allowed = JUNK_FIELD.get(_task, ("seed", "an integer in [0, 4294967295]"))
    API += [(_task, {"dpeth": 8}, "dpeth", "unknown field", "allowed fields are"),
            (_task, [{"depth": 8}], "config", "[{'depth': 8}]", "an object of fields"),
            (_task, {_field: {"a": [1, {"b": None}]}}, _field, "{'a': [1, {'b': None}]}", _allowed)]

MESSAGE_MAX = 600      # characters: the longest message lists every allowed field
SECONDS_MAX = 0.25     # per case: a refusal is immediate, not after some work
BYTES_MAX = 1 << 20    # per case: refused before anything is allocated (1 MiB traced at most)


def test_api_refuses_every_hostile_input_with_a_clear_message(tally):
    tracemalloc.start()
    try:
        for task, config, field, shows, allowed in API:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            start = time.perf_counter()
            with pytest.raises(ValueError) as err:
                api.run(task, config)
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] - base
            msg = str(err.value)
            where = f"{task!s:.20}: {msg[:200]!r}"
            assert msg.startswith(f"{field}"), where
            assert shows in msg and allowed in msg, where
            assert len(msg) <= MESSAGE_MAX and "\n" not in msg, where
            assert seconds < SECONDS_MAX, (where, seconds)
            assert peak < BYTES_MAX, (where, peak)
            tally.count("Hostile input", "simcore.api inputs")
    finally:
        tracemalloc.stop()
    # the api is left working: a valid run after the table
    res = api.run("train", {"n": 60, "depth": 4, "width": 8, "epochs": 2, "batch_size": 30})
    assert res["status"] == "done" and len(res["history"]) == 3
    assert api.run("variants", {"name": "resnet18"})["params"] == 11_689_512


CLI = [
    # argv, option named, how the bad value is shown, what is allowed
    (["fly"], "task", "'fly'", "one of train, degradation"),
    (["ｔｒａｉｎ"], "task", "'ｔｒａｉｎ'", "one of train, degradation"),
    ([LONG], "task", "(100000 characters)", "one of train"),
    ([SCRIPT], "task", repr(SCRIPT), "one of train"),
    ([], "task", "missing", "one of train, degradation"),
    (["train", "--depth", "abc"], "--depth", "'abc'", "an integer in [3, 128]"),
    (["train", "--depth", ""], "--depth", "''", "an integer in [3, 128]"),
    (["train", "--depth", "１２"], "--depth", "'１２'", "an integer in [3, 128]"),   # int() reads it
    (["train", "--depth", "٣"], "--depth", "'٣'", "an integer in [3, 128]"),      # Arabic-Indic 3
    (["train", "--depth", "0x10"], "--depth", "'0x10'", "an integer in [3, 128]"),
    (["train", "--depth", "9" * 5000], "--depth", "(5000 characters)", "an integer in [3, 128]"),
    (["train", "--depth", "8.5"], "--depth", "8.5", "an integer in [3, 128]"),
    (["train", "--width", "-1"], "--width", "-1", "an integer in [2, 256]"),
    (["train", "--n", "1e9"], "--n", "1000000000", "an integer in [20, 5000]"),
    (["train", "--lr", "nan"], "--lr", "'nan'", "a number in [1e-06, 10.0]"),
    (["train", "--lr", "Infinity"], "--lr", "'Infinity'", "a number in [1e-06, 10.0]"),
    (["train", "--lr=-inf"], "--lr", "'-inf'", "a number in [1e-06, 10.0]"),
    (["train", "--lr", "1e999"], "--lr", "'1e999'", "a number in [1e-06, 10.0]"),
    (["train", "--lr", "1_0"], "--lr", "'1_0'", "a number in [1e-06, 10.0]"),
    (["train", "--kind", "ｒｅｓｉｄｕａｌ"], "--kind", "'ｒｅｓｉｄｕａｌ'", "one of plain, residual"),
    (["train", "--kind", LONG], "--kind", "(100000 characters)", "one of plain, residual"),
    (["train", "--dataset", IMG], "--dataset", "onerror", "one of spirals"),
    (["train", "--norm", "ＴＲＵＥ"], "--norm", "'ＴＲＵＥ'", "true or false"),
    (["train", "--norm", "maybe"], "--norm", "'maybe'", "true or false"),
    (["train", "--depth", "8\n9"], "--depth", "'8\\n9'", "an integer in [3, 128]"),
    (["train", "--depth", '{"depth": 8}'], "--depth", "'{\"depth\": 8}'", "an integer"),  # JSON
    (["train", "--depth"], "--depth", "expected one argument", ""),
    (["train", "--dpeth", "8"], "--dpeth", "unrecognized arguments", ""),
    (["train", "--x\ny", "1"], "--x\\ny", "unrecognized arguments", ""),   # stays one line
    (["train", "--" + LONG, "1"], "--xxxx", "(100002 characters)", "unrecognized arguments"),
    (["degradation", "--depths", "4,,8"], "--depths", "'4,,8'", "a list of integers in [3, 128]"),
    (["degradation", "--depths", "8,4"], "--depths", "[8, 4]", "strictly ascending"),
    (["degradation", "--depths", ",".join(map(str, range(4, 2004)))], "--depths",
     "(2000 items)", "1 to 8 values"),
    (["identity", "--identity-tol", "0"], "--identity-tol", "0", "a number in [1e-12, 1.0]"),
    (["shattering", "--shatter-points", "1e9"], "--shatter-points", "1000000000", "[16, 1024]"),
    (["variants", "ｒｅｓｎｅｔ５０"], "name", "'ｒｅｓｎｅｔ５０'", "one of resnet18"),
    (["variants", LONG], "name", "(100000 characters)", "one of resnet18"),
    (["variants", "resnet50", "--resolution", "nan"], "--resolution", "'nan'", "an integer"),
    (["variants", "resnet50", "--resolution", "9" * 5000], "--resolution", "(5000 characters)",
     "an integer"),
    (["variants", "resnet50", "--resolution", "-224"], "--resolution", "-224", "[32, 1024]"),
]


def _cli(argv):
    return subprocess.run([sys.executable, "-m", "simcore", *argv], capture_output=True,
                          text=True, encoding="utf-8", errors="backslashreplace", timeout=60)


def test_cli_refuses_every_hostile_input_in_one_line(tally):
    with ThreadPoolExecutor(2) as pool:  # two at a time: each is mostly starting Python
        runs = list(pool.map(_cli, [argv for argv, *_ in CLI]))
    for (argv, option, shows, allowed), out in zip(CLI, runs):
        err = out.stderr.rstrip("\n")
        where = f"{' '.join(argv)[:60]!r}: {err[:300]!r}"
        assert out.returncode == 2, where
        assert "\n" not in err and "Traceback" not in err, where
        assert err.startswith("simcore: error: "), where
        assert option in err and shows in err and allowed in err, where
        assert len(err) <= MESSAGE_MAX, where
        assert out.stdout == "" or argv == [], where  # only the bare command prints its help
        tally.count("Hostile input", "command-line inputs")
    # an argument that is not even UTF-8 (a lone byte, as a shell may pass it)
    out = subprocess.run([sys.executable, "-m", "simcore", "train", "--depth", b"\xe0\xa4"],
                         capture_output=True, timeout=60)
    err = out.stderr.decode("utf-8", "backslashreplace").rstrip("\n")
    assert out.returncode == 2 and "\n" not in err and "--depth: '\\udce0\\udca4'" in err, err
    tally.count("Hostile input", "command-line inputs")
    # the command line is left working
    ok = _cli(["variants", "resnet18", "--json"])
    assert ok.returncode == 0 and '"params": 11689512' in ok.stdout, ok.stderr
