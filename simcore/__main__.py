"""Command line: ``python -m simcore {train,degradation} [--field value ...] [--json]``.

Every option is a field of the task's config in ``simcore.api`` (underscores or dashes both
work: ``--batch-size 32`` or ``--batch_size 32``); lists are comma-separated
(``--depths 8,20,56``); booleans take true/false. Without ``--json`` the output is readable
text (training streams one line per epoch); with it, one JSON object. Bad input exits with
status 2 and a one-line message naming the option; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys

from . import api
from .messages import FieldError, shown

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


# Numbers as written in ASCII decimal ("12", "-0.5", "1e-3"): not "１２" or "٣" (which int()
# would read), "1_000", "0x10", "nan" or "inf".
_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_LONG = re.compile(r"\S{81,}")


class _Usage(Exception):
    pass


def _one_line(message: str) -> str:
    """The message on one line (control characters escaped), each word of more than 80
    characters cut to 60 with its length (argparse repeats the offending argument)."""
    message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return _LONG.sub(lambda m: f"{m.group()[:60]}… ({len(m.group())} characters)", message)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise _Usage(_one_line(message))


def _number(text: str, integer: bool):
    """An int for ASCII decimal digits, a float for other ASCII decimal numbers, else
    ``ValueError`` with why."""
    t = text.strip()
    if integer and _INT.fullmatch(t):
        if len(t.lstrip("+-")) > 100:  # far out of every range (and beyond int()'s 4300 digits)
            raise ValueError("out of range")
        return int(t)
    if not _NUMBER.fullmatch(t):
        raise ValueError("not a decimal number")
    value = float(t)
    if not math.isfinite(value):  # 1e999
        raise ValueError("out of range")
    return value


def _parse_value(field: str, text: str):
    """Turn the option text into the JSON-like value ``api`` validates."""
    kind, _ = api.FIELDS[field]
    try:
        if kind in ("int", "float"):
            return _number(text, kind == "int")
        if kind == "ints":
            return [_number(t, True) for t in text.split(",")]
        if kind == "bool":
            low = text.lower()
            if low in _TRUE | _FALSE:
                return low in _TRUE
            raise ValueError("")
        if kind == "points":  # x,y,class;x,y,class;… (a FieldError of its own when wrong)
            from .data import parse_points

            return parse_points(text) if text.strip() else []
    except FieldError:
        raise
    except ValueError as exc:
        why = f" ({exc})" if str(exc) else ""
        raise FieldError(field, f"{field}: {shown(text)} is not allowed{why}; expected "
                         f"{api.describe(kind, api.FIELDS[field][1])}") from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="simcore", allow_abbrev=False, description="Train plain and residual networks with NumPy; "
                     "the same simcore.api the site's browser simulations call.")
    sub = parser.add_subparsers(dest="task", metavar="{" + ",".join(api.TASKS) + "}")
    for task, (_, defaults) in api.TASKS.items():
        if task == "variants":
            _variants_parser(sub)
            continue
        p = sub.add_parser(task, help=api.HELP[task], description=api.HELP[task],
                           allow_abbrev=False)
        p.error = parser.error  # type: ignore[method-assign]
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--no-budget", action="store_true", help="lift the work budget (see "
                       "simcore.budget; native use only: a run may then take hours)")
        for field, default in defaults.items():
            kind, allowed = api.FIELDS[field]
            shown = ",".join(map(str, default)) if isinstance(default, list) else default
            names = dict.fromkeys([f"--{field.replace('_', '-')}", f"--{field}"])
            note = f"; {api.NOTES[field]}" if field in api.NOTES else ""
            p.add_argument(*names, dest=field, default=None,
                           metavar=kind.upper(), help=f"{api.describe(kind, allowed)} "
                           f"(default: {shown}){note}".replace("%", "%%"))
    return parser


def _variants_parser(sub) -> None:
    from . import variants

    p = sub.add_parser("variants", help=api.HELP["variants"], description=api.HELP["variants"]
                       + ". MACs count convolution and fully connected multiply-accumulates; "
                       "BN, ReLU, pooling and additions are not counted.", allow_abbrev=False)
    p.add_argument("name", nargs="?", metavar="NAME", help="one of " + ", ".join(variants.NAMES))
    p.add_argument("--list", action="store_true", help="list the names and exit")
    p.add_argument("--resolution", metavar="INT", default=None,
                   help="input side in pixels (default: 224; 32 for the CIFAR nets)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _variants_main(args) -> int:
    from . import variants

    if args.list:
        print(json.dumps(list(variants.NAMES)) if args.json else "\n".join(variants.NAMES))
        return 0
    if args.name is None:
        raise _Usage("variants: give a NAME or --list")
    config: dict = {"name": args.name}
    if args.resolution is not None:
        config["resolution"] = _parse_int(args.resolution, "resolution")
    res = api.variants(config)
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"{res['name']} at {res['resolution']}×{res['resolution']}: "
          f"{res['params']:,} parameters, {res['macs']:,} multiply-accumulates")
    print(f"{'stage':<12} {'block':>5} {'layer':<14} {'output':<16} {'params':>12} {'MACs':>15}")
    for r in res["layers"]:
        block = "" if r["block"] is None else r["block"]
        shape = "×".join(map(str, r["output_shape"]))
        print(f"{r['stage']:<12} {block:>5} {r['layer']:<14} {shape:<16} {r['params']:>12,} "
              f"{r['macs']:>15,}")
    return 0


def _parse_int(text: str, field: str):
    try:
        return _number(text, True)
    except ValueError as exc:
        raise FieldError(field, f"{field}: {shown(text)} is not allowed ({exc}); "
                         "expected an integer") from None


def _print_epoch(rec: dict) -> None:
    te = "-" if rec["test_acc"] is None else f"{rec['test_acc']:.3f}"
    loss = "nan" if rec["train_loss"] is None else f"{rec['train_loss']:.4f}"
    print(f"epoch {rec['epoch']:4d}  train loss {loss}  train acc {rec['train_acc']:.3f}  "
          f"test acc {te}  lr {rec['lr']:.4g}  {rec['status']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and not argv[0].startswith("-") and argv[0] not in api.TASKS:
            raise _Usage(f"task: {shown(argv[0])} is not allowed; expected one of "
                         f"{', '.join(api.TASKS)}")
        args = parser.parse_args(argv)
        if args.task is None:
            parser.print_help()
            print(f"simcore: error: task: missing; expected one of {', '.join(api.TASKS)}",
                  file=sys.stderr)
            return 2
        if args.task == "variants":
            return _variants_main(args)
        _, defaults = api.TASKS[args.task]
        config = {f: _parse_value(f, getattr(args, f)) for f in defaults
                  if getattr(args, f) is not None}
        budget = None if args.no_budget else api.BUDGET
        if args.task == "train" and not args.json:
            records = api.train_stream(config, budget=budget)  # validated (and budgeted) first
            cfg = api.validate(config, defaults)
            print(f"training {cfg['kind']}-{cfg['depth']} (width {cfg['width']}) on "
                  f"{cfg['dataset']}, seed {cfg['seed']}", flush=True)
            for rec in records:
                _print_epoch(rec)
            return 0
        result = api.run(args.task, config, budget=budget)
    except _Usage as exc:
        print(f"simcore: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a FieldError names its field: the option to change
        field = exc.field if isinstance(exc, FieldError) else None
        text = str(exc)
        if field and text.startswith(f"{field}:"):
            text = text[len(field) + 1:].strip()
        option = f"--{field.replace('_', '-')}" if field in api.FIELDS or field == "resolution" else field
        print(_one_line(f"simcore: error: {option}: {text}" if option else f"simcore: error: {text}"),
              file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a fault of the run, not of the input: one line, status 1
        print(_one_line(f"simcore: error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if args.json:
        print(json.dumps(result, allow_nan=False))
        return 0
    try:
        text = api.TEXT[args.task](result) if args.task in api.TEXT else _degradation_text(result)
    except Exception as exc:  # noqa: BLE001  (never a traceback: the JSON has everything)
        print(_one_line(f"simcore: error: could not write the {args.task} result as text "
                        f"({type(exc).__name__}: {exc}); --json gives it whole"), file=sys.stderr)
        return 1
    print(text)
    return 0


def _degradation_text(res: dict) -> str:
    def flag(status):
        return "" if status == "done" else f" ({status})"

    lines = ["training error after the last epoch (lower is better)",
             f"{'depth':>6}  {'plain':>8}  {'residual':>8}"]
    for i, d in enumerate(res["depths"]):
        p, r = res["plain_train_error"][i], res["residual_train_error"][i]
        lines.append(f"{d:>6}  {100 * p:7.1f}%{flag(res['plain_status'][i])}  "
                     f"{100 * r:7.1f}%{flag(res['residual_status'][i])}")
    lines.append(f"({res['elapsed']:.1f} s)")
    return "\n".join(lines)



def run() -> int:
    """Entry point of ``python -m simcore`` and the ``simcore`` script."""
    try:
        return main()
    except BrokenPipeError:  # e.g. `simcore variants resnet50 | head`
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(run())
