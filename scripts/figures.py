"""Build-time SVG figures: the static stand-ins of the live widgets.

Each function draws from a ``simcore.api`` result exactly what ``docs/javascripts/sim/
charts.js`` draws live (same viewBox, classes and layout), so a page is complete without
JavaScript and the live figure replaces the static one without a layout jump.
"""

from __future__ import annotations

import math
from html import escape

W, H = 320, 220
ML, MR, MT, MB = 46, 10, 26, 36


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not hi > lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(f * mag for f in (1, 2, 2.5, 5, 10) if f * mag >= raw)
    ticks, v = [], math.ceil(lo / step) * step
    while v <= hi + step * 1e-9:
        ticks.append(float(f"{v:.12g}"))
        v += step
    return ticks


def _fmt(v: float) -> str:
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1000 or a < 0.01:
        m, e = f"{v:.0e}".split("e")
        return f"{m}e{int(e):+d}"
    return f"{float(f'{v:.3g}'):g}"


def _svg(label: str, body: list[str]) -> str:
    return (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
            f'class="sim-chart">' + "".join(body) + "</svg>")


def _frame(title, x_dom, y_dom, x_label, y_label):
    (x0, x1), (y0, y1) = x_dom, y_dom

    def sx(x):
        return ML + (x - x0) / ((x1 - x0) or 1) * (W - ML - MR)

    def sy(y):
        return H - MB - (y - y0) / ((y1 - y0) or 1) * (H - MT - MB)

    body = [f'<text x="{ML}" y="16" class="sim-chart-title">{escape(title)}</text>']
    for t in nice_ticks(y0, y1, 4):
        body.append(f'<line x1="{ML}" x2="{W - MR}" y1="{sy(t)}" y2="{sy(t)}" class="sim-gridline"/>')
        body.append(f'<text x="{ML - 6}" y="{sy(t) + 4}" class="sim-tick" text-anchor="end">{_fmt(t)}</text>')
    for t in nice_ticks(x0, x1, 5):
        body.append(f'<text x="{sx(t)}" y="{H - MB + 14}" class="sim-tick" text-anchor="middle">{_fmt(t)}</text>')
    body.append(f'<line x1="{ML}" x2="{W - MR}" y1="{H - MB}" y2="{H - MB}" class="sim-axis"/>')
    body.append(f'<text x="{(ML + W - MR) / 2}" y="{H - 4}" class="sim-label" text-anchor="middle">{escape(x_label)}</text>')
    cy = (MT + H - MB) / 2
    body.append(f'<text x="12" y="{cy}" class="sim-label" text-anchor="middle" transform="rotate(-90 12 {cy})">{escape(y_label)}</text>')
    return body, sx, sy


def line_chart(title, x_label, y_label, series, x_dom, y_dom) -> str:
    """``series``: list of dicts ``{name, cls, points: [(x, y)], dashed}``; y None is a gap."""
    body, sx, sy = _frame(title, x_dom, y_dom, x_label, y_label)
    for i, s in enumerate(series):
        d, pen = [], "M"
        for x, y in s["points"]:
            if y is None or not math.isfinite(y):
                pen = "M"
                continue
            yc = min(max(y, y_dom[0]), y_dom[1])
            d.append(f"{pen}{sx(x):.1f},{sy(yc):.1f}")
            pen = "L"
        cls = f'sim-line {s["cls"]}' + (" sim-dashed" if s.get("dashed") else "")
        body.append(f'<path d="{"".join(d)}" class="{cls}"/>')
        lx, ly = W - MR - 150 + 78 * i, 12  # legend in the title row, right-aligned
        body.append(f'<line x1="{lx}" x2="{lx + 16}" y1="{ly}" y2="{ly}" class="{cls}"/>')
        body.append(f'<text x="{lx + 20}" y="{ly + 4}" class="sim-legend">{escape(s["name"])}</text>')
    return _svg(title, body)


def boundary_chart(title: str, boundary: dict, data: dict) -> str:
    size = H - MT - 8
    x0, y0, n = (W - size) / 2, MT, boundary["n"]
    cell = size / n
    body = [f'<text x="{ML}" y="16" class="sim-chart-title">{escape(title)}</text>', '<g class="sim-boundary">']
    for k, c in enumerate(boundary["classes"]):
        i, j = k % n, k // n
        body.append(f'<rect x="{x0 + i * cell:.2f}" y="{y0 + size - (j + 1) * cell:.2f}" '
                    f'width="{cell + 0.3:.2f}" height="{cell + 0.3:.2f}" class="sim-cell sim-class-{c}"/>')
    body.append('</g><g class="sim-points">')
    (lx, ly), (hx, hy) = boundary["lo"], boundary["hi"]
    for (x, y), c in zip(data["X_train"], data["y_train"]):
        body.append(f'<circle cx="{x0 + (x - lx) / (hx - lx) * size:.1f}" '
                    f'cy="{y0 + size - (y - ly) / (hy - ly) * size:.1f}" r="2.2" '
                    f'class="sim-point sim-class-{c}"/>')
    body.append(f'</g><rect x="{x0}" y="{y0}" width="{size}" height="{size}" class="sim-box"/>')
    return _svg(title, body)
