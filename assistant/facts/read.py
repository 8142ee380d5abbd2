"""Facts from a document's tables, read at ingest: every row whose label is a known line item, each value
column with its fiscal year (the header's), its unit (the label's "（万元）", the header's or a caption's "单位：元"
/ "(in millions)", or the cell's own "$" / "万元") and its scope (合并 or 母公司 statements), the sign kept.

Tables are read from the page text the readers wrote (Markdown rows, plain rows "营业收入 16,842.57 12,306.18"
under a header "项目 2023年 2022年", and text exports joined into rows by ``text.tables.vertical_rows``),
so a header or caption in one passage applies to rows the chunker put in the next, and on the next page (a
statement printed over a page break). Each fact cites the stored
passage that holds its row; a row no passage holds whole is not a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.records import Chunk, Document, Fact, Page
from assistant.profile.extract.table_cells import (
    Unit,
    cell_value,
    lookup_row,
    normalise_label,
    unit_from_text,
)
from assistant.profile.lexicon.table_rows import RowField
from assistant.profile.sources import doc_context
from assistant.text.cjk import has_han
from assistant.text.tables import (
    header_years,
    is_figure_cell,
    is_pipe_row,
    is_rule_row,
    is_untitled_header,
    relative_header,
    row_cells,
    text_header_years,
    title_year,
)

_PARENT = re.compile(
    r"母公司(?:资产负债表|利润表|现金流量表|所有者权益)|parent company(?:'s)? (?:balance|statement)", re.I
)
_CONSOLIDATED = re.compile(
    r"合并(?:资产负债表|利润表|现金流量表|所有者权益)|consolidated (?:balance|statement)", re.I
)
# another entity's statement printed in a note ("下附北京某某投资中心2023年12月31日资产负债表"): not the group's
_ENTITY_STATEMENT = re.compile(
    r"(?P<org>[\u4e00-\u9fff（）()]{2,40}?(?:有限责任公司|有限公司|股份公司|合伙企业|合伙[）)]|中心|基金))"
    r"[^\n，。]{0,20}?(?:资产负债表|利润表|现金流量表)"
)
_GENERIC_NAME = re.compile(
    r"科技|股份|有限|责任|公司|集团|控股|中心|投资|发展|产业|基金|管理|实业|企业|合伙|中国|北京|上海|深圳|广州|杭州"
)


def _other_entity(line: str, company: str) -> bool:
    """Whether a line titles a statement of another entity than the document's company (never its own
    consolidated or parent-company statements, never the 编制单位 line naming its preparer)."""
    m = _ENTITY_STATEMENT.search(line)
    if (
        not m
        or "编制单位" in line
        or _PARENT.search(line)
        or _CONSOLIDATED.search(line)
        or not has_han(company)
    ):
        return False
    # a short name abbreviates the legal one (国农科技 ← 深圳中国农大科技股份有限公司): most of its own
    # characters (not 科技, 股份 …) are in the name of an entity that is the company itself
    own = [ch for ch in _GENERIC_NAME.sub("", company) if has_han(ch)]
    return bool(own) and sum(ch in m.group("org") for ch in own) < 0.6 * len(own)


_STATEMENTS = (  # a statement's title → what its rows are
    ("cashflow", re.compile(r"现金流量表|statements? of cash flows?|cash flow statement", re.I)),
    (
        "income",
        re.compile(
            r"利润表|损益表|statements? of (?:operations|income|comprehensive income)|income statement", re.I
        ),
    ),
    ("balance", re.compile(r"资产负债表|balance sheets?|statements? of financial position", re.I)),
)
# items a balance sheet states (a cash-flow statement's "Accounts receivable" row is their change)
STOCK_ITEMS = frozenset(
    {
        "cash", "accounts_receivable", "inventory", "current_assets", "current_liabilities", "total_assets",
        "total_liabilities", "short_term_investments", "short_term_borrowings", "accounts_payable",
    }
)  # fmt: skip
_NOTE = re.compile(
    r"\s*[（(](?:notes?|附注)[^）)]*[）)]", re.I
)  # "(Note 5)", "(Notes 10 and 14)", "（附注七）"
_NET_OF = re.compile(
    r",\s*net(?:\s+of\b.*)?$", re.I
)  # "Trade accounts receivable, net of doubtful accounts …"
_LEAD_WORDS = re.compile(r"^(?:trade|total)\s+(?=accounts receivable|inventor)", re.I)
_DATE_TITLE = re.compile(
    r"(?:year|years|fiscal year)?\s*(?:ended\s+)?(?:as of\s+)?(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s+\d{1,2},?"
    r"|year ended|years ended|as of",
    re.I,
)
_QUARTER = re.compile(
    r"第[一二三四1-4]季度|[一二三四]季度|\bQ[1-4]\b|(?:first|second|third|fourth) quarter", re.I
)
_DASH = ("-", "—", "–", "不适用", "N/A", "n/a", "/")


@dataclass
class _State:
    """What the lines read so far on a page say about the rows below them."""

    years: list[str | None] | None = None  # per value column
    unit: Unit | None = None
    scope: str = "consolidated"
    statement: str | None = None  # balance | income | cashflow, from the last statement title
    prose: int = 0  # lines of prose since the last row


# this many lines of prose (clauses of a sentence) since the last row end a table; a caption, a wrapped
# label, a page's running header or a note under the table is fewer
_TABLE_GAP = 3
_PROSE = re.compile(r"[，。；].{8}|[,.;] [a-z]")


def row_item(label: str, previous: RowField | None = None) -> RowField | None:
    """The line item a row label names, tolerant of the variants reports print: a unit in brackets, "其中：",
    numbering ("1、"), notes ("(Note 5)"), ", net of …", spaces inside Chinese words, Traditional script."""
    from assistant.text.normalize import to_simplified

    key, _, _ = normalise_label(to_simplified(label))
    for candidate in (key, _NOTE.sub("", key), _NET_OF.sub("", _NOTE.sub("", key))):
        found = lookup_row(candidate.strip(), previous) or lookup_row(
            _LEAD_WORDS.sub("", candidate).strip(), previous
        )
        if found:
            return found
    return None


# a change column printed in words: "增加 12.99 个百分点", "减少0.5个百分点"
_PP_CHANGE = re.compile(r"(?:增加|减少|上升|下降|提高|降低)\s*-?\d+(?:\.\d+)?\s*个?百分点\s*$")


def _plain_row(line: str) -> tuple[str, list[str]] | None:
    """A plain-text row: a label, then figures ("营业收入 16,842.57 12,306.18 36.86%"); a last column
    stating a change in words ("增加 12.99 个百分点") is one cell."""
    change = _PP_CHANGE.search(line)
    tail = [re.sub(r"\s+", "", change.group(0))] if change else []
    tokens = (line[: change.start()] if change else line).split()
    k = len(tokens)
    while k > 0 and (is_figure_cell(tokens[k - 1]) or tokens[k - 1] in _DASH):
        k -= 1
    if k == 0 or k == len(tokens):
        return None
    return " ".join(tokens[:k]), tokens[k:] + tail


def _currency(text: str) -> str | None:
    """The currency a document's money is written in, by count ("$", USD … against 元, 人民币 …)."""
    usd = len(re.findall(r"\$|USD|US dollars", text))
    cny = len(re.findall(r"元|人民币|RMB|CNY", text))
    return None if usd == cny == 0 else ("USD" if usd > cny else "CNY")


def _row(cells: list[str]) -> tuple[str, list[str]] | None:
    label, values = cells[0], cells[1:]
    if not re.search(r"[A-Za-z\u4e00-\u9fff]", label) or not any(is_figure_cell(v) for v in values):
        return None
    return label, values


_Row = tuple[str, str, list[str | None] | None, Unit | None, str, list[str], str | None]


def page_rows(text: str, company: str = "", state: _State | None = None) -> list[_Row]:
    """(line, label, column years, unit, scope, value cells, statement) of every table row of a page's text;
    ``state`` is what the pages before said (a table going on over a page break keeps its header and unit)."""
    state = _State() if state is None else state
    out: list[_Row] = []
    stacked: list[str] = []  # a header printed one line per year ("December 31,⏎2022⏎December 25,⏎2021")
    lines = text.split("\n")
    for n, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or is_rule_row(stripped):
            if is_untitled_header(stripped, lines[n + 1 : n + 2]):
                state.years = None  # a new table whose columns have no titles: no year of the table before
            continue
        if year := title_year(stripped):
            stacked.append(year)
            continue
        if _DATE_TITLE.fullmatch(stripped):
            continue
        if len(stacked) >= 2:
            state.years = list(stacked)
            state.prose = 0  # a new header: its table starts here
        stacked = []
        if len(_QUARTER.findall(stripped)) >= 2:  # a quarterly table's header: its columns are no years
            state.years = None
            continue
        if len(stripped) <= 120 and not is_pipe_row(stripped):
            state.statement = next(
                (name for name, title in _STATEMENTS if title.search(stripped)), state.statement
            )
        if _PARENT.search(stripped):
            state.scope = "parent"
        elif _CONSOLIDATED.search(stripped):
            state.scope = "consolidated"
        elif len(stripped) <= 120 and _other_entity(stripped, company):
            state.scope = "other"
        if record := _record_row(stripped):  # a spreadsheet row as the sheet reader writes it
            out.append((stripped, record[0], record[1], state.unit, state.scope, record[2], state.statement))
            continue
        cells = row_cells(stripped) if is_pipe_row(stripped) else None
        if cells is not None:
            # " | 2019 | 2018 | 2017": the label column's title is empty, so every cell is a value column's
            titled = cells if title_year(cells[0]) else cells[1:]
            years = header_years(titled) or relative_header(titled)
            if years and not any(is_figure_cell(c) for c, y in zip(titled, years, strict=False) if not y):
                state.years = years
                state.prose = 0  # a new header: its table starts here
                state.unit = unit_from_text(cells[0]) or state.unit
                continue
            titles = [c.strip() for c in cells]
            if not any(is_figure_cell(t) for t in titles[1:]) and (unit := unit_from_text(" ".join(titles))):
                state.unit = unit if not unit.percent else state.unit  # " |  | (in thousands) |": a note
                continue
            if not any(titles) or all(t and not is_figure_cell(t) for t in titles[1:]):
                state.years = None  # another table's header ("|  |  |", "| 序号 | 客户名称 | 销售额 |")
                continue
            row = _row(cells)
        else:
            plain_years = (
                (text_header_years(stripped) or _relative_line(stripped)) if len(stripped) <= 80 else None
            )
            if plain_years and any(plain_years):
                state.years = plain_years
                state.prose = 0  # a new header: its table starts here
                continue
            if len(stripped) <= 80 and (unit := unit_from_text(stripped)) and not unit.percent:
                state.unit = unit
            row = _plain_row(stripped)
        if row:
            out.append((stripped, row[0], state.years, state.unit, state.scope, row[1], state.statement))
            state.prose = 0
        elif _PROSE.search(stripped):
            state.prose += 1
            if state.prose >= _TABLE_GAP:  # the table has ended: its header speaks for no row below
                state.years = None
    return out


def _resolved(year: str | None, annual: int | None) -> str | None:
    """A column's year: as titled, or a relative title ("+0", "-1") against the report's year."""
    if year is None or year[0] not in "+-":
        return year
    return str(annual + int(year)) if annual else None


_RELATIVE_HINT = re.compile(r"期.*期|年.*年|期.*年|年.*期|(?:year|period).*(?:year|period)", re.I)


def _relative_line(line: str) -> list[str | None] | None:
    """A plain-text header of relative titles ("项目 本期 上期", "期末余额 期初余额"): from its first such title."""
    if not _RELATIVE_HINT.search(line):
        return None  # most lines: no title of the kind at all
    found = relative_header(line.split())
    if found is None:
        return None
    first = next(i for i, f in enumerate(found) if f)
    return found[first:] if first <= 1 else None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


_PAIR = re.compile(r"\s*([^:;：]+?)\s*[:：]\s*([^;]*)")


def _record_row(line: str) -> tuple[str, list[str | None], list[str]] | None:
    """A sheet row written as a record ("项目: 营业收入（万元）; 2023年: 8,652.30; 2022年: 6,590.00"): its label
    (the first column's value), the year of each other column (its header) and their values."""
    parts = line.split("; ")
    if len(parts) < 2:
        return None
    pairs = [m.groups() for p in parts if (m := _PAIR.fullmatch(p))]
    if len(pairs) != len(parts):
        return None
    years = header_years([key for key, _ in pairs[1:]])
    values = [value for _, value in pairs[1:]]
    if not years or not any(is_figure_cell(v) for v in values):
        return None
    return pairs[0][1], years, values


def _holder(line: str, page: int | None, chunks: list[Chunk]) -> tuple[Chunk, str] | None:
    """The passage holding the row and the row as the passage writes it (the chunker may close up spaces):
    one of its page, else any of the document (a store's passages whose pages an older reader gave
    otherwise)."""
    wanted = _squash(line)
    for same_page in (True, False):
        for chunk in chunks:
            if same_page != (chunk.page == page) or wanted not in _squash(chunk.text):
                continue
            if line in chunk.text:
                return chunk, line
            written = next((x.strip() for x in chunk.text.split("\n") if _squash(x) == wanted), None)
            if written:
                return chunk, written
    return None


def document_facts(document: Document, chunks: list[Chunk]) -> list[Fact]:
    """The facts of a document's tables (see the module's docstring), each citing the passage with its row."""
    out: list[Fact] = []
    seen: set[tuple[object, ...]] = set()
    currency = _currency(" ".join(p.text for p in document.pages))
    ctx = doc_context(document.doc, chunks)  # a report's own year (one home: profile.sources)
    fiscal = ctx.fiscal_year
    own_year = str(fiscal) if fiscal else None  # a one-value row with no year column is of it
    # 本期/上期, 期末/期初 columns are years only in a report of a whole year (an interim's 本期 is a half)
    annual = fiscal if ctx.type in ("annual_report", "audit_report") else None
    state = _State()  # it carries over page breaks, with the row before: a statement goes on on the next page
    previous: RowField | None = None
    for page in document.pages:
        for line, label, years, unit, scope, values, statement in page_rows(
            page.text, document.company, state
        ):
            rf = row_item(label, previous)
            previous = rf or previous
            if rf is None or (rf.field in STOCK_ITEMS and statement in ("cashflow", "income")):
                continue
            _, label_unit, _ = normalise_label(label)
            use = label_unit or unit
            if use is not None and use.currency is None and not use.percent and currency:
                use = Unit(currency, use.scale)
            columns = (
                [_resolved(y, annual) for y in years]
                if years
                else [own_year if len([v for v in values if v.strip() not in _DASH]) == 1 else None]
            )
            held: tuple[Chunk, str] | None = None
            for year, cell in zip(columns, values, strict=False):
                if cell.strip() in _DASH or (years and year is None):
                    continue
                parsed = cell_value(cell, rf, use)
                if parsed is None:
                    continue
                value, raw, _number, cur, _tol = parsed
                if rf.sign < 0:
                    value = -abs(value)
                unit_name = (
                    (cur or (use.currency if use else None))
                    if rf.kind == "money"
                    else ("%" if rf.kind == "percent" else None)
                )
                if rf.kind == "money" and not unit_name:
                    continue
                held = held or _holder(line, page.number, chunks)
                if held is None:
                    break
                holder, quote = held
                key = (rf.field, year, scope, str(value), holder.page)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    Fact(
                        company=document.company, doc=document.doc, page=holder.page, chunk_id=holder.chunk_id,
                        label=label, item=rf.field, period=year, value=str(value), unit=unit_name, scope=scope,
                        priority=rf.priority, raw=raw, quote=quote,
                    )
                )  # fmt: skip
    return out


def sentence_facts(document: Document, chunks: list[Chunk]) -> list[Fact]:
    """Facts stated in sentences ("2023年度，公司营业收入为137,452,806.19元", "R&D expense was $4.9 million in
    2023, or 72.1% of revenue"), read by the profile's sentence extractor (one home for sentence figures),
    each verified verbatim in its passage. Counts and percentages, money in currency units."""
    from decimal import Decimal

    from assistant.profile.extract.candidates import verify
    from assistant.profile.extract.metrics import sentence_candidates
    from assistant.profile.extract.periods import SegmentContext
    from assistant.profile.extract.text import segments
    from assistant.profile.lexicon.table_rows import ROW_FIELDS
    from assistant.text.dates import dates

    known = {rf.field for rf in ROW_FIELDS.values()}
    context = doc_context(document.doc, chunks)
    out: list[Fact] = []
    seen: set[tuple[str, str, str, str]] = set()
    for chunk in chunks:
        segs = segments(chunk)
        found = [dates(seg.text) for seg in segs]
        for i, seg in enumerate(segs):
            prior = [d for k in range(max(0, i - 2), i) for d in found[k]]
            for c in sentence_candidates(seg, SegmentContext(doc=context, prior_dates=prior)):
                if c.field not in known or not c.period or not verify(c, chunk) or isinstance(c.value, str):
                    continue
                unit = None if c.unit == "count" else c.unit
                key = (c.field, c.period[:4], str(c.value), chunk.chunk_id)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    Fact(
                        company=document.company,
                        doc=document.doc,
                        page=chunk.page,
                        chunk_id=chunk.chunk_id,
                        label=c.raw,
                        item=c.field,
                        period=c.period[:4],
                        value=str(Decimal(str(c.value))),
                        unit=unit,
                        priority=c.priority - 5,  # a sentence ranks below a table row of the same label
                        kind="sentence",
                        raw=c.number or c.raw,
                        quote=c.quote,
                    )
                )
    return out


def read_facts(document: Document, chunks: list[Chunk]) -> list[Fact]:
    """Every fact of a document: its tables' rows, then its sentences' figures (what ingest stores)."""
    return document_facts(document, chunks) + sentence_facts(document, chunks)


__all__ = ["document_facts", "page_rows", "read_facts", "row_item", "sentence_facts"]


def stored_facts(company: str, doc: str, chunks: list[Chunk]) -> list[Fact]:
    """The facts of a stored document read again from its stored passages (a store ingested before facts
    existed, or before this reader improved): each page's passages in their stored order make the page's
    text again (an overlap repeats a line, which reads as the same fact once)."""
    pages: dict[int | None, list[str]] = {}
    for c in chunks:
        if c.doc == doc:
            pages.setdefault(c.page, []).append(c.text)
    document = Document(
        path=doc, doc=doc, company=company, sha256="", reader="stored",
        pages=[Page(number=n, text="\n".join(texts)) for n, texts in sorted(pages.items(), key=lambda kv: kv[0] or 0)],
    )  # fmt: skip
    mine = [c for c in chunks if c.doc == doc]
    return read_facts(document, mine)
