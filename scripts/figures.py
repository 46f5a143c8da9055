"""Build-time SVG figures: the static stand-ins of the live widgets.

Each function draws from a ``simcore.api`` result exactly what ``docs/javascripts/sim/
charts.js`` draws live (same viewBox, classes and layout), so a page is complete without
JavaScript and the live figure replaces the static one without a layout jump.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from html import escape, unescape

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
    """charts.js's ``fmt``: ``String(+v.toPrecision(3))``, or ``v.toExponential(0)`` from 1000
    and below 0.01; rounded as JavaScript rounds (the exact binary value, ties away from zero),
    so the data values quoted in a chart's text alternative agree with the live chart's."""
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1000 or a < 0.01:
        return js_exp(v, 0)
    d = Decimal(v)
    return f"{float(d.quantize(Decimal(1).scaleb(d.adjusted() - 2), rounding=ROUND_HALF_UP)):g}"


def js_fixed(v: float, digits: int) -> str:
    """``v.toFixed(digits)`` as JavaScript writes it: the exact binary value rounded, ties away
    from zero (Python's format rounds ties to even), so static and live texts agree."""
    return str(Decimal(v or 0.0).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def js_exp(v: float, digits: int) -> str:
    """``v.toExponential(digits)`` as JavaScript writes it (``7.80e-4``, ``1.87e+0``)."""
    d = Decimal(v or 0.0)
    e = d.adjusted() if d else 0
    m = d.scaleb(-e).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if abs(m) >= 10:
        e += 1
        m = d.scaleb(-e).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{m}e{e:+d}"


def js_str(v) -> str:
    """``String(v)`` of a JavaScript number (shortest round-trip digits; exponent below 1e-6
    and from 1e21), for labels that quote a configured value."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    r = repr(v)
    if 1e-6 <= abs(v) < 1e21:
        return format(Decimal(r), "f")
    m, e = r.split("e")
    return f"{m}e{int(e):+d}"


def log_domain(values, floor: float = 1e-300) -> tuple[float, float]:
    """Whole decades around the positive finite ``values``: ``(10^⌊log min⌋, 10^⌈log max⌉)``,
    at least one decade wide; ``(0.1, 10)`` when there are none (mirrors charts.js)."""
    ok = [v for v in values if v is not None and math.isfinite(v) and v > floor]
    if not ok:
        return (0.1, 10.0)
    lo, hi = math.floor(math.log10(min(ok))), math.ceil(math.log10(max(ok)))
    return (10.0 ** lo, 10.0 ** max(hi, lo + 1))


def line_summary(title, x_label, y_label, bars=(), series=(), log_y=False) -> str:
    """charts.js's ``lineSummary``: a line chart's text alternative (title, what is plotted
    against what, and each named bar group's and line's first and last value with their x)."""
    parts = []
    for s in [*bars, *series]:
        if s.get("name") is None:
            continue
        pts = [(x, y) for x, y in s["points"] if _finite(y, log_y)]
        if not pts:
            parts.append(f"{s['name']}: no values")
        elif len(pts) == 1:
            parts.append(f"{s['name']} {_fmt(pts[0][1])} at {_fmt(pts[0][0])}")
        else:
            (xa, ya), (xb, yb) = pts[0], pts[-1]
            parts.append(f"{s['name']} from {_fmt(ya)} at {_fmt(xa)} to {_fmt(yb)} at {_fmt(xb)}")
    return f"{title}: {y_label} against {x_label}" + (f"; {'; '.join(parts)}" if parts else "") + "."


def boundary_summary(title: str, boundary: dict, points: int) -> str:
    """charts.js's ``boundarySummary``: how much of the plane each class takes."""
    classes = boundary["classes"]
    shares = ", ".join(f"class {c} on {math.floor(100 * classes.count(c) / len(classes) + 0.5)} %"
                       for c in sorted(set(classes)))
    return (f"{title}: the class the network predicts at each point of the input plane, with the {points} "
            f"training points on top; it predicts {shares} of the plane.")


def aria_label(svg: str) -> str:
    """The aria-label of ``svg`` (a chart drawn above), unescaped."""
    return unescape(svg.partition('aria-label="')[2].partition('"')[0])


def relabel(svg: str, label: str) -> str:
    """``svg`` (a chart drawn above) with its aria-label replaced by ``label``, as a widget's
    ``svg.setAttribute("aria-label", …)`` does live."""
    head, sep, rest = svg.partition('aria-label="')
    return head + sep + escape(label) + rest[rest.index('"'):]


def _svg(label: str, body: list[str]) -> str:
    return (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
            f'class="sim-chart">' + "".join(body) + "</svg>")


def log_ticks(lo: float, hi: float) -> list[float]:
    ticks = [10.0 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             if lo * (1 - 1e-9) <= 10.0 ** e <= hi * (1 + 1e-9)]
    step = math.ceil(len(ticks) / 6) or 1
    return ticks[::step]


def _frame(title, x_dom, y_dom, x_label, y_label, log_y=False, x_integer=False):
    (x0, x1) = x_dom
    (y0, y1) = (math.log10(y_dom[0]), math.log10(y_dom[1])) if log_y else y_dom

    def sx(x):
        return ML + (x - x0) / ((x1 - x0) or 1) * (W - ML - MR)

    def sy(y):
        return H - MB - ((math.log10(y) if log_y else y) - y0) / ((y1 - y0) or 1) * (H - MT - MB)

    body = [f'<text x="{ML}" y="16" class="sim-chart-title">{escape(title)}</text>']
    for t in (log_ticks(*y_dom) if log_y else nice_ticks(y0, y1, 4)):
        body.append(f'<line x1="{ML}" x2="{W - MR}" y1="{sy(t)}" y2="{sy(t)}" class="sim-gridline"/>')
        body.append(f'<text x="{ML - 6}" y="{sy(t) + 4}" class="sim-tick" text-anchor="end">{_fmt(t)}</text>')
    for t in nice_ticks(x0, x1, 5):
        if x_integer and not float(t).is_integer():
            continue
        body.append(f'<text x="{sx(t)}" y="{H - MB + 14}" class="sim-tick" text-anchor="middle">{_fmt(t)}</text>')
    body.append(f'<line x1="{ML}" x2="{W - MR}" y1="{H - MB}" y2="{H - MB}" class="sim-axis"/>')
    body.append(f'<text x="{(ML + W - MR) / 2}" y="{H - 4}" class="sim-label" text-anchor="middle">{escape(x_label)}</text>')
    cy = (MT + H - MB) / 2
    body.append(f'<text x="12" y="{cy}" class="sim-label" text-anchor="middle" transform="rotate(-90 12 {cy})">{escape(y_label)}</text>')
    return body, sx, sy


def _finite(v, log_y=False) -> bool:
    return v is not None and math.isfinite(v) and (not log_y or v > 0)


def line_chart(title, x_label, y_label, series, x_dom, y_dom, log_y=False, x_integer=False, *,
               label=None, bands=(), bars=(), hlines=(), hollow=(), y_notes=()) -> str:
    """charts.js's ``lineChart``, mark for mark; its doc comment is the reference. Layers, each
    a list of dicts with the same keys as there, drawn in this order:

    - ``bands``: ``{cls, points: [(x, lo, hi)]}``, a filled range (``sim-band``);
    - ``bars``: ``{name, cls, points: [(x, y)], legend}``, grouped bars from y = 0, x one unit
      apart (the groups share 0.8 of a slot, at most 14 px a bar; ``sim-bars``/``sim-bar``);
    - ``hlines``: ``{y, cls, dashed}``, horizontal reference lines across the plot;
    - ``series``: ``{name, cls, points: [(x, y)], dashed, markers, legend}``, lines (a y of
      None is a gap; ``legend: False`` leaves a series out of the legend);
    - ``hollow``: ``{x, y, cls, dx, title}``, free hollow markers shifted ``dx`` px sideways;
    - ``y_notes``: ``{y, lines: [text]}``, words in the y-tick column centred on y.

    Bar groups and named series enter the legend, in that order. ``log_y`` draws the y axis in
    powers of ten; ``x_integer`` keeps only whole-number x ticks (counts); ``label`` is the
    aria-label (default: :func:`line_summary`'s sentence)."""
    body, sx, sy = _frame(title, x_dom, y_dom, x_label, y_label, log_y, x_integer)

    def clamp_y(y):
        return min(max(y, y_dom[0]), y_dom[1])

    slot = [0]  # legend slot

    def legend(name, cls):
        lx, ly = W - MR - 150 + 78 * slot[0], 12  # legend in the title row, right-aligned
        slot[0] += 1
        body.append(f'<line x1="{lx}" x2="{lx + 16}" y1="{ly}" y2="{ly}" class="{cls}"/>')
        body.append(f'<text x="{lx + 20}" y="{ly + 4}" class="sim-legend">{escape(name)}</text>')

    for b in bands:
        pts = [p for p in b["points"] if _finite(p[1], log_y) and _finite(p[2], log_y)]
        if not pts:
            continue
        upper = "".join(f"{'L' if k else 'M'}{sx(x):.1f},{sy(clamp_y(hi)):.1f}" for k, (x, _, hi) in enumerate(pts))
        lower = "".join(reversed([f"L{sx(x):.1f},{sy(clamp_y(lo)):.1f}" for x, lo, _ in pts]))
        body.append(f'<path d="{upper}{lower}Z" class="sim-band {b["cls"]}"/>')
    bw = min(0.8 / (len(bars) or 1) * ((W - ML - MR) / ((x_dom[1] - x_dom[0]) or 1)), 14)
    base = sy(y_dom[0] if log_y else clamp_y(0))
    for n, b in enumerate(bars):
        body.append(f'<g class="sim-bars {b["cls"]}">')
        for x, y in b["points"]:
            if not _finite(y, log_y):
                continue
            top = sy(clamp_y(y))
            body.append(f'<rect x="{sx(x) + (n - len(bars) / 2) * bw:.2f}" y="{top:.2f}" width="{bw:.2f}" '
                        f'height="{max(base - top, 0):.2f}" class="sim-bar {b["cls"]}"/>')
        body.append("</g>")
        if b.get("legend") is not False and b.get("name") is not None:
            legend(b["name"], f'sim-line {b["cls"]}')
    for line in hlines:
        if not _finite(line["y"], log_y):
            continue
        y = f"{sy(clamp_y(line['y'])):.1f}"
        cls = f'sim-line {line["cls"]}' + (" sim-dashed" if line.get("dashed") else "")
        body.append(f'<line x1="{ML}" x2="{W - MR}" y1="{y}" y2="{y}" class="{cls}"/>')
    for s in series:
        d, dots, pen = [], [], "M"
        for x, y in s["points"]:
            if not _finite(y, log_y):
                pen = "M"
                continue
            yc = clamp_y(y)
            d.append(f"{pen}{sx(x):.1f},{sy(yc):.1f}")
            if s.get("markers"):
                dots.append((sx(x), sy(yc)))
            pen = "L"
        cls = f'sim-line {s["cls"]}' + (" sim-dashed" if s.get("dashed") else "")
        body.append(f'<path d="{"".join(d)}" class="{cls}"/>')
        body += [f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" class="sim-marker {s["cls"]}"/>'
                 for cx, cy in dots]
        if s.get("legend") is not False:
            legend(s["name"], cls)
    for m in hollow:
        if not _finite(m["y"], log_y):
            continue
        tip = f'<title>{escape(m["title"])}</title>' if m.get("title") is not None else ""
        body.append(f'<circle cx="{sx(m["x"]) + m.get("dx", 0):.1f}" cy="{sy(clamp_y(m["y"])):.1f}" r="3.5" '
                    f'class="sim-marker sim-hollow {m["cls"]}">{tip}</circle>')
    for note in y_notes:
        n = len(note["lines"])
        for k, text in enumerate(note["lines"]):
            body.append(f'<text x="{ML - 6}" y="{sy(clamp_y(note["y"])) + 4 + 9 * (k - (n - 1) / 2):.1f}" '
                        f'class="sim-tick" text-anchor="end">{escape(text)}</text>')
    return _svg(line_summary(title, x_label, y_label, bars, series, log_y) if label is None else label, body)


def boundary_chart(title: str, boundary: dict, data: dict) -> str:
    size = H - MT - 8
    x0, y0, n = (W - size) / 2, MT, boundary["n"]
    cell = size / n
    body = [f'<text x="{ML}" y="16" class="sim-chart-title">{escape(title)}</text>', '<g class="sim-boundary">']
    classes = boundary["classes"]
    for j in range(n):  # one rect per run of equal class along a row, as charts.js draws it
        i = 0
        while i < n:
            c, end = classes[j * n + i], i + 1
            while end < n and classes[j * n + end] == c:
                end += 1
            body.append(f'<rect x="{x0 + i * cell:.2f}" y="{y0 + size - (j + 1) * cell:.2f}" '
                        f'width="{(end - i) * cell + 0.3:.2f}" height="{cell + 0.3:.2f}" '
                        f'class="sim-cell sim-class-{c}"/>')
            i = end
    body.append('</g><g class="sim-points">')
    (lx, ly), (hx, hy) = boundary["lo"], boundary["hi"]
    by_class: dict = {}  # one path of small circles per class, as charts.js draws them
    for (x, y), c in zip(data["X_train"], data["y_train"]):
        cx, cy = x0 + (x - lx) / (hx - lx) * size, y0 + size - (y - ly) / (hy - ly) * size
        by_class.setdefault(c, []).append(
            f"M{cx - 2.2:.1f},{cy:.1f}a2.2,2.2 0 1,0 4.4,0a2.2,2.2 0 1,0 -4.4,0")
    for c in sorted(by_class):
        body.append(f'<path d="{"".join(by_class[c])}" class="sim-point sim-class-{c}"/>')
    body.append(f'</g><rect x="{x0}" y="{y0}" width="{size}" height="{size}" class="sim-box"/>')
    return _svg(boundary_summary(title, boundary, len(data["X_train"])), body)


_STOPS = [(0, 32, 76), (87, 92, 109), (124, 123, 120), (188, 175, 111), (253, 231, 55)]


def sequential(t: float) -> str:
    """Sequential colour for ``t`` in [0, 1] (cividis-like), as charts.js's ``sequential``."""
    u = min(max(t, 0.0), 1.0) * (len(_STOPS) - 1)
    i = min(int(math.floor(u)), len(_STOPS) - 2)
    f = u - i
    c = [round(a + f * (b - a)) for a, b in zip(_STOPS[i], _STOPS[i + 1])]
    return f"rgb({c[0]},{c[1]},{c[2]})"


def heatmap(title, x_label, y_label, x, y, values, log_scale=False, *, label=None,
            contours=()) -> str:
    """``values[j][i]`` over columns ``x`` and rows ``y`` (increasing upwards), as charts.js's
    ``heatmap``: ``contours`` (``{text, segments: [((x, y), (x, y))]}``) are haloed iso-lines
    labelled at their rightmost end; ``label`` is the aria-label (default: the title, the axes
    and the colour range)."""
    def ok(v):
        return v is not None and math.isfinite(v) and (not log_scale or v > 0)

    def f(v):
        return math.log10(v) if log_scale else v

    flat = [f(v) for row in values for v in row if ok(v)]
    lo, hi = min(flat), max(flat)
    body, sx, sy = _frame(title, (x[0], x[-1]), (y[0], y[-1]), x_label, y_label)
    dx = (sx(x[-1]) - sx(x[0])) / max(len(x) - 1, 1)
    dy = (sy(y[0]) - sy(y[-1])) / max(len(y) - 1, 1)
    cells = ['<g class="sim-heat">']
    for j, row in enumerate(values):
        for i, v in enumerate(row):
            fill = sequential((f(v) - lo) / ((hi - lo) or 1)) if ok(v) else "none"
            cells.append(f'<rect x="{sx(x[i]) - dx / 2:.2f}" y="{sy(y[j]) - dy / 2:.2f}" '
                         f'width="{dx + 0.3:.2f}" height="{dy + 0.3:.2f}" fill="{fill}"/>')
    cells.append("</g>")
    body[1:1] = cells
    note = (f"colour: 10^{lo:.1f} … 10^{hi:.1f}" if log_scale else f"colour: {_fmt(lo)} … {_fmt(hi)}")
    body.append(f'<text x="{W - MR}" y="16" class="sim-legend" text-anchor="end">{escape(note)}</text>')
    if contours:
        body.append('<g class="sim-iso">')
        for c in contours:
            segs = c["segments"]
            d = "".join(f"M{sx(p[0]):.1f},{sy(p[1]):.1f}L{sx(q[0]):.1f},{sy(q[1]):.1f}" for p, q in segs)
            body.append(f'<path d="{d}" class="sim-iso-halo"/><path d="{d}" class="sim-iso-line"/>')
            best = segs[0][0]  # the label at the rightmost end (the topmost of ties)
            for p, q in segs:
                for r in (p, q):
                    if r[0] > best[0] or (r[0] == best[0] and r[1] > best[1]):
                        best = r
            body.append(f'<text x="{sx(best[0]) - 2:.1f}" y="{sy(best[1]) - 2:.1f}" class="sim-iso-label" '
                        f'text-anchor="end">{escape(c["text"])}</text>')
        body.append("</g>")
    return _svg(f"{title}: {y_label} against {x_label}, {note}." if label is None else label, body)
