"""Inline SVG charts for the HTML report: revenue and profit bars, ratio lines."""

from __future__ import annotations

import html
from collections.abc import Callable

from assistant.profile.render.common import money
from assistant.profile.schema import Profile


def _e(text: object) -> str:
    return html.escape(str(text))


def _series(p: Profile, years: list[str], key: str) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for y in years:
        fv = p.financials[y].get(key)
        out.append((y, float(fv.value) if fv and isinstance(fv.value, int | float) else None))
    return out


def charts(p: Profile, years: list[str]) -> str:
    charts: list[str] = []
    revenue = _series(p, years, "revenue")
    profit = _series(p, years, "net_profit")
    unit = next((fv.unit for y in years for k, fv in p.financials[y].items() if k == "revenue"), None)
    if sum(v is not None for _, v in revenue) >= 1:
        charts.append(
            bar_chart(
                "Revenue and net profit",
                years,
                {"Revenue": revenue, "Net profit": profit},
                lambda v: money(v, unit),
            )
        )
    rd = _series(p, years, "rd_ratio")
    gm = _series(p, years, "gross_margin")
    net_margin = [
        (y, 100 * n / r if n is not None and r else None)
        for (y, r), (_, n) in zip(revenue, profit, strict=True)
    ]
    lines = {
        k: v
        for k, v in (("R&D / revenue", rd), ("Gross margin", gm), ("Net margin (computed)", net_margin))
        if sum(x is not None for _, x in v) >= 1
    }
    if lines:
        charts.append(line_chart("Ratios (%)", years, lines))
    return "".join(charts)


_COLORS = ("#1a73e8", "#e37400", "#137333", "#a142f4", "#b3261e")


def bar_chart(
    title: str,
    labels: list[str],
    series: dict[str, list[tuple[str, float | None]]],
    fmt: Callable[[float], str],
    width: int = 520,
    height: int = 260,
) -> str:
    values = [v for s in series.values() for _, v in s if v is not None]
    if not values:
        return ""
    top, bottom = max(0.0, max(values)), min(0.0, min(values))
    span = (top - bottom) or 1.0
    left, right, upper, lower = 40, 10, 30, 40
    plot_h = height - upper - lower
    zero = upper + plot_h * top / span
    group = (width - left - right) / max(1, len(labels))
    bar_w = group * 0.7 / max(1, len(series))
    out = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="600">{_e(title)}</text>',
        f'<line x1="{left}" y1="{zero:.1f}" x2="{width - right}" y2="{zero:.1f}" stroke="#9aa7b4"/>',
    ]
    for si, (name, points) in enumerate(series.items()):
        color = _COLORS[si % len(_COLORS)]
        for li, (_label, v) in enumerate(points):
            if v is None:
                continue
            x = left + li * group + group * 0.15 + si * bar_w
            h = plot_h * abs(v) / span
            y = zero - h if v >= 0 else zero
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" fill="{color}">'
                f"<title>{_e(name)} {_e(_label)}: {_e(fmt(v))}</title></rect>"
            )
            ty = y - 3 if v >= 0 else y + h + 11
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{ty:.1f}" font-size="9" text-anchor="middle">{_e(fmt(v))}</text>'
            )
        out.append(
            f'<rect x="{left + si * 110}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 14 + si * 110}" y="{height - 5}" font-size="11">{_e(name)}</text>'
        )
    for li, label in enumerate(labels):
        out.append(
            f'<text x="{left + li * group + group / 2:.1f}" y="{height - 22}" font-size="11" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def line_chart(
    title: str,
    labels: list[str],
    series: dict[str, list[tuple[str, float | None]]],
    width: int = 520,
    height: int = 260,
) -> str:
    values = [v for s in series.values() for _, v in s if v is not None]
    if not values:
        return ""
    top, bottom = max(values + [0.0]), min(values + [0.0])
    span = (top - bottom) or 1.0
    left, right, upper, lower = 40, 10, 30, 40
    plot_h = height - upper - lower
    step = (width - left - right) / max(1, len(labels))

    def y_of(v: float) -> float:
        return upper + plot_h * (top - v) / span

    out = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="600">{_e(title)}</text>',
        f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{width - right}" y2="{y_of(0):.1f}" stroke="#9aa7b4"/>',
    ]
    for si, (name, points) in enumerate(series.items()):
        color = _COLORS[si % len(_COLORS)]
        coords = [
            (left + i * step + step / 2, y_of(v), v) for i, (_, v) in enumerate(points) if v is not None
        ]
        if len(coords) >= 2:
            out.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
                + '"/>'
            )
        for x, y, v in coords:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{_e(name)}: {v:.2f}%</title></circle>'
                f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="9" text-anchor="middle">{v:.1f}</text>'
            )
        out.append(
            f'<rect x="{left + si * 150}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 14 + si * 150}" y="{height - 5}" font-size="11">{_e(name)}</text>'
        )
    for i, label in enumerate(labels):
        out.append(
            f'<text x="{left + i * step + step / 2:.1f}" y="{height - 22}" font-size="11" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
