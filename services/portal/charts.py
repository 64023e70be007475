"""Charts drawn on the server as SVG: nothing to download, prints on A4, readable without
script. Colours pass WCAG AA contrast against white; each chart has a title and a table
alternative on its page."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

BEFORE = "#8a4b08"  # dark amber
AFTER = "#0b5394"  # dark blue
BAR = "#0b5394"
TEXT = "#1f1f1f"
COLOURS = [BEFORE, AFTER, "#38761d"]


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}"'
        f' viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
        f' fill="{TEXT}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}">'
        f"{title}</rect>"
    )


def grouped_bars(
    title: str, categories: list[str], series: list[tuple[str, list[float]]], width: int = 560
) -> Markup:
    """Bars per category, one per series (e.g. asks before vs after folding per unit kind)."""
    top = max([v for _, values in series for v in values] + [1])
    height, left, bottom, pad = 240, 48, 40, 28
    plot_w = width - left - 16
    plot_h = height - bottom - pad
    group_w = plot_w / max(len(categories), 1)
    bar_w = min(40.0, group_w * 0.7 / max(len(series), 1))
    parts = [_open(title, width, height + 24)]
    for step in range(5):
        y = pad + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
        )
        parts.append(_text(left - 6, y + 4, f"{top * step / 4:.0f}", "end", 11))
    for i, category in enumerate(categories):
        x0 = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, (name, values) in enumerate(series):
            v = values[i]
            h = plot_h * v / top
            x = x0 + j * bar_w
            tip = f"{category} {name}: {v:.1f}"
            parts.append(_rect(x, pad + plot_h - h, bar_w - 2, h, COLOURS[j % 3], tip))
            parts.append(_text(x + bar_w / 2 - 1, pad + plot_h - h - 4, f"{v:.1f}", "middle", 11))
        parts.append(_text(left + i * group_w + group_w / 2, pad + plot_h + 18, category, "middle"))
    for j, (name, _values) in enumerate(series):
        x = left + j * 140
        parts.append(_rect(x, height + 6, 12, 12, COLOURS[j % 3]))
        parts.append(_text(x + 18, height + 16, name))
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(title: str, rows: list[tuple[str, float, str]], width: int = 560) -> Markup:
    """One bar per row (label, value, note) in the order given: a ranking or completion."""
    top = max([v for _, v, _n in rows] + [1e-9])
    row_h, left = 22, 150
    parts = [_open(title, width, row_h * len(rows) + 10)]
    for i, (label, value, note) in enumerate(rows):
        y = 5 + i * row_h
        w = (width - left - 90) * value / top if top else 0
        parts.append(_text(left - 6, y + 15, label, "end"))
        parts.append(_rect(left, y + 3, max(w, 1), row_h - 6, BAR))
        parts.append(_text(left + w + 6, y + 15, note))
    parts.append("</svg>")
    return Markup("".join(parts))


def percent_line(title: str, points: list[tuple[str, float]], width: int = 560) -> Markup:
    """A line over 0-100 % (e.g. completion by day): points are (label, percent), in order;
    about six labels are written under the axis."""
    height, left, bottom, pad = 220, 48, 36, 16
    plot_w, plot_h = width - left - 16, height - bottom - pad
    parts = [_open(title, width, height)]
    for step in range(5):
        y = pad + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
        )
        parts.append(_text(left - 6, y + 4, f"{25 * step}%", "end", 11))
    span = max(len(points) - 1, 1)
    xy = [
        (left + plot_w * i / span, pad + plot_h - plot_h * min(max(p, 0.0), 100.0) / 100)
        for i, (_label, p) in enumerate(points)
    ]
    if xy:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    every = max(1, len(points) // 6)
    for i, ((label, value), (x, y)) in enumerate(zip(points, xy, strict=True)):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{BAR}">'
            f"<title>{escape(label)}: {value:.0f}%</title></circle>"
        )
        if i % every == 0 or i == len(points) - 1:
            parts.append(_text(x, pad + plot_h + 18, label, "middle", 11))
    parts.append("</svg>")
    return Markup("".join(parts))
