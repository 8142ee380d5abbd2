"""The fiscal year of a figure read from a sentence: dates in the sentence ("2023年", "in fiscal 2022",
"at December 31, 2023"), in the lines above it, or the document's own year; balances ("stock" fields)
only at a year end; years after the document's own (or in a business plan, its own year) are rejected.
Also the :class:`SegmentContext` every sentence extractor receives."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.profile.sources import DocContext
from assistant.text.dates import DateMention, dates
from assistant.text.figures import Figure

_EN_AFTER_YEAR = re.compile(
    r"^\s*(?:,\s*)?(?:in|for|during|of|at)\s+(?:the\s+)?(?:fiscal\s+(?:year\s+)?|FY\s?)?((?:19|20)\d{2})\b",
    re.IGNORECASE,
)
_YEAR_END_WORDS = re.compile(
    r"年末|年底|期末|报告期末|at year[- ]end|at the end of the year|end of (?:the )?year", re.IGNORECASE
)
_CONTINUING = re.compile(
    r"^\s*(?:\d+[.、]\s*)?(?:其中|此外|另外|Of these|Of which|In addition)", re.IGNORECASE
)

# balances: a value at a date (a year end), not a flow over the year
STOCK_FIELDS = frozenset(
    {
        "employees",
        "rd_staff",
        "rd_staff_ratio",
        "patents_total",
        "invention_patents",
        "utility_model_patents",
        "design_patents",
        "software_copyrights",
        "total_assets",
        "total_liabilities",
        "debt_ratio",
        "cash",
        "accounts_receivable",
        "registered_capital",
        "paid_in_capital",
    }
)
# fields without a period
IDENTITY_FIELDS = frozenset({"registered_capital", "paid_in_capital"})


@dataclass
class SegmentContext:
    """What the extractors know around a segment: its document and the dates of the lines above it."""

    doc: DocContext
    prior_dates: list[DateMention]  # dates in the previous two segments of the chunk


def year_of(sentence: str, m: Figure, sent_dates: list[DateMention], zh: bool) -> DateMention | None:
    """The date the sentence gives figure ``m``: the nearest before it (in English also "in 2023" or a date
    right after it)."""
    if not zh:
        after = _EN_AFTER_YEAR.match(sentence[m.end :])
        if after:
            return DateMention(iso=after.group(1), raw=after.group(0), start=m.end, end=m.end + after.end())
        for d in sent_dates:  # "at December 31, 2023" right after the figure
            if d.start >= m.end and d.start - m.end <= 20:
                return d
    before = [d for d in sent_dates if d.end <= m.start]
    if before:
        return before[-1]
    after_dates = [d for d in sent_dates if d.start >= m.end]
    if after_dates and not zh:
        return after_dates[0]
    return None


def sentence_dates(sentence: str, zh: bool) -> list[DateMention]:
    """Dates of a sentence, with bare years in English ones."""
    found = dates(sentence)
    if not zh:  # bare years: "in 2023", "2022:" (not "$2,023", not ISO 9001:2015)
        taken = [(d.start, d.end) for d in found]
        for y in re.finditer(r"(?<![\d,.$:/\-])((?:19|20)\d{2})(?!\d|,\d|%)", sentence):
            if not any(s <= y.start() < e for s, e in taken):
                found.append(DateMention(iso=y.group(1), raw=y.group(1), start=y.start(), end=y.end()))
        found.sort(key=lambda d: d.start)
    return found


def figure_period(
    field: str,
    sentence: str,
    m: Figure,
    sent_dates: list[DateMention],
    seg_before: list[DateMention],
    ctx: SegmentContext,
    zh: bool,
) -> tuple[str | None, int]:
    """Fiscal year of a figure (or None), and a priority adjustment (-1 when inferred from context)."""
    if field in IDENTITY_FIELDS:
        return None, 0
    d = year_of(sentence, m, sent_dates, zh)
    stock = field in STOCK_FIELDS
    if d is None and seg_before:
        d = seg_before[-1]
    continuing = bool(_CONTINUING.match(sentence))
    if d is None and (stock or continuing) and ctx.prior_dates:
        if len({p.iso[:4] for p in ctx.prior_dates}) > 1:
            return None, -9  # the lines above name several years (a table's header): which is this one's?
        d = ctx.prior_dates[-1]
    if d is not None:
        if stock and len(d.iso) == 10 and not d.iso.endswith("-12-31") and "年末" not in d.raw:
            return None, -9  # a balance at some other date is not a year-end figure
        return d.iso[:4], 0
    doc = ctx.doc
    if doc.fiscal_year and doc.type in ("annual_report", "audit_report", "report"):
        return str(doc.fiscal_year), -1
    if (
        continuing
        and doc.latest_year
        and doc.type in ("prospectus", "annual_report", "audit_report", "report")
    ):
        return str(doc.latest_year), -1
    if stock and doc.as_of:
        return doc.as_of[:4], -1
    if _YEAR_END_WORDS.search(sentence) and doc.fiscal_year:
        return str(doc.fiscal_year), -1
    return None, -1


def valid_period(period: str | None, ctx: DocContext) -> bool:
    """False for years before 1990, after the document's latest year, or (forward-looking documents) from
    their latest year on."""
    if period is None:
        return True
    year = int(period[:4])
    if year < 1990:
        return False
    if ctx.max_year is not None:
        if year > ctx.max_year:
            return False
        if ctx.forward_looking and year >= ctx.max_year:
            return False
    return True
