"""Reading one table cell: the row label (normalised, with the unit or date it declares), the unit of
the table (caption "单位：万元", "(in thousands of USD)", header cell, or the page's currency), the
cell's value (money, percent or count; a money figure without a known unit is dropped), and the
:class:`Candidate` it becomes, quoting the row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.periods import STOCK_FIELDS, valid_period
from assistant.profile.extract.quick import quick
from assistant.profile.extract.text import Segment
from assistant.profile.lexicon.table_rows import ROW_FIELDS, SHARE_OF_REVENUE, RowField, share_field
from assistant.profile.sources import DocContext
from assistant.text.cjk import has_han
from assistant.text.dates import dates
from assistant.text.figures import (
    cell_number,
    en_money,
    is_percent_sign,
    percents,
    plain,
    scale_of,
    to_decimal,
    zh_money,
)

_LEAD = re.compile(r"^(?:其中[：:]|加[：:]|减[：:]|[一二三四五六七八九十]+、|\d+[.、]|[（(]\d+[)）]|\s)+")
_UNIT_IN_LABEL = re.compile(r"[（(]\s*(?P<u>[^（）()]*?)\s*[)）]")
_CAPTION_ZH = re.compile(r"单位[：:]\s*(?:人民币)?\s*(?P<s>万亿元|亿元|千万元|百万元|万元|千元|元)")
_CAPTION_EN = quick(  # searched in every short line of a document
    re.compile(
        r"in\s+(?P<s1>thousands|millions|billions)\s+of\s+"
        r"(?P<c1>USD|US dollars|U\.S\. dollars|dollars|RMB|CNY|EUR|GBP|euros|pounds)|"
        r"(?:in|amounts in|\()\s*(?P<c2>US\$|\$|USD|RMB|CNY|€|£)\s*(?P<s2>thousands?|millions?|billions?|'000|000s)|"
        r"(?P<c3>US\$|\$|USD|€|£)\s*(?P<s3>million|thousand|billion)\b|"
        r"\(\s*in (?P<s4>thousands|millions|billions)\b(?!\s+of\b)",  # currency from the page
        re.IGNORECASE,
    )
)
_BARE_UNIT = re.compile(r"\s*(?:人民币)?(万亿元|亿元|千万元|百万元|万元|千元|元)\s*")
_CUR_WORDS = {
    "usd": "USD",
    "us dollars": "USD",
    "u.s. dollars": "USD",
    "dollars": "USD",
    "$": "USD",
    "us$": "USD",
    "rmb": "CNY",
    "cny": "CNY",
    "eur": "EUR",
    "euros": "EUR",
    "€": "EUR",
    "gbp": "GBP",
    "pounds": "GBP",
    "£": "GBP",
}
_SCALE_WORDS = {
    "thousands": "thousand",
    "thousand": "thousand",
    "'000": "thousand",
    "000s": "thousand",
    "millions": "million",
    "million": "million",
    "billions": "billion",
    "billion": "billion",
}


@dataclass(frozen=True)
class Unit:
    currency: str | None
    scale: Decimal
    percent: bool = False


def unit_from_text(text: str) -> Unit | None:
    """The money unit a caption, header cell or label declares."""
    m = _CAPTION_ZH.search(text)
    if m:
        return Unit("CNY", scale_of(m.group("s")))
    m = _CAPTION_EN.search(text)
    if m:
        cur = next((g for g in (m.group("c1"), m.group("c2"), m.group("c3")) if g), None)
        scale = next(g for g in (m.group("s1"), m.group("s2"), m.group("s3"), m.group("s4")) if g)
        currency = _CUR_WORDS.get(cur.lower(), "USD") if cur else None
        return Unit(currency, scale_of(_SCALE_WORDS[scale.lower()]))
    bare = _BARE_UNIT.fullmatch(text) if "元" in text else None
    if bare:
        return Unit("CNY", scale_of(bare.group(1)))
    if is_percent_sign(text):
        return Unit(None, Decimal(1), percent=True)
    return None


def normalise_label(label: str) -> tuple[str, Unit | None, str | None]:
    """(dictionary key, unit declared in the label, date in the label)."""
    unit: Unit | None = None
    when: str | None = None
    for m in _UNIT_IN_LABEL.finditer(label):
        inner = m.group("u")
        unit = unit or unit_from_text(inner) or unit_from_text(f"({inner})")
        found = dates(inner)
        if found:
            when = found[0].iso
    key = _UNIT_IN_LABEL.sub("", label)
    key = _LEAD.sub("", key).strip().strip("：:").strip()
    key = re.sub(r"\s+", " ", key)
    if has_han(key):
        key = key.replace(" ", "")
    return key.lower(), unit, when


def cell_value(
    cell: str, field: RowField, unit: Unit | None
) -> tuple[Decimal, str, str, str | None, Decimal] | None:
    """(value, raw, number as written, currency, tolerance) of one cell."""
    cell = cell.strip()
    if not cell or cell in ("-", "—", "–", "不适用", "N/A", "n/a", "/"):
        return None
    if field.kind == "money":
        found = zh_money(cell) or en_money(cell, unit.scale if unit and not unit.percent else Decimal(1))
        if found:
            m = found[0]
            if m.bound or (found[0].scale == 1 and not unit and not re.search(r"元|[$€£]", cell)):
                return None
            return m.value, m.raw, m.number, m.currency, m.tolerance
        if unit is None or unit.percent:
            return None
        bare = cell_number(cell, unit.scale)
        if bare is None:
            return None
        return bare.value, cell, bare.number, unit.currency, bare.tolerance
    if field.kind == "percent":
        pct = [p for p in percents(cell) if p.kind == "percent"]
        if pct:
            return pct[0].value, pct[0].raw, pct[0].number, None, pct[0].tolerance
        bare = cell_number(cell) if unit is not None and unit.percent else None
        if bare is not None:
            return bare.value, cell, bare.number, None, bare.tolerance
        return None
    num = re.match(r"\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d,.]*\d)\s*(?:人|名|项|件|个)?", cell)
    if not num or any(p.start == 0 for p in percents(cell)):
        return None
    value = to_decimal(num.group(1))
    if value is None:
        return None
    return value, num.group(0).strip(), num.group(1), None, Decimal(0)


def row_candidate(
    seg: Segment,
    rf: RowField,
    parsed: tuple[Decimal, str, str, str | None, Decimal],
    period: str | None,
    ctx: DocContext,
    rule: str,
    prio_adj: int = 0,
) -> Candidate | None:
    """The candidate for one parsed cell of ``seg`` (None for an invalid period or a money figure without
    currency)."""
    value, raw, number, currency, tol = parsed
    if rf.sign < 0:
        value = -abs(value)
    if period is not None and not valid_period(period, ctx):
        return None
    unit = currency if rf.kind == "money" else ("%" if rf.kind == "percent" else "count")
    if rf.kind == "money" and not unit:
        return None
    quote = seg.quote(0, len(seg.text))
    return Candidate(
        field=rf.field,
        value=plain(value),
        unit=unit,
        period=period,
        raw=raw,
        number=number,
        doc=seg.chunk.doc,
        page=seg.chunk.page,
        quote=quote,
        chunk_id=seg.chunk.chunk_id,
        priority=rf.priority + prio_adj,
        basis=rf.basis,
        tolerance=float(tol),
        rule=rule,
    )


def default_period(field: str, ctx: DocContext) -> tuple[str | None, int]:
    """The period of a row without a year column (and the priority adjustment for inferring it)."""
    if field in ("registered_capital", "paid_in_capital"):
        return None, 0
    if ctx.fiscal_year and ctx.type in ("annual_report", "audit_report", "report"):
        return str(ctx.fiscal_year), -1
    if field in STOCK_FIELDS and ctx.as_of:
        return ctx.as_of[:4], -1
    return None, -1


def lookup_row(key: str, previous: RowField | None) -> RowField | None:
    """The field a normalised row label names (a share-of-revenue row right under an expense's row is that
    expense's share: under R&D, the R&D ratio)."""
    rf = ROW_FIELDS.get(key)
    under_item = previous is not None and previous.kind == "money" and previous.field != "revenue"
    if rf is None and previous is not None and under_item and key in SHARE_OF_REVENUE:
        return RowField(share_field(previous.field), "percent", previous.priority)
    return rf


def page_currency(segs: list[Segment]) -> str | None:
    """The currency most money on these lines is written in ("$18,742 thousand", "16,842.57万元")."""
    counts: dict[str, int] = {}
    for seg in segs:
        for m in zh_money(seg.text) + en_money(seg.text):
            if m.currency:
                counts[m.currency] = counts.get(m.currency, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


def with_currency(unit: Unit | None, segs: list[Segment]) -> Unit | None:
    """A scale-only unit ("in thousands") completed with the page's currency (None when there is none)."""
    if unit is not None and unit.currency is None and not unit.percent:
        currency = page_currency(segs)
        return Unit(currency, unit.scale) if currency else None
    return unit
