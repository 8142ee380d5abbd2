"""Figures in tables: Markdown tables (one row per line, as the readers write them) and plain-text
tables from PDFs ("营业收入 16,842.57 12,306.18 36.86%" under "项目 2023年 2022年 增减").

A row is read when its label is a known line item (营业收入, 研发人员数量, Total assets …). Year columns
come from the header (forecast columns such as "2024年（预测）" or "2024 (plan)" are skipped), the unit
from the label ("营业收入（万元）"), the header, the caption above the table ("单位：元", "(in thousands of
USD)") or the cell itself ("800万元", "$3.0 million"). A money figure without a known unit is dropped,
never guessed. The quote is the row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from assistant.profile.candidates import Candidate
from assistant.profile.extract_metrics import STOCK_FIELDS
from assistant.profile.numbers import (
    EN_SCALES,
    ZH_SCALES,
    dates,
    en_money,
    percents,
    plain,
    to_decimal,
    zh_money,
)
from assistant.profile.sources import DocContext
from assistant.profile.text import Segment, is_rule_row, table_cells
from assistant.text.cjk import HAN


@dataclass(frozen=True)
class RowField:
    field: str
    kind: str  # money | percent | count
    priority: int = 10
    basis: str | None = None
    sign: int = 0


def _rows(
    kind: str, field: str, labels: str, priority: int = 10, basis: str | None = None, sign: int = 0
) -> dict[str, RowField]:
    return {label: RowField(field, kind, priority, basis, sign) for label in labels.split("|")}


ROW_FIELDS: dict[str, RowField] = {
    **_rows(
        "money",
        "revenue",
        "营业收入|营业总收入|revenue|revenues|total revenue|total revenues|net sales|turnover",
    ),
    **_rows("money", "net_profit", "净利润|net income|net profit|profit for the year|profit after tax"),
    **_rows(
        "money",
        "net_profit",
        "归属于母公司股东的净利润|归属于上市公司股东的净利润|归属于母公司所有者的净利润|归母净利润",
        priority=20,
    ),
    **_rows("money", "net_profit", "net loss|净亏损", sign=-1),
    **_rows(
        "money",
        "net_profit_excl_nonrecurring",
        "扣除非经常性损益后的净利润|归属于上市公司股东的扣除非经常性损益的净利润|归属于上市公司股东的扣除非经常性损益后的净利润|"
        "归属于母公司股东的扣除非经常性损益后的净利润|扣除非经常性损益后归属于母公司股东的净利润|扣非净利润|扣非归母净利润",
    ),
    **_rows(
        "money",
        "rd_expense",
        "研发费用|研究开发费用|research and development|research and development expense|"
        "research and development expenses|r&d expense|r&d expenses|r&d",
        basis="expense",
    ),
    **_rows(
        "money",
        "rd_expense",
        "研发投入|研发投入合计|研发投入金额|研发投入总额|研发支出合计",
        priority=20,
        basis="investment",
    ),
    **_rows("money", "rd_capitalised", "本期资本化研发投入|资本化研发投入|研发投入资本化金额"),
    **_rows("money", "total_assets", "总资产|资产总额|资产总计|total assets"),
    **_rows("money", "total_liabilities", "总负债|负债总额|负债合计|total liabilities"),
    **_rows(
        "money",
        "operating_cash_flow",
        "经营活动产生的现金流量净额|经营活动现金流量净额|"
        "net cash from operating activities|net cash provided by operating activities|operating cash flow",
    ),
    **_rows("money", "operating_cash_flow", "net cash used in operating activities", sign=-1),
    **_rows("money", "cash", "货币资金|现金及现金等价物|cash and cash equivalents|cash|cash at bank"),
    **_rows("money", "accounts_receivable", "应收账款|accounts receivable|trade receivables"),
    **_rows(
        "money",
        "government_subsidies",
        "政府补助|计入当期损益的政府补助|government grants|government subsidies",
    ),
    **_rows("money", "registered_capital", "注册资本|registered capital"),
    **_rows("money", "paid_in_capital", "实缴资本|实收资本|paid-in capital"),
    **_rows("percent", "gross_margin", "综合毛利率|毛利率|gross margin|gross profit margin"),
    **_rows("percent", "debt_ratio", "资产负债率|debt ratio|debt-to-asset ratio"),
    **_rows(
        "percent",
        "rd_ratio",
        "研发投入总额占营业收入比例|研发投入占营业收入比例|研发费用占营业收入比例|研发投入占营业收入的比例|"
        "研发费用率|r&d as % of revenue|r&d ratio",
    ),
    **_rows(
        "percent",
        "rd_staff_ratio",
        "研发人员数量占公司总人数的比例|研发人员占比|研发人员占员工总数比例|研发人员占员工总数的比例",
    ),
    **_rows(
        "percent",
        "top5_customer_share",
        "前五名客户销售占比|前五名客户合计销售额占年度销售总额比例|前五大客户收入占比|top five customers|top 5 customers",
    ),
    **_rows("percent", "top1_customer_share", "第一大客户收入占比|第一名客户销售占比|largest customer"),
    **_rows(
        "count",
        "employees",
        "员工总数|员工人数|在职员工总数|在职员工的数量合计|职工总数|职工人数|员工总人数|employees|"
        "total employees|headcount|number of employees",
    ),
    **_rows(
        "count",
        "rd_staff",
        "研发人员数量|研发人员人数|研发人员|公司研发人员的数量|研发人员总数|r&d staff|r&d employees",
    ),
    **_rows(
        "count",
        "patents_total",
        "授权专利合计|授权专利|专利合计|有效专利|已授权专利|total granted rights|total patents|"
        "granted patents|issued patents",
    ),
    **_rows(
        "count", "invention_patents", "发明专利|授权发明专利|granted invention patents|invention patents"
    ),
    **_rows("count", "utility_model_patents", "实用新型专利|实用新型|utility model patents|utility models"),
    **_rows("count", "design_patents", "外观设计专利|外观设计|外观专利|registered designs|design patents"),
    **_rows("count", "software_copyrights", "计算机软件著作权|软件著作权|软著|software copyrights"),
}
# "占营业收入比例(%)" under a "研发投入" row (a multi-year R&D table) is the R&D ratio.
_AFTER_RD = frozenset(
    {"占营业收入比例", "占营业收入的比例", "占营业收入比重", "as % of revenue", "% of revenue"}
)

_LEAD = re.compile(r"^(?:其中[：:]|加[：:]|减[：:]|[一二三四五六七八九十]+、|\d+[.、]|[（(]\d+[)）]|\s)+")
_UNIT_IN_LABEL = re.compile(r"[（(]\s*(?P<u>[^（）()]*?)\s*[)）]")
_FORECAST_COL = re.compile(
    r"预测|预计|目标|计划|估|E\b|\bplan\b|forecast|budget|target|projected|estimate", re.IGNORECASE
)
_NOT_VALUE_COL = re.compile(r"增减|变动|同比|比上年|change|growth|%|yoy|较上年", re.IGNORECASE)
_YEAR_CELL = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_CAPTION_ZH = re.compile(r"单位[：:]\s*(?:人民币)?\s*(?P<s>万亿元|亿元|千万元|百万元|万元|千元|元)")
_CAPTION_EN = re.compile(
    r"in\s+(?P<s1>thousands|millions|billions)\s+of\s+(?P<c1>USD|US dollars|U\.S\. dollars|dollars|RMB|CNY|EUR|GBP|euros|pounds)|"
    r"(?:in|amounts in|\()\s*(?P<c2>US\$|\$|USD|RMB|CNY|€|£)\s*(?P<s2>thousands?|millions?|billions?|'000|000s)|"
    r"(?P<c3>US\$|\$|USD|€|£)\s*(?P<s3>million|thousand|billion)\b|"
    r"\(\s*in (?P<s4>thousands|millions|billions)\b(?!\s+of\b)",  # currency from the page
    re.IGNORECASE,
)
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
        return Unit("CNY", ZH_SCALES[m.group("s")])
    m = _CAPTION_EN.search(text)
    if m:
        cur = next((g for g in (m.group("c1"), m.group("c2"), m.group("c3")) if g), None)
        scale = next(g for g in (m.group("s1"), m.group("s2"), m.group("s3"), m.group("s4")) if g)
        currency = _CUR_WORDS.get(cur.lower(), "USD") if cur else None
        return Unit(currency, EN_SCALES[_SCALE_WORDS[scale.lower()]])
    bare = re.fullmatch(r"\s*(?:人民币)?(万亿元|亿元|千万元|百万元|万元|千元|元)\s*", text)
    if bare:
        return Unit("CNY", ZH_SCALES[bare.group(1)])
    if re.fullmatch(r"\s*[%％]\s*", text):
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
    if re.search(r"[" + HAN + r"]", key):
        key = key.replace(" ", "")
    return key.lower(), unit, when


@dataclass
class _Header:
    years: list[str | None]  # per value column: the year, or None (change %, forecast, quarter …)
    seg_index: int
    chunk_id: str


def _header_years(cells: list[str]) -> list[str | None] | None:
    years: list[str | None] = []
    found = 0
    for cell in cells:
        m = _YEAR_CELL.search(cell)
        if (
            m
            and not _FORECAST_COL.search(cell)
            and not re.search(r"季度|quarter|Q[1-4]", cell, re.IGNORECASE)
            and not _NOT_VALUE_COL.search(cell)
        ):
            years.append(m.group(1))
            found += 1
        else:
            years.append(None)
    return years if found >= 1 else None


def _cell_value(
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
        num = re.fullmatch(
            r"(?P<paren>\()?(?P<neg>[-−])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<close>\))?",
            cell,
        )
        if not num:
            return None
        value = to_decimal(num.group("num"))
        if value is None:
            return None
        if num.group("neg") or (num.group("paren") and num.group("close")):
            value = -value
        decimals = len(num.group("num").split(".")[1]) if "." in num.group("num") else 0
        tol = Decimal(5) * Decimal(10) ** (-decimals - 1) * unit.scale
        return value * unit.scale, cell, num.group("num"), unit.currency, tol
    if field.kind == "percent":
        pct = percents(cell)
        if pct:
            return pct[0].value, pct[0].raw, pct[0].number, None, pct[0].tolerance
        if unit is not None and unit.percent:
            num = re.fullmatch(r"[-−]?\d+(?:\.\d+)?", cell)
            if num:
                value = to_decimal(cell.replace("−", "-"))
                if value is not None:
                    decimals = len(cell.split(".")[1]) if "." in cell else 0
                    return value, cell, cell.lstrip("-−"), None, Decimal(5) * Decimal(10) ** (-decimals - 1)
        return None
    num = re.match(r"\s*(\d{1,3}(?:,\d{3})+|\d+)(?!\.\d)\s*(?:人|名|项|件|个)?", cell)
    if not num or re.match(r"\s*\d+\s*[%％]", cell):
        return None
    value = to_decimal(num.group(1))
    if value is None:
        return None
    return value, num.group(0).strip(), num.group(1), None, Decimal(0)


def _candidate(
    seg: Segment,
    rf: RowField,
    parsed: tuple[Decimal, str, str, str | None, Decimal],
    period: str | None,
    ctx: DocContext,
    rule: str,
    prio_adj: int = 0,
) -> Candidate | None:
    value, raw, number, currency, tol = parsed
    if rf.sign < 0:
        value = -abs(value)
    if period is not None and not _valid_period(period, ctx):
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


def _valid_period(period: str, ctx: DocContext) -> bool:
    year = int(period[:4])
    if ctx.max_year is not None and (year > ctx.max_year or (ctx.forward_looking and year >= ctx.max_year)):
        return False
    return year >= 1990


def _default_period(field: str, ctx: DocContext) -> tuple[str | None, int]:
    if field in ("registered_capital", "paid_in_capital"):
        return None, 0
    if ctx.fiscal_year and ctx.type in ("annual_report", "audit_report", "report"):
        return str(ctx.fiscal_year), -1
    if field in STOCK_FIELDS and ctx.as_of:
        return ctx.as_of[:4], -1
    return None, -1


def _lookup(key: str, previous: RowField | None) -> RowField | None:
    rf = ROW_FIELDS.get(key)
    if rf is None and previous is not None and previous.field == "rd_expense" and key in _AFTER_RD:
        return RowField("rd_ratio", "percent", previous.priority)
    return rf


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
        header = table_cells(rows[0].text)
        body = rows[2:]

    def filled(unit: Unit | None) -> Unit | None:
        if unit is not None and unit.currency is None and not unit.percent:
            found = currency()
            return Unit(found, unit.scale) if found else None
        return unit

    caption_unit = filled(unit_from_text(caption))
    header_unit = filled(unit_from_text(header[0])) if header else None
    years = _header_years(header[1:]) if header else None
    first = header[0].strip().lower() if header else ""
    transposed = first in ("year", "年度", "年份", "fiscal year", "期间", "period")
    previous: RowField | None = None
    for row in body:
        if is_rule_row(row.text):
            continue
        cells = table_cells(row.text)
        if not cells:
            continue
        if transposed and header:
            ym = _YEAR_CELL.search(cells[0])
            if not ym or _FORECAST_COL.search(cells[0]):
                continue
            for col, cell in zip(header[1:], cells[1:], strict=False):
                key, lunit, _ = normalise_label(col)
                rf = ROW_FIELDS.get(key)
                if rf is None:
                    continue
                parsed = _cell_value(cell, rf, lunit or header_unit or caption_unit)
                if parsed:
                    cand = _candidate(row, rf, parsed, ym.group(1), ctx, "md:transposed")
                    if cand:
                        out.append(cand)
            continue
        sub = _header_years(cells[1:])
        if sub and sum(1 for y in sub if y) >= 2 and not cells[0].strip():
            years = sub  # a header row inside the table ("| | 2020年末 | 2019年末 |")
            continue
        key, lunit, when = normalise_label(cells[0])
        rf = _lookup(key, previous)
        previous = rf or previous
        if rf is None:
            continue
        unit = lunit or header_unit or caption_unit
        values = cells[1:]
        if years and len(values) >= 1 and any(years):
            for year, cell in zip(years, values, strict=False):
                if year is None:
                    continue
                parsed = _cell_value(cell, rf, unit)
                if parsed:
                    cand = _candidate(row, rf, parsed, year, ctx, "md:row")
                    if cand:
                        out.append(cand)
        elif len([v for v in values if v.strip()]) == 1:
            cell = next(v for v in values if v.strip())
            parsed = _cell_value(cell, rf, unit)
            if not parsed:
                continue
            period, adj = (when[:4], 0) if when else _default_period(rf.field, ctx)
            in_cell = dates(cell)
            if in_cell and rf.field in STOCK_FIELDS:
                period, adj = in_cell[0].iso[:4], 0
            if rf.field in ("registered_capital", "paid_in_capital"):
                period = None
            cand = _candidate(row, rf, parsed, period, ctx, "md:kv", adj)
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


def text_header(line: str) -> list[str | None] | None:
    """Year columns of a plain-text header line such as "项目 2023年 2022年 增减" or "Item 2023 2022 2021"."""
    tokens = line.split()
    if len(tokens) < 2:
        return None
    year_tokens = [t for t in tokens if re.fullmatch(r"(?:FY)?(?:19|20)\d{2}(?:年(?:度|末)?)?(?:/\S+)?", t)]
    if len(year_tokens) < 2 and not (len(year_tokens) == 1 and len(tokens) <= 3):
        return None
    first_year = next(i for i, t in enumerate(tokens) if t in year_tokens)
    if first_year > 2 or any(re.search(r"\d", t) for t in tokens[:first_year]):
        return None
    cols = tokens[first_year:]
    return [(_YEAR_CELL.search(t).group(1) if t in year_tokens else None) for t in cols]  # type: ignore[union-attr]


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
        years = text_header(seg.text)
        if years and any(years):
            headers.append(_Header(years, seg.index, seg.chunk.chunk_id))
        if len(seg.text) <= 60:
            unit = unit_from_text(seg.text)
            if unit and not unit.percent:
                units.append((unit, seg.chunk.chunk_id, seg.index))
    return PageTables(headers, units)


def page_currency(segs: list[Segment]) -> str | None:
    """The currency most money on these lines is written in ("$18,742 thousand", "16,842.57万元")."""
    counts: dict[str, int] = {}
    for seg in segs:
        for m in zh_money(seg.text) + en_money(seg.text):
            if m.currency:
                counts[m.currency] = counts.get(m.currency, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


def _with_currency(unit: Unit | None, segs: list[Segment]) -> Unit | None:
    if unit is not None and unit.currency is None and not unit.percent:
        currency = page_currency(segs)
        return Unit(currency, unit.scale) if currency else None
    return unit


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
        rf = _lookup(key, previous)
        previous = rf if rf else (previous if text_header(seg.text) is None else None)
        if rf is None:
            continue
        unit = _with_currency(lunit or _page_unit(page, seg), segs)
        header = _page_header(page, seg, len(values))
        if header is None:
            if len(values) == 1:
                parsed = _cell_value(values[0], rf, unit)
                if parsed:
                    period, adj = _default_period(rf.field, ctx)
                    cand = _candidate(seg, rf, parsed, period, ctx, "text:kv", adj)
                    if cand:
                        out.append(cand)
            continue
        for year, cell in zip(header, values, strict=False):
            if year is None:
                continue
            parsed = _cell_value(cell, rf, unit)
            if parsed:
                cand = _candidate(seg, rf, parsed, year, ctx, "text:row")
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
