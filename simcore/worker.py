"""The Python side of the browser's simulation worker (``docs/javascripts/sim/worker.js``).

The worker loads Pyodide, numpy and simcore, imports this module and relays the page's messages
to these functions: it holds no Python of its own. Every function takes plain values (a task
name, a config as JSON text) and returns one JSON text, so the numbers reach the page exactly
as simcore computed them and no Python object outlives a call:

* ``{"result": …}`` from :func:`run_json`, ``{"records": […], "done": bool}`` from
  :func:`stream_next`, ``{"ok": true}`` from :func:`stream_start`;
* ``{"error": message, "field": name}`` when the reader's input is refused: a
  :class:`~simcore.messages.FieldError` carries its field as data (``field`` is ``null`` for
  another ``ValueError``), which the page marks beside that control;
* ``{"error": "simcore failed (…).", "field": null}`` for anything else: a fault of the
  simulation, not of the input, in one sentence (no traceback); the page offers Retry.

Training streams: :func:`stream_start` validates a ``train`` config (and its work budget) at
once and keeps the generator; :func:`stream_next` advances it by at most ``max_epochs`` epochs,
or fewer when ``budget_s`` seconds have passed, so the page can draw and stay responsive;
:func:`stream_stop` closes it. The tests call these functions natively (``tests/test_worker.py``).
"""

from __future__ import annotations

import json
import time

from . import api
from .messages import FieldError, fault

_streams: dict = {}


def _error(exc: ValueError) -> str:
    return json.dumps({"error": str(exc), "field": exc.field if isinstance(exc, FieldError) else None})


def _failure(exc: BaseException) -> str:
    return json.dumps({"error": f"simcore failed ({fault(exc)}).", "field": None})


def _config(config_json: str):
    try:
        return json.loads(config_json)
    except (TypeError, ValueError):
        raise FieldError("config", "config: not valid JSON; expected an object of fields") from None


def run_json(task: str, config_json: str) -> str:
    """``api.run(task, config)``: the result, or the error, as JSON text."""
    try:
        result = api.run(task, _config(config_json))
    except ValueError as exc:
        return _error(exc)
    except Exception as exc:  # noqa: BLE001  (a fault: one sentence, Retry)
        return _failure(exc)
    return json.dumps({"result": result}, allow_nan=False)


def stream_start(sid, task: str, config_json: str) -> str:
    """Validate a training config and open stream ``sid`` (only ``train`` streams)."""
    if task != "train":
        return _error(FieldError("task", f"task: {task!r} is not allowed; expected train"))
    try:
        _streams[sid] = api.train_stream(_config(config_json))
    except ValueError as exc:
        return _error(exc)
    except Exception as exc:  # noqa: BLE001
        return _failure(exc)
    return json.dumps({"ok": True})


def stream_next(sid, max_epochs: int, budget_s: float) -> str:
    """Up to ``max_epochs`` records of stream ``sid``, fewer once ``budget_s`` seconds have
    passed; ``done`` when the run ended (or the stream is unknown)."""
    gen = _streams.get(sid)
    records, done, start = [], gen is None, time.perf_counter()
    while not done and len(records) < max_epochs:
        try:
            records.append(next(gen))
        except StopIteration:
            done = True
            break
        except Exception as exc:  # noqa: BLE001
            _streams.pop(sid, None)
            return _failure(exc)
        if records[-1]["status"] != "running":
            done = True
        elif time.perf_counter() - start > budget_s:
            break
    if done:
        _streams.pop(sid, None)
    return json.dumps({"records": records, "done": done}, allow_nan=False)


def stream_stop(sid) -> str:
    """Close stream ``sid`` (nothing if it is not open)."""
    gen = _streams.pop(sid, None)
    if gen is not None:
        gen.close()
    return "{}"


def memory_json() -> str:
    """The worker's own accounting, for the soak test and anyone curious: after a collection,
    the objects Python's collector tracks and the training streams still open (the page adds
    what malloc holds: Pyodide's CPython has no pymalloc, ``sys.getallocatedblocks()`` is 0)."""
    import gc
    gc.collect()
    return json.dumps({"python_objects": len(gc.get_objects()), "open_streams": len(_streams)})
