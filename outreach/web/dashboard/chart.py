"""Outcomes over time as inline SVG, drawn on the server (no script, no external asset).

Cumulative lines, one per outcome, over equal time buckets. Pure: numbers in, markup out;
every value placed in the markup is a number or a fixed label, the time labels are escaped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import Markup, escape

COLOURS = {"sent": "#1b7a3a", "deferred": "#9a6700", "bounced": "#b3261e", "failed": "#5b3e96"}
# The lines count status changes, the cards count messages now: a message deferred three
# times and then sent is one "sent" card but three deferrals. Final outcomes match the cards
# one to one; the others are named for what they count, so legend and cards never disagree.
LEGEND = {"sent": "sent", "bounced": "bounced", "deferred": "deferrals (retried)",
          "failed": "failures"}
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 48, 28, 12


def cumulative(values: list[int]) -> list[int]:
    out, running = [], 0
    for value in values:
        running += value
        out.append(running)
    return out


def _points(values: list[int], top: int) -> str:
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    steps = max(len(values) - 1, 1)
    coords = []
    for i, value in enumerate(values):
        x = PAD_LEFT + plot_w * i / steps
        y = PAD_TOP + plot_h * (1 - value / top)
        coords.append(f"{x:.1f},{y:.1f}")
    return " ".join(coords)


EMPTY_SVG = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 40" width="{WIDTH}" '
             f'height="40"><text x="8" y="24" font-size="14">No outcomes yet.</text></svg>')


def outcomes_svg(start: datetime | None, width_seconds: int, series: dict[str, list[int]],
                 *, standalone: bool = False) -> Markup:
    """An accessible line chart; an empty note when nothing has happened yet (`standalone`:
    an SVG document either way, for an <img>)."""
    lines = {k: cumulative(v) for k, v in series.items() if v}
    if start is None or not lines or not any(v[-1] for v in lines.values()):
        note = EMPTY_SVG if standalone else '<p class="chart-empty">No outcomes yet.</p>'
        return Markup(note)  # noqa: S704 - fixed text
    top = max(max(v) for v in lines.values()) or 1
    length = max(len(v) for v in lines.values())
    end = start + timedelta(seconds=width_seconds * length)
    length = max(length, 2)  # a blast done within one bucket is still drawn as a line
    summary = ", ".join(f"{k} {v[-1]}" for k, v in lines.items())
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">Outcomes over time: {escape(summary)}</title>',
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH - 8}" '
        f'y2="{HEIGHT - PAD_BOTTOM}" stroke="#6b6b6b"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{HEIGHT - PAD_BOTTOM}" '
        f'stroke="#6b6b6b"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 10}" text-anchor="end" font-size="12">'
        f"{top}</text>",
        f'<text x="{PAD_LEFT - 6}" y="{HEIGHT - PAD_BOTTOM}" text-anchor="end" '
        f'font-size="12">0</text>',
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 8}" font-size="12">'
        f'{escape(start.strftime("%H:%M:%S"))}</text>',
        f'<text x="{WIDTH - 8}" y="{HEIGHT - 8}" text-anchor="end" font-size="12">'
        f'{escape(end.strftime("%H:%M:%S"))} UTC</text>',
    ]
    x = PAD_LEFT + 12
    for name, values in lines.items():
        colour = COLOURS.get(name, "#333333")
        padded = values + [values[-1]] * (length - len(values))
        parts.append(f'<polyline class="line-{escape(name)}" fill="none" stroke="{colour}" '
                     f'stroke-width="2.5" points="{_points(padded, top)}"/>')
        label = f"{LEGEND.get(name, name)} {values[-1]}"
        parts.append(f'<rect x="{x}" y="{PAD_TOP}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{PAD_TOP + 11}" font-size="12">'
                     f"{escape(label)}</text>")
        x += 16 + 7 * len(label) + 18  # about 7 px a character at 12 px
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers, fixed names and escape()d text only
