"""A profile as JSON, Markdown, or a self-contained HTML report (inline CSS and SVG charts, no
network resources) that a credit committee can read: identity, multi-year financials with a
period-over-period view, R&D and IP, customers, financing, qualifications, legal matters, checks,
signals and red flags, contradictions, unknown fields, and every source quote."""

from __future__ import annotations

from typing import Literal

from assistant.profile.render.charts import bar_chart, line_chart
from assistant.profile.render.html_report import to_html
from assistant.profile.render.markdown import to_markdown
from assistant.profile.schema import Profile

Format = Literal["json", "md", "html"]


def render(profile: Profile, fmt: Format = "json") -> str:
    if fmt == "json":
        return profile.model_dump_json(indent=2)
    if fmt == "md":
        return to_markdown(profile)
    if fmt == "html":
        return to_html(profile)
    raise ValueError(f"unknown format {fmt!r} (json, md or html)")


__all__ = ["Format", "bar_chart", "line_chart", "render", "to_html", "to_markdown"]
