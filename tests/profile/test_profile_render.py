"""JSON, Markdown and the self-contained HTML report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from assistant.profile import Profile
from assistant.profile.render import bar_chart, line_chart, render


def test_json_round_trips(profiles: dict[str, Profile]) -> None:
    for profile in profiles.values():
        assert Profile.model_validate(json.loads(render(profile, "json"))) == profile


def test_markdown_report(profiles: dict[str, Profile]) -> None:
    md = render(profiles["栖云智算"], "md")
    assert md.startswith("# 杭州栖云智算科技股份有限公司 — company profile")
    for heading in (
        "## Identity",
        "## Financials and operations by year",
        "## Qualification checks",
        "## Red flags",
        "## Contradictions between documents (3)",
        "## Not in the documents",
        "## Financing rounds",
    ):
        assert heading in md
    assert "| Revenue | ¥1.23亿 | ¥1.68亿 ⚠ | +36.9% |" in md  # period over period, conflict marked
    assert "annual_report_2023.pdf p.2" in md


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs


@pytest.mark.parametrize("company", ["栖云智算", "Brightfold", "知衡软件"])
def test_html_report_is_self_contained(profiles: dict[str, Profile], company: str) -> None:
    page = render(profiles[company], "html")
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert not any(name == "src" for name, _ in parser.attrs)
    assert not any(name == "href" and value and not value.startswith("#") for name, value in parser.attrs)
    assert "http://" not in page and "https://" not in page and "url(" not in page and "@import" not in page
    assert parser.tags.count("svg") == 2  # revenue/profit bars and the ratio lines
    years = sorted(profiles[company].financials)
    assert all(f">{y}<" in page for y in years)  # a column per year, the period-over-period view
    assert re.search(r"<th>\d{4}→\d{4}</th>", page)
    assert 'id="ref1"' in page  # numbered source quotes


def test_charts_handle_negative_and_missing_values() -> None:
    svg = bar_chart("t", ["2021", "2022"], {"a": [("2021", -5.0), ("2022", None)]}, lambda v: f"{v:.0f}")
    assert svg.startswith("<svg") and "<rect" in svg and svg.endswith("</svg>")
    assert line_chart("t", ["2021"], {"a": [("2021", None)]}) == ""


def test_unknown_format() -> None:
    with pytest.raises(ValueError):
        render(Profile(company="x"), "pdf")  # type: ignore[arg-type]
