"""Charts of the statistics pages as SVG written on the server: no script, no outside file, no
inline style (the pages' Content-Security-Policy forbids them; colours are SVG attributes).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by a ``<desc>``
that states every value in words; every bar carries its own ``<title>`` and its value as text,
so nothing is told by colour alone. The pages put the same figures in a table beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 190
BAR_HEIGHT = 18
ROW_GAP = 10
TOP = 34  # room for the legend
PALETTE = ("#1f6f8b", "#e0a526", "#8c3b3b", "#4f8a3c", "#6b5b95")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]
    colour: str


def _fmt(value: float, unit: str) -> str:
    shown = f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
    return shown + unit


def _label(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _frame(title: str, desc: str, height: int, body: list[str]) -> Markup:
    # ids from the title (unique on a page): the same page renders the same bytes each time,
    # as the static tree requires
    n = hashlib.sha256(title.encode("utf-8")).hexdigest()[:10]
    ids = f"chart-{n}-title chart-{n}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{ids}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        f'<title id="chart-{n}-title">{escape(title)}</title>',
        f'<desc id="chart-{n}-desc">{escape(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        *body,
        "</svg>",
    ]
    return Markup("\n".join(parts))  # noqa: S704 - every text in it went through escape()


def _legend(series: Sequence[Series]) -> list[str]:
    out, x = [], LABEL_WIDTH
    for s in series:
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{s.colour}"/>')
        out.append(f'<text x="{x + 16}" y="18" fill="#222222">{escape(s.name)}</text>')
        x += 28 + 13 * len(s.name)
    return out


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    maximum: float | None = None,
) -> Markup:
    """Horizontal bars, one row per label; several series are stacked (e.g. the openness
    classes of each department), one series is drawn with its value after the bar."""
    rows = len(labels)
    height = TOP + rows * (BAR_HEIGHT + ROW_GAP) + 10
    totals = [sum(s.values[i] for s in series) for i in range(rows)]
    top = maximum if maximum is not None else max(totals, default=0) or 1
    span = WIDTH - LABEL_WIDTH - 70
    body = _legend(series) if len(series) > 1 else []
    described: list[str] = []
    for i, label in enumerate(labels):
        y = TOP + i * (BAR_HEIGHT + ROW_GAP)
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end" fill="#222222">'
            f"{escape(_label(label))}</text>"
        )
        x = float(LABEL_WIDTH)
        parts = []
        for s in series:
            value = s.values[i]
            width = span * value / top if top else 0
            text = f"{label} {s.name}：{_fmt(value, unit)}"
            parts.append(f"{s.name} {_fmt(value, unit)}")
            if width > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                    f'fill="{s.colour}"><title>{escape(text)}</title></rect>'
                )
            x += width
        shown = _fmt(totals[i], unit) if len(series) == 1 else f"合计 {_fmt(totals[i], unit)}"
        body.append(f'<text x="{x + 6:.1f}" y="{y + 13}" fill="#222222">{escape(shown)}</text>')
        if len(series) > 1:
            described.append(f"{label}：{'，'.join(parts)}")
        else:
            described.append(f"{label}：{_fmt(totals[i], unit)}")
    desc = "；".join(described) + "。" if described else "暂无数据。"
    return _frame(title, desc, height, body)


def columns(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> Markup:
    """Vertical columns by month (several series side by side), values above the columns."""
    height, bottom, left = 240, 200, 40
    top = max((v for s in series for v in s.values), default=0) or 1
    slot = (WIDTH - left - 10) / max(len(labels), 1)
    width = max(2.0, (slot - 6) / max(len(series), 1))
    body = _legend(series)
    axis = f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="#888888"/>'
    body.append(axis)
    for i, label in enumerate(labels):
        x0 = left + i * slot + 3
        for j, s in enumerate(series):
            value = s.values[i]
            h = (bottom - TOP - 14) * value / top
            x = x0 + j * width
            body.append(
                f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{escape(f"{label} {s.name}：{_fmt(value, unit)}")}'
                "</title></rect>"
            )
            if value and len(labels) <= 24:
                body.append(
                    f'<text x="{x + width / 2:.1f}" y="{bottom - h - 3:.1f}" text-anchor="middle" '
                    f'font-size="9" fill="#222222">{escape(_fmt(value, unit))}</text>'
                )
        short = label[2:] if len(label) == 7 else label  # 2026-03 → 26-03
        body.append(
            f'<text x="{x0 + slot / 2 - 3:.1f}" y="{bottom + 14}" text-anchor="middle" '
            f'font-size="10" fill="#222222">{escape(short)}</text>'
        )
    described = [
        f"{s.name}："
        + "，".join(f"{m} {_fmt(v, unit)}" for m, v in zip(labels, s.values, strict=True))
        for s in series
    ]
    return _frame(title, "；".join(described) + "。" if labels else "暂无数据。", height, body)
