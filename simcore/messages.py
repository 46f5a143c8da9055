"""How a bad value is shown in an error message: short, on one line, and safe to build.

Input comes from pages, links and command lines, so a value may be a 100,000-character
string, a list of a million items or an integer too long for ``repr`` (Python refuses to
print one of more than 4,300 digits). :func:`shown` gives its ``repr`` cut to a readable
length, saying how long the original was, and never raises.
"""

from __future__ import annotations

import math

LIMIT = 60    # characters of a string shown before it is cut
ITEMS = 8     # items of a list, tuple or dict shown before it is cut
BITS = 200    # integers longer than this (about 60 digits) are described, not printed


def shown(value, limit: int = LIMIT) -> str:
    """``repr(value)`` for a message: strings cut to ``limit`` characters (``'xxx'…
    (100000 characters)``), containers to a few items, huge integers described by their
    number of digits; control characters escaped, so the result is one line."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > BITS:
            digits = int(value.bit_length() * 0.30103) + 1  # log10(2): within one of the count
            return f"{'-' if value < 0 else ''}<an integer of about {digits} digits>"
        return repr(value)
    if isinstance(value, str):
        if len(value) > limit:
            return f"{value[:limit]!r}… ({len(value)} characters)"
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = ", ".join(shown(v, 20) for v in value[:ITEMS])
        more = f", … ({len(value)} items)" if len(value) > ITEMS else ""
        if isinstance(value, tuple):
            return f"({items}{',' if len(value) == 1 else ''}{more})"
        return f"[{items}{more}]"
    if isinstance(value, dict):
        pairs = list(value.items())[:ITEMS]
        items = ", ".join(f"{shown(k, 20)}: {shown(v, 20)}" for k, v in pairs)
        more = f", … ({len(value)} items)" if len(value) > ITEMS else ""
        return f"{{{items}{more}}}"
    try:
        text = repr(value)
    except Exception:  # a repr that fails (or refuses) still gives a message
        text = f"<{type(value).__name__}>"
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= 2 * limit else text[:2 * limit] + "…"


class FieldError(ValueError):
    """A ``ValueError`` about one field of a config: ``.field`` names it (the browser marks that
    control; the CLI names that option), and the message starts with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def fault(exc: BaseException) -> str:
    """An exception in a few words, on one line: ``"RuntimeError: its first line"`` (at most
    300 characters of it), or the type's name alone."""
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{type(exc).__name__}{': ' + text if text else ''}"


def field_name(name) -> str:
    """A field name as a message starts with it: as it is when it is a short, printable
    string (``colour: unknown field``), else :func:`shown` (a 100,000-character key, a
    number)."""
    if isinstance(name, str) and 0 < len(name) <= LIMIT and name.isprintable() and ":" not in name:
        return name
    return shown(name)


def finite(x) -> float | None:
    """``x`` as a float for a JSON result, or ``None`` where it is NaN or infinite (JSON has
    neither)."""
    return float(x) if math.isfinite(x) else None


def percent(v) -> str:
    """A share in [0, 1] as the command line prints it, ``"45.0 %"``; ``"—"`` for ``None``."""
    return "—" if v is None else f"{100 * v:.1f} %"
