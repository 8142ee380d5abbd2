"""Figures in tables: Markdown tables (one row per line, as the readers write them) and plain-text
tables from PDFs ("营业收入 16,842.57 12,306.18 36.86%" under "项目 2023年 2022年 增减").

A row is read when its label is a known line item (营业收入, 研发人员数量, Total assets …). Year columns
come from the header (forecast columns such as "2024年（预测）" or "2024 (plan)" are skipped), the unit
from the label ("营业收入（万元）"), the header, the caption above the table ("单位：元", "(in thousands of
USD)") or the cell itself ("800万元", "$3.0 million"). A money figure without a known unit is dropped,
never guessed. The quote is the row.

This module walks the tables (rows, header years, transposed tables, a page's headers and captions across
its chunks); the label lexicon is :mod:`assistant.profile.lexicon.table_rows`, reading one cell
:mod:`assistant.profile.extract.table_cells`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.periods import STOCK_FIELDS
from assistant.profile.extract.table_cells import (
    Unit,
    cell_value,
    default_period,
    lookup_row,
    normalise_label,
    page_currency,
    row_candidate,
    unit_from_text,
    with_currency,
)
from assistant.profile.extract.text import Segment
from assistant.profile.lexicon.table_rows import ROW_FIELDS, RowField
from assistant.profile.sources import DocContext
from assistant.text.dates import dates
from assistant.text.tables import (
    header_years,
    is_forecast,
    is_rule_row,
    named_year,
    row_cells,
    text_header_years,
)


@dataclass
class _Header:
    years: list[str | None]  # per value column: the year, or None (change %, forecast, quarter …)
    seg_index: int
    chunk_id: str


# ---- Markdown tables -----------------------------------------------------------------------------------
def markdown_candidates(segs: list[Segment], ctx: DocContext) -> list[Candidate]:
    """Rows of every Markdown table in one chunk's segments."""
    out: list[Candidate] = []
    i = 0
    while i < len(segs):
        if not segs[i].table_row:
            i += 1
            continue
        j = i
        while j < len(segs) and segs[j].table_row:
            j += 1
        caption = " ".join(s.text for s in segs[max(0, i - 3) : i])
        out.extend(_markdown_table(segs[i:j], caption, ctx, lambda: page_currency(segs)))
        i = j
    return out


def _markdown_table(
    rows: list[Segment], caption: str, ctx: DocContext, currency: Callable[[], str | None]
) -> list[Candidate]:
    out: list[Candidate] = []
    body = rows
    header: list[str] | None = None
    if len(rows) >= 2 and is_rule_row(rows[1].text):
        header = row_cells(rows[0].text)
        body = rows[2:]

    def filled(unit: Unit | None) -> Unit | None:
        if unit is not None and unit.currency is None and not unit.percent:
            found = currency()
            return Unit(found, unit.scale) if found else None
        return unit

    caption_unit = filled(unit_from_text(caption))
    header_unit = filled(unit_from_text(header[0])) if header else None
    years = header_years(header[1:]) if header else None
    first = header[0].strip().lower() if header else ""
    transposed = first in ("year", "年度", "年份", "fiscal year", "期间", "period")
    previous: RowField | None = None
    for row in body:
        if is_rule_row(row.text):
            continue
        cells = row_cells(row.text)
        if not cells:
            continue
        if transposed and header:
            row_year = named_year(cells[0])
            if not row_year or is_forecast(cells[0]):
                continue
            for col, cell in zip(header[1:], cells[1:], strict=False):
                key, lunit, _ = normalise_label(col)
                rf = ROW_FIELDS.get(key)
                if rf is None:
                    continue
                parsed = cell_value(cell, rf, lunit or header_unit or caption_unit)
                if parsed:
                    cand = row_candidate(row, rf, parsed, row_year, ctx, "md:transposed")
                    if cand:
                        out.append(cand)
            continue
        sub = header_years(cells[1:])
        if sub and sum(1 for y in sub if y) >= 2 and not cells[0].strip():
            years = sub  # a header row inside the table ("| | 2020年末 | 2019年末 |")
            continue
        key, lunit, when = normalise_label(cells[0])
        rf = lookup_row(key, previous)
        previous = rf or previous
        if rf is None:
            continue
        unit = lunit or header_unit or caption_unit
        values = cells[1:]
        if years and len(values) >= 1 and any(years):
            for year, cell in zip(years, values, strict=False):
                if year is None:
                    continue
                parsed = cell_value(cell, rf, unit)
                if parsed:
                    cand = row_candidate(row, rf, parsed, year, ctx, "md:row")
                    if cand:
                        out.append(cand)
        elif len([v for v in values if v.strip()]) == 1:
            cell = next(v for v in values if v.strip())
            parsed = cell_value(cell, rf, unit)
            if not parsed:
                continue
            period, adj = (when[:4], 0) if when else default_period(rf.field, ctx)
            in_cell = dates(cell)
            if in_cell and rf.field in STOCK_FIELDS:
                period, adj = in_cell[0].iso[:4], 0
            if rf.field in ("registered_capital", "paid_in_capital"):
                period = None
            cand = row_candidate(row, rf, parsed, period, ctx, "md:kv", adj)
            if cand:
                out.append(cand)
    return out


# ---- plain-text tables (PDF text layer) -------------------------------------------------------------------
_TOKEN_VALUE = re.compile(r"^(?:[-−(]?\$?[\d,]+(?:\.\d+)?\)?%?|不适用|—|–|-|N/A|n/a|/)$")


def _split_row(line: str) -> tuple[str, list[str]] | None:
    tokens = line.split()
    k = len(tokens)
    while k > 0 and _TOKEN_VALUE.match(tokens[k - 1]):
        k -= 1
    if k == 0 or k == len(tokens):
        return None
    values = tokens[k:]
    if not any(re.search(r"\d", v) for v in values):
        return None
    return " ".join(tokens[:k]), values


@dataclass
class PageTables:
    """Headers and unit captions of one page (across its chunks)."""

    headers: list[_Header]
    units: list[tuple[Unit, str, int]]  # (unit, chunk_id, segment index)


def page_tables(segs: list[Segment]) -> PageTables:
    headers: list[_Header] = []
    units: list[tuple[Unit, str, int]] = []
    for seg in segs:
        if seg.table_row:
            continue
        years = text_header_years(seg.text)
        if years and any(years):
            headers.append(_Header(years, seg.index, seg.chunk.chunk_id))
        if len(seg.text) <= 60:
            unit = unit_from_text(seg.text)
            if unit and not unit.percent:
                units.append((unit, seg.chunk.chunk_id, seg.index))
    return PageTables(headers, units)


def text_table_candidates(segs: list[Segment], page: PageTables, ctx: DocContext) -> list[Candidate]:
    """Rows of plain-text tables in one chunk's segments, using the page's headers and units."""
    out: list[Candidate] = []
    previous: RowField | None = None
    for seg in segs:
        if seg.table_row or len(seg.text) > 200:
            continue
        split = _split_row(seg.text)
        if split is None:
            continue
        label, values = split
        key, lunit, _ = normalise_label(label)
        rf = lookup_row(key, previous)
        previous = rf if rf else (previous if text_header_years(seg.text) is None else None)
        if rf is None:
            continue
        unit = with_currency(lunit or _page_unit(page, seg), segs)
        header = _page_header(page, seg, len(values))
        if header is None:
            if len(values) == 1:
                parsed = cell_value(values[0], rf, unit)
                if parsed:
                    period, adj = default_period(rf.field, ctx)
                    cand = row_candidate(seg, rf, parsed, period, ctx, "text:kv", adj)
                    if cand:
                        out.append(cand)
            continue
        for year, cell in zip(header, values, strict=False):
            if year is None:
                continue
            parsed = cell_value(cell, rf, unit)
            if parsed:
                cand = row_candidate(seg, rf, parsed, year, ctx, "text:row")
                if cand:
                    out.append(cand)
    return out


def _page_unit(page: PageTables, seg: Segment) -> Unit | None:
    same = [u for u, cid, idx in page.units if cid == seg.chunk.chunk_id and idx < seg.index]
    if same:
        return same[-1]
    distinct = {u for u, _, _ in page.units}
    return next(iter(distinct)) if len(distinct) == 1 else None


def _page_header(page: PageTables, seg: Segment, n_values: int) -> list[str | None] | None:
    def fits(h: _Header) -> bool:
        return len(h.years) == n_values or (
            len(h.years) > n_values and all(y is None for y in h.years[n_values:])
        )

    same = [
        h for h in page.headers if h.chunk_id == seg.chunk.chunk_id and h.seg_index < seg.index and fits(h)
    ]
    if same:
        return same[-1].years
    others = [h for h in page.headers if fits(h)]
    if others and all(h.years[:n_values] == others[0].years[:n_values] for h in others):
        return others[0].years
    return None
