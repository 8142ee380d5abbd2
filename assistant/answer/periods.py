"""The home of period discipline: the fiscal years a company's documents cover, and whether a question asks for
a figure of a year none of them covers (it is refused before any search, naming the years that are covered).

A year is covered by a statement's column (a table header naming it: "2023年", "FY2023", "2023年12月31日",
forecast columns included — a plan covers the years it forecasts), by a report's own year (a report's file name
or title: ``annual_report_2023.pdf``, "2023年年度报告", "Annual Report 2023", "for the year ended December 31,
2023"), or by a sentence stating a figure for it ("2023年，公司实现营业收入…", "revenue for fiscal 2023 was …").
A year a passage merely mentions — a financing date, a maturity, a milestone — covers nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.answer.glossary import fiscal_years
from assistant.answer.query import Query
from assistant.core.records import Chunk
from assistant.text.tables import (
    is_pipe_row,
    row_cells,
    text_header_years,
)

_Y = r"((?:19|20)\d{2})"
# what a period's figure is of: statement items and headcounts (zh and en)
_ITEMS = (
    r"营业收入|营收|主营业务收入|销售收入|销售额|收入|净利润|利润|亏损|毛利|研发|费用|成本|员工|职工|人数|资产|负债|"
    r"现金流|现金|所得税|EBITDA|revenues?|sales|income|profit|loss|margin|expenses?|costs?|employees|headcount|"
    r"assets|liabilities|cash|earnings|R&D"
)
_ITEM = re.compile(_ITEMS, re.IGNORECASE)
_REPORT_NAME = re.compile(
    r"annual|report|年报|年度报告|审计|audit|financial|10-?k|prospectus|招股", re.IGNORECASE
)
_TITLE = re.compile(
    rf"{_Y}\s*年\s*(?:年度报告|年报|年度审计报告|审计报告|年度财务报告|财务报表|度报告)"
    rf"|annual\s+report\s+(?:for\s+)?(?:fiscal\s+(?:year\s+)?)?{_Y}"
    rf"|(?:fiscal|financial)\s+year\s+(?:ended\s+)?(?:[A-Z][a-z]+\s+\d{{1,2}},?\s+)?{_Y}"
    rf"|year\s+ended\s+[A-Z][a-z]+\s+\d{{1,2}},?\s+{_Y}",
    re.IGNORECASE,
)
_ZH_STATED = re.compile(rf"{_Y}\s*年(?:度|末|底|全年)?[^。；;\n]{{0,16}}?(?:{_ITEMS})", re.IGNORECASE)
_EN_STATED = re.compile(
    rf"(?:{_ITEMS})[^.;\n]{{0,40}}?\b(?:in|for|of|during)\s+(?:the\s+)?(?:fiscal\s+(?:year\s+)?|FY\s?)?{_Y}\b"
    rf"|\b(?:in|for|during)\s+(?:fiscal\s+(?:year\s+)?|FY\s?)?{_Y},?\s+[^.;\n]{{0,30}}?(?:{_ITEMS})",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def _found(pattern: re.Pattern[str], text: str) -> set[str]:
    return {y for m in pattern.finditer(text) for y in m.groups() if y}


# a column title that is a fiscal year or its closing date, nothing else: "2023", "FY2023", "2023年度",
# "2023年末", "2023年12月31日", "2023年（实际）", "2024E", "December 31, 2023" (never a date inside a year:
# "2021年8月", "2020-06-19")
_YEAR_COLUMN = re.compile(
    rf"(?:FY\s?)?{_Y}\s*(?:年(?:度|末|初|底)?(?:\s*12\s*月\s*31\s*日)?)?\s*(?:[（(][^）)\d]{{0,8}}[）)]|[EAF])?"
    rf"|(?:December|Dec\.?)\s+31,?\s+{_Y}",
    re.IGNORECASE,
)


def _column_year(cell: str) -> str | None:
    m = _YEAR_COLUMN.fullmatch(cell.strip())
    return next((y for y in m.groups() if y), None) if m else None


def _header_years(text: str) -> set[str]:
    """Years of the table headers in ``text``: Markdown rows whose cells are year columns or labels (no
    figure), and plain-text header lines ("项目 2023年 2022年")."""
    out: set[str] = set()
    for line in text.split("\n"):
        if is_pipe_row(line):
            cells = [c for c in row_cells(line)[1:] if c]
            years = [y for c in cells if (y := _column_year(c))]
            if years and not any(re.search(r"\d", c) for c in cells if not _column_year(c)):
                out |= set(years)
        elif (found := text_header_years(line.strip())) is not None:
            out |= {y for y in found if y}
    return out


def covered_years(chunks: Iterable[Chunk]) -> set[str]:
    """The fiscal years a company's passages cover (see the module's docstring)."""
    out: set[str] = set()
    for chunk in chunks:
        if _REPORT_NAME.search(chunk.doc):
            out |= set(_YEAR.findall(chunk.doc))
        text = chunk.text
        out |= (
            _header_years(text) | _found(_TITLE, text) | _found(_ZH_STATED, text) | _found(_EN_STATED, text)
        )
    return out


def report_year(doc: str, texts: Iterable[str]) -> str | None:
    """A document's own fiscal year: the latest year its file name (a report's) or a title in its text names
    ("2023年年度报告", "Annual Report 2023", "for the fiscal year ended December 31, 2023"); None when neither
    does (a news article, a business plan)."""
    years = set(_YEAR.findall(doc)) if _REPORT_NAME.search(doc) else set()
    for text in texts:
        years |= _found(_TITLE, text)
    return max(years) if years else None


@dataclass(frozen=True)
class Periods:
    """What a company's documents cover: the fiscal years, and each report's own year."""

    years: set[str] = field(default_factory=set)
    reports: dict[str, str] = field(default_factory=dict)  # document → its own fiscal year

    @classmethod
    def of(cls, chunks: Iterable[Chunk]) -> Periods:
        chunks = list(chunks)
        by_doc: dict[str, list[str]] = {}
        for chunk in chunks:
            by_doc.setdefault(chunk.doc, []).append(chunk.text)
        reports = {doc: y for doc, texts in by_doc.items() if (y := report_year(doc, texts))}
        return cls(covered_years(chunks), reports)

    def of_passage(self, chunk: Chunk) -> set[str]:
        """The years a passage is about: those it names, and its report's own year (a report's "报告期内获得
        发明专利9项" is of the report's year though the sentence names none)."""
        own = self.reports.get(chunk.doc)
        return set(_YEAR.findall(chunk.text)) | ({own} if own else set())


def passage_years(chunk: Chunk, periods: Periods | None) -> set[str]:
    return periods.of_passage(chunk) if periods else set(_YEAR.findall(chunk.text))


def asked_years(query: Query) -> list[str]:
    """The fiscal years a question asks a figure of (none when it asks for no statement item or headcount:
    "who led the 2021 round?" is about an event, not a period)."""
    if not _ITEM.search(query.text):
        return []
    return list(dict.fromkeys([*query.years, *fiscal_years(query.text)]))


def uncovered(query: Query, covered: set[str]) -> list[str]:
    """The asked years no document covers ([] when nothing is known of the covered years)."""
    return [y for y in asked_years(query) if y not in covered] if covered else []


def year_ranges(years: Iterable[str]) -> str:
    """``2019, 2020, 2021, 2023`` → ``2019–2021, 2023``."""
    runs: list[list[int]] = []
    for year in sorted({int(y) for y in years}):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


__all__ = [
    "Periods",
    "asked_years",
    "covered_years",
    "passage_years",
    "report_year",
    "uncovered",
    "year_ranges",
]
