"""Analyses: pure functions of a network and data (they read, they never mutate).

Each module holds one analysis; a module that defines ``task`` is registered by
``simcore.api`` as a task of the same ``NAME`` (and so as a CLI subcommand and a browser task).
"""

from __future__ import annotations

import importlib
import pkgutil


def task_modules() -> tuple:
    """The analysis modules that define an api task, sorted by module name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    modules = [importlib.import_module(f"{__name__}.{n}") for n in names]
    return tuple(m for m in modules if hasattr(m, "task"))
