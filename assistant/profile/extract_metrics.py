"""Figures stated in sentences: money, ratios and counts with their fiscal year, Chinese and English.

A sentence is read clause by clause. Each figure belongs to the *topic* (营业收入, 研发人员, gross
margin, largest customer …) written right before it — in its own clause, or, when its clause has no
topic, in an earlier clause of the same sentence ("2023年…营业收入16,842.57万元，较2022年的12,306.18万元").
Ratios also need their relation ("占营业收入的比例为", "of revenue", "占员工总数的"); growth rates
("同比增长", "up 23.8%") are never taken for a level. Forecasts (预计/目标/expect/plan …), bounds
(超过/余/more than) and figures in a business plan for its own or a later year are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.profile.candidates import Candidate
from assistant.profile.numbers import (
    DateMention,
    Mention,
    dates,
    en_money,
    percents,
    plain,
    to_decimal,
    zh_counts,
    zh_money,
)
from assistant.profile.sources import DocContext
from assistant.profile.text import Segment, clause_spans, looks_tabular, strip_parens
from assistant.text.cjk import HAN

_CJK = re.compile(r"[" + HAN + r"]")

# ---- topics ----------------------------------------------------------------------------------------
# (topic, pattern) — more specific first: at one position the first alternative wins.
_ZH_TOPICS: tuple[tuple[str, str], ...] = (
    (
        "net_profit_excl",
        r"扣除非经常性损益后(?:的)?(?:归属于(?:母公司|上市公司)(?:股东|所有者)的)?净利润|"
        r"归属于(?:母公司|上市公司)(?:股东|所有者)的扣除非经常性损益(?:后)?的?净利润|扣非(?:后)?(?:归母)?净利润",
    ),
    ("net_profit_attr", r"归属于(?:母公司|上市公司)(?:股东|所有者)的净利润|归母净利润"),
    ("net_loss", r"净亏损"),
    ("net_profit", r"净利润"),
    ("main_revenue", r"主营业务收入"),
    ("revenue", r"营业总收入|营业收入"),
    ("rd_capitalised", r"资本化研发(?:投入|支出)|研发投入资本化(?:的)?(?:金额)?"),
    ("rd_expensed", r"费用化研发(?:投入|支出)"),
    ("rd_investment", r"研发投入(?:合计|总额|金额)?|研发支出(?:合计|总额)?|研究开发投入"),
    ("rd_expense", r"研发费用|研究开发费用"),
    ("rd_staff", r"研发人员(?:的)?(?:数量|人数|总数)?|研发技术人员|技术研发人员"),
    (
        "employees",
        r"在职员工(?:的数量合计|的数量|总数|总人数|人数)?|在册(?:职工|员工)|(?:员工|职工)(?:总数|总人数|人数)|"
        r"(?:公司|发行人|企业|集团)(?:现有|共有|共|目前)?(?:员工|职工)",
    ),
    ("total_assets", r"总资产|资产总额|资产总计"),
    ("total_liabilities", r"总负债|负债总额|负债合计"),
    ("ocf", r"经营活动(?:产生的)?现金流量?净额|经营性现金流量?(?:净额)?|经营活动现金流量?"),
    ("cash", r"货币资金|现金及现金等价物(?:余额)?"),
    ("ar", r"应收账款(?:账面价值|账面余额|余额|净额)?"),
    ("subsidies", r"(?:计入当期损益的)?政府补助"),
    ("gross_margin", r"(?:综合|主营业务)?毛利率"),
    ("debt_ratio", r"资产负债率"),
    ("patents_total", r"(?:已)?授权专利(?:合计|总数)?|有效专利|专利(?:合计|总数)"),
    ("invention", r"发明专利(?!申请)"),
    ("utility", r"实用新型(?:专利)?(?!申请)"),
    ("design", r"外观设计(?:专利)?(?!申请)|外观专利"),
    ("software", r"(?:计算机)?软件著作权|软著"),
    ("top5", r"前(?:五|5)(?:名|大)客户"),
    ("top1", r"第(?:一|1)(?:名|大)客户|(?:单一)?最大客户"),
    ("related", r"关联方|关联交易"),
    ("supplier", r"前(?:五|5)(?:名|大)供应商|供应商"),
    ("core_tech", r"核心技术产品收入|高新技术产品(?:（服务）)?收入"),
    ("registered_capital", r"注册资本"),
    ("paid_in", r"实收资本|实缴资本"),
)
_EN_TOPICS: tuple[tuple[str, str], ...] = (
    (
        "rd_staff",
        r"employees worked in (?:research and development|R&D)|(?:R&D|research and development) "
        r"(?:staff|employees|personnel|headcount|engineers)",
    ),
    ("net_loss", r"net loss(?:es)?"),
    ("net_profit", r"net income|net profit|profit for the year|profit after tax|net earnings"),
    ("gross_margin", r"gross (?:profit )?margin"),
    ("gross_profit", r"gross profit"),
    (
        "revenue",
        r"(?<!recurring )(?<!deferred )(?<!Deferred )(?<!segment )(?<!product )(?<!subscription )"
        r"(?<!service )(?<!services )(?<!license )(?<!hardware )(?<!software )(?<!interest )(?<!other )"
        r"(?:total |net )?revenues?|net sales|turnover",
    ),
    (
        "rd_expense",
        r"research and development (?:expenses?|costs?|spending)|R&D (?:expenses?|costs?|spending)|"
        r"research and development",
    ),
    ("total_assets", r"total assets"),
    ("total_liabilities", r"total liabilities"),
    (
        "ocf_used",
        r"net cash used in operating activities|(?:net )?cash used in operations|cash used in operating activities",
    ),
    ("ocf", r"net cash (?:provided by|from|generated (?:by|from)) operating activities|operating cash flow"),
    ("cash", r"cash and cash equivalents|cash at bank|cash balance|\bcash\b"),
    ("ar", r"accounts receivable|trade receivables"),
    ("top5", r"(?:five|5) largest customers|top (?:five|5)(?: customers)?|largest five customers"),
    ("top1", r"(?:single )?largest customer|biggest customer|top customer"),
    ("supplier", r"largest supplier|suppliers?"),
    ("debt_ratio", r"debt(?:-to-assets?)? ratio|gearing(?: ratio)?"),
    ("burn", r"(?:average )?monthly (?:net )?(?:cash )?burn"),
)


def _compile(topics: tuple[tuple[str, str], ...], flags: int = 0) -> tuple[re.Pattern[str], list[str]]:
    names = [t for t, _ in topics]
    return re.compile("|".join(f"(?P<t{i}>{p})" for i, (_, p) in enumerate(topics)), flags), names


ZH_TOPIC_RE, ZH_TOPIC_NAMES = _compile(_ZH_TOPICS)
EN_TOPIC_RE, EN_TOPIC_NAMES = _compile(_EN_TOPICS, re.IGNORECASE)

# "占营业收入的比例为" / "占员工总数的" / "占比" — a relation before a ratio, never a topic itself.
_ZH_REL = re.compile(
    r"占(?:最近[一二三两]年)?(?:累计)?(?:公司)?(?P<obj>营业总收入|营业收入|年度销售总额|销售总额|主营业务收入|收入|"
    r"员工总数|职工总数|公司总人数|总人数|员工人数|职工人数|总资产|资产总额|采购总额|年度采购总额|净利润|利润总额)?"
    r"(?:的)?(?:比例|比重|比率)?(?:为|达到|达|是|约为|约)?"
)
_EN_REL_AFTER = re.compile(
    r"^\s*of\s+(?:(?:fiscal\s+)?\d{4}\s+|total\s+|annual\s+|net\s+|our\s+|the\s+company's\s+)?"
    r"(?P<obj>revenues?|sales|the total|total (?:employees|staff|headcount)|(?:all )?employees|staff|headcount|"
    r"workforce|purchases)",
    re.IGNORECASE,
)
_GROWTH = re.compile(
    r"增长|下降|增加|减少|提高|降低|提升|变动|同比|环比|增幅|降幅|复合|\bup\b|\bdown\b|grew|grow|rose|fell|increase|decrease|"
    r"growth|decline|higher|lower|CAGR",
    re.IGNORECASE,
)
_FORECAST = re.compile(
    r"预计|预测|预期|目标|计划|规划|拟|将(?:达到|实现|超过)|力争|争取|展望|估计|"
    r"\bexpect|\bplan(?:s|ned)?\b|\btarget|\bforecast|\bproject(?:ed|ion)|\bbudget|\baim\b|\bestimated?\b|\bguidance\b|"
    r"\bwill\b|\bwould\b|\bgoal\b",
    re.IGNORECASE,
)
_CUMULATIVE = re.compile(
    r"累计|合计(?:三|两)年|最近三年|报告期内(?:累计)?|since inception|cumulative|in total over", re.IGNORECASE
)

# Words allowed between a topic and its figure.
_ZH_FILLER = re.compile(
    r"^(?:\s|为|是|达到|达|约为|约|共计|共|合计|有|的|了|：|:|（|\(|销售额|销售金额|销售|金额|余额|账面价值|账面余额|"
    r"总额|收入|数量|人数|总数|全年|实现|已|拥有|净额|仅|分别)*$"
)
_EN_FILLER = re.compile(
    r"^(?:\s|,|:|was|were|is|are|of|totaled|totalled|totaling|amounted to|reached|came to|stood at|"
    r"for (?:the )?(?:fiscal )?(?:year )?(?:\d{4})?|in (?:fiscal )?\d{4}|the year|together|collectively|"
    r"attributable to (?:[\w.&-]+\s){0,5}?of|(?:as of|at) (?:[A-Z][a-z]+ \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]+ \d{4})|"
    r"accounted for|represented|made up|increased to|decreased to|rose to|fell to|grew to|"
    r"approximately|about|around|roughly|some|a|an)*$",
    re.IGNORECASE,
)
_ZH_INHERIT = re.compile(
    r"^\s*(?:其中|而|较|与|比|同比)?\s*(?:(?:19|20)\d{2}\s*年(?:度|末|底)?|上年(?:度|末)?|去年)?\s*(?:的|为|是|约为|约|：|:)?"
    r"\s*(?:销售额|销售金额|金额)?(?:为|是|约|：)?\s*$"
)
_EN_INHERIT = re.compile(
    r"^\s*(?:compared (?:with|to)|versus|vs\.?|from|and|or|while|against|(?:up|down) [\d.]+% from|"
    r"an? (?:increase|decrease) of [\d.]+% from)?\s*(?:a |an )?$",
    re.IGNORECASE,
)
_CHAIN = re.compile(
    r"^\s*(?:in (?:fiscal )?\d{4}|for (?:fiscal )?\d{4}|at [A-Za-z0-9 ,]{4,25}?\d{4})?\s*"
    r"(?:,|;|and|、|和|及|以及|,\s*and|\(\s*\d{4}\s*[:：])\s*$",
    re.IGNORECASE,
)
_EN_AFTER_YEAR = re.compile(
    r"^\s*(?:,\s*)?(?:in|for|during|of|at)\s+(?:the\s+)?(?:fiscal\s+(?:year\s+)?|FY\s?)?((?:19|20)\d{2})\b",
    re.IGNORECASE,
)
_YEAR_END_WORDS = re.compile(
    r"年末|年底|期末|报告期末|at year[- ]end|at the end of the year|end of (?:the )?year", re.IGNORECASE
)
_PER_SHARE = re.compile(r"^\s*(?:per (?:basic |diluted )?(?:common )?share|/股|每股)", re.IGNORECASE)
_CONTINUING = re.compile(
    r"^\s*(?:\d+[.、]\s*)?(?:其中|此外|另外|Of these|Of which|In addition)", re.IGNORECASE
)


@dataclass
class Topic:
    name: str
    start: int
    end: int


@dataclass
class _Rule:
    field: str
    sign: int = 0  # -1: force negative (net loss); 0: keep
    priority: int = 1
    basis: str | None = None


# (topic, kind, relation) → field; relation: "rev" share of revenue, "staff" share of staff, "share" generic
# 占比, None plain. Figures on other combinations are ignored.
_MONEY: dict[str, _Rule] = {
    "revenue": _Rule("revenue"),
    "net_profit": _Rule("net_profit"),
    "net_profit_attr": _Rule("net_profit", priority=2),
    "net_loss": _Rule("net_profit", sign=-1),
    "net_profit_excl": _Rule("net_profit_excl_nonrecurring"),
    "rd_expense": _Rule("rd_expense", basis="expense"),
    "rd_investment": _Rule("rd_expense", priority=2, basis="investment"),
    "rd_capitalised": _Rule("rd_capitalised"),
    "total_assets": _Rule("total_assets"),
    "total_liabilities": _Rule("total_liabilities"),
    "ocf": _Rule("operating_cash_flow"),
    "ocf_used": _Rule("operating_cash_flow", sign=-1),
    "cash": _Rule("cash"),
    "ar": _Rule("accounts_receivable"),
    "subsidies": _Rule("government_subsidies"),
    "top1": _Rule("top1_customer_amount"),
    "top5": _Rule("top5_customer_amount"),
}
_PERCENT: dict[tuple[str, str | None], _Rule] = {
    ("gross_margin", None): _Rule("gross_margin"),
    ("debt_ratio", None): _Rule("debt_ratio"),
    ("rd_expense", "rev"): _Rule("rd_ratio"),
    ("rd_investment", "rev"): _Rule("rd_ratio", priority=2),
    ("rd_staff", "staff"): _Rule("rd_staff_ratio"),
    ("rd_staff", "share"): _Rule("rd_staff_ratio"),
    ("top5", "rev"): _Rule("top5_customer_share"),
    ("top5", "share"): _Rule("top5_customer_share"),
    ("top5", None): _Rule("top5_customer_share"),
    ("top1", "rev"): _Rule("top1_customer_share"),
    ("top1", "share"): _Rule("top1_customer_share"),
    ("top1", None): _Rule("top1_customer_share"),
    ("core_tech", "rev"): _Rule("core_tech_revenue_share"),
}
_COUNT: dict[str, _Rule] = {
    "employees": _Rule("employees"),
    "rd_staff": _Rule("rd_staff"),
    "patents_total": _Rule("patents_total"),
    "invention": _Rule("invention_patents"),
    "utility": _Rule("utility_model_patents"),
    "design": _Rule("design_patents"),
    "software": _Rule("software_copyrights"),
}
_STAFF_UNITS = ("人", "名")
_IP_UNITS = ("项", "件", "个")
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
IDENTITY_FIELDS = frozenset({"registered_capital", "paid_in_capital"})


@dataclass
class SegmentContext:
    """What the extractors know around a segment: its document and the dates of the lines above it."""

    doc: DocContext
    prior_dates: list[DateMention]  # dates in the previous two segments of the chunk


def _topics(sentence: str, zh: bool) -> list[Topic]:
    rx, names = (ZH_TOPIC_RE, ZH_TOPIC_NAMES) if zh else (EN_TOPIC_RE, EN_TOPIC_NAMES)
    rel_spans = [(m.start(), m.end()) for m in _ZH_REL.finditer(sentence) if m.group("obj")] if zh else []
    out: list[Topic] = []
    for m in rx.finditer(sentence):
        if any(s <= m.start() < e for s, e in rel_spans):
            continue
        name = names[int(next(k for k, v in m.groupdict().items() if v is not None)[1:])]
        out.append(Topic(name, m.start(), m.end()))
    return out


def _mentions(sentence: str, zh: bool, default_scale: Decimal = Decimal(1)) -> list[Mention]:
    found = zh_money(sentence) + en_money(sentence, default_scale) + percents(sentence)
    if zh:
        found += zh_counts(sentence)
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Mention] = []
    for m in found:
        if out and m.start < out[-1].end:
            continue
        out.append(m)
    return out


def _relation(sentence: str, before_start: int, m: Mention, zh: bool) -> tuple[str | None, int]:
    """The ratio's relation and where the text before it (minus the relation phrase) ends."""
    before = sentence[before_start : m.start]
    if zh:
        rel = None
        cut = len(before)
        for r in _ZH_REL.finditer(before):
            if before[r.end() :].strip() == "":
                obj = r.group("obj")
                if obj is None:
                    rel = (
                        "share"
                        if "占比" in before[r.start() : r.end() + 1] or r.group(0).startswith("占")
                        else None
                    )
                elif obj in ("营业总收入", "营业收入", "年度销售总额", "销售总额", "主营业务收入", "收入"):
                    rel = "rev"
                elif obj in ("员工总数", "职工总数", "公司总人数", "总人数", "员工人数", "职工人数"):
                    rel = "staff"
                else:
                    rel = "other"
                cut = r.start()
        if rel is None:
            share = re.search(r"(?:收入|销售额)?占比(?:为|达到|约为|约)?\s*$", before)
            if share:
                rel, cut = "share", share.start()
        return rel, before_start + cut
    after = _EN_REL_AFTER.match(sentence[m.end :])
    if after:
        obj = after.group("obj").lower()
        if obj.startswith(("revenue", "sales")):
            return "rev", m.start
        if obj.startswith("purchases"):
            return "other", m.start
        return "staff", m.start
    return None, m.start


def _gap_ok(gap: str, zh: bool) -> bool:
    gap = strip_parens(gap)
    return bool((_ZH_FILLER if zh else _EN_FILLER).match(gap))


def _year_of(sentence: str, m: Mention, sent_dates: list[DateMention], zh: bool) -> DateMention | None:
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
    found = dates(sentence)
    if not zh:  # bare years: "in 2023", "2022:" (not "$2,023", not ISO 9001:2015)
        taken = [(d.start, d.end) for d in found]
        for y in re.finditer(r"(?<![\d,.$:/\-])((?:19|20)\d{2})(?!\d|,\d|%)", sentence):
            if not any(s <= y.start() < e for s, e in taken):
                found.append(DateMention(iso=y.group(1), raw=y.group(1), start=y.start(), end=y.end()))
        found.sort(key=lambda d: d.start)
    return found


def _period(
    field: str,
    sentence: str,
    m: Mention,
    sent_dates: list[DateMention],
    seg_before: list[DateMention],
    ctx: SegmentContext,
    zh: bool,
) -> tuple[str | None, int]:
    """Fiscal year of a figure (or None), and a priority adjustment (-1 when inferred from context)."""
    if field in IDENTITY_FIELDS:
        return None, 0
    d = _year_of(sentence, m, sent_dates, zh)
    stock = field in STOCK_FIELDS
    if d is None and seg_before:
        d = seg_before[-1]
    continuing = bool(_CONTINUING.match(sentence))
    if d is None and (stock or continuing) and ctx.prior_dates:
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


def _valid_period(period: str | None, ctx: DocContext) -> bool:
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


def _value(m: Mention, sign: int) -> int | float:
    value = m.value
    if sign < 0:
        value = -abs(value)
    return plain(value)


def _make(
    field: str,
    rule: _Rule,
    m: Mention,
    seg: Segment,
    s0: int,
    s1: int,
    period: str | None,
    prio_adj: int,
    ctx: SegmentContext,
    name: str,
    note: str | None = None,
) -> Candidate | None:
    chunk = seg.chunk
    quote = seg.quote(s0, s1)
    if m.kind == "money":
        unit = m.currency
    elif m.kind == "percent":
        unit = "%"
    else:
        unit = "count"
    return Candidate(
        field=field,
        value=_value(m, rule.sign),
        unit=unit,
        period=period,
        raw=m.raw.strip(),
        number=m.number,
        doc=chunk.doc,
        page=chunk.page,
        quote=quote,
        chunk_id=chunk.chunk_id,
        priority=rule.priority * 10 + prio_adj,
        basis=rule.basis,
        approx=m.approx,
        tolerance=float(m.tolerance),
        note=note,
        rule=name,
    )


def _patent_status(clauses: list[str]) -> list[str]:
    out: list[str] = []
    prev = "held"
    for clause in clauses:
        if re.search(r"申请|受理|审查|pending|application", clause, re.IGNORECASE):
            prev = "pending"
        elif re.search(r"拥有|持有|共有|截至|合计|累计获得", clause):
            prev = "held"
        elif re.search(r"获得|取得|新增|获授权|获批|授权", clause):
            prev = "obtained"
        out.append(prev)
    return out


_OTHER_ENTITY = re.compile(
    r"子公司|参股公司|分公司|孙公司|联营企业|合营企业|subsidiar|joint venture|investee", re.IGNORECASE
)


def sentence_candidates(seg: Segment, ctx: SegmentContext) -> list[Candidate]:
    """Figures in the sentences of one logical line (a line about a subsidiary ranks lower)."""
    out = _sentence_candidates(seg, ctx)
    if _OTHER_ENTITY.search(seg.text):
        for c in out:
            c.priority -= 10
    return out


def _sentence_candidates(seg: Segment, ctx: SegmentContext) -> list[Candidate]:
    out: list[Candidate] = []
    text = seg.text
    tabular = seg.table_row or looks_tabular(text)
    for s0, s1 in seg.sentences():
        sentence = text[s0:s1]
        if not re.search(r"\d", sentence):
            continue
        zh = bool(_CJK.search(sentence))
        if not tabular:
            out.extend(_sentence(seg, s0, s1, sentence, zh, ctx))
        if not zh:
            out.extend(_english_counts(seg, s0, s1, sentence, ctx))
    return out


def _sentence(
    seg: Segment, s0: int, s1: int, sentence: str, zh: bool, ctx: SegmentContext
) -> list[Candidate]:
    topics = _topics(sentence, zh)
    if not topics:
        return []
    mentions = _mentions(sentence, zh)
    if not mentions:
        return []
    sent_dates = sentence_dates(sentence, zh)
    seg_before = [d for d in sentence_dates(seg.text[:s0], zh)] if s0 else []
    clauses = clause_spans(sentence, 0, len(sentence))
    clause_texts = [sentence[a:b] for a, b in clauses]
    patent_status = _patent_status(clause_texts)
    date_spans = [(d.start, d.end) for d in sent_dates]
    out: list[Candidate] = []
    assigned: dict[int, str] = {}  # mention index → topic name
    rejected: set[int] = (
        set()
    )  # topics whose own figure was not acceptable: later clauses do not inherit them
    for i, m in enumerate(mentions):
        if m.bound or any(s <= m.start < e for s, e in date_spans):
            continue
        if _PER_SHARE.match(sentence[m.end :]):
            continue
        ci = next((k for k, (a, b) in enumerate(clauses) if a <= m.start < b), len(clauses) - 1)
        ca, _cb = clauses[ci]
        topic: Topic | None = None
        gap_start = ca
        inherited = False
        direct = [t for t in topics if ca <= t.start and t.end <= m.start]
        if direct:
            topic = direct[-1]
            gap_start = topic.end
            # a figure after another figure of the same topic: "…$12,961 thousand in fiscal 2022 and $8,305 …"
            prev = [j for j in range(i) if mentions[j].start >= topic.end and mentions[j].end <= m.start]
            if prev:
                j = prev[-1]
                if assigned.get(j) != topic.name or mentions[j].kind != m.kind:
                    continue
                if not _CHAIN.match(sentence[mentions[j].end : m.start]):
                    continue
                gap_start = m.start
        else:
            earlier = [t for t in topics if t.end <= ca]
            if not earlier:
                continue
            topic = earlier[-1]
            inherited = True
        rel: str | None = None
        cut = m.start
        if m.kind == "percent":
            rel, cut = _relation(sentence, gap_start, m, zh)
        gap = sentence[gap_start:cut]
        if m.kind == "percent" and _GROWTH.search(gap if not inherited else sentence[ca : m.start]):
            continue
        if inherited:
            prefix = strip_parens(sentence[ca:cut])
            if topic.start in rejected:
                continue
            if not (_ZH_INHERIT if zh else _EN_INHERIT).match(prefix) and not _gap_ok(prefix, zh):
                rejected.add(topic.start)
                continue
        elif gap_start != m.start and not _gap_ok(gap, zh):
            rejected.add(topic.start)
            continue
        clause_text = clause_texts[ci]
        topic_clause = next(
            (clause_texts[k] for k, (a, b) in enumerate(clauses) if a <= topic.start < b), clause_text
        )
        if _FORECAST.search(clause_text) or _FORECAST.search(topic_clause):
            continue
        if _CUMULATIVE.search(sentence[max(0, topic.start - 8) : topic.start]) or _CUMULATIVE.search(gap):
            continue
        rule: _Rule | None = None
        note: str | None = None
        if m.kind == "money":
            rule = _MONEY.get(topic.name)
        elif m.kind == "percent":
            rule = _PERCENT.get((topic.name, rel))
        elif m.kind == "count":
            rule = _COUNT.get(topic.name)
            if rule and rule.field in ("employees", "rd_staff") and m.unit_word not in _STAFF_UNITS:
                rule = None
            if rule and rule.field not in ("employees", "rd_staff") and m.unit_word not in _IP_UNITS:
                rule = None
            if rule and rule.field in (
                "patents_total",
                "invention_patents",
                "utility_model_patents",
                "design_patents",
                "software_copyrights",
            ):
                status = patent_status[ci]
                if status == "pending":
                    continue
                if status == "obtained":
                    note = "obtained during the period (not the total held)"
        if rule is None:
            continue
        assigned[i] = topic.name
        period, adj = _period(rule.field, sentence, m, sent_dates, seg_before, ctx, zh)
        if adj <= -9 or not _valid_period(period, ctx.doc):
            continue
        if note:
            adj -= 2
        cand = _make(rule.field, rule, m, seg, s0, s1, period, adj, ctx, f"sentence:{topic.name}", note)
        if cand is not None:
            out.append(cand)
    return out


# ---- English counts ----------------------------------------------------------------------------------
_N = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+)"
_EN_COUNTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "employees",
        re.compile(
            rf"\b(?:had|has|have|employed|employs|employing|headcount of|workforce of)\s+"
            rf"(?:approximately |about |around |roughly |some )?{_N}\s+(?:full-time\s+|permanent\s+)?"
            r"(?:employees|staff|people|FTEs?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "rd_staff",
        re.compile(
            rf"{_N}\s+(?:employees|staff|people|engineers)\s+(?:worked|work|working)\s+in\s+"
            r"(?:research and development|R&D|engineering)",
            re.IGNORECASE,
        ),
    ),
    ("rd_staff", re.compile(rf"\(?{_N}\s+in\s+R&D\b", re.IGNORECASE)),
    (
        "patents_total",
        re.compile(
            rf"\b(?:held|holds|owned|owns|had|has)\s+{_N}\s+(?:issued|granted)\s+"
            r"(?:U\.S\.\s+|US\s+|UK\s+|European\s+|Chinese\s+)?patents\b",
            re.IGNORECASE,
        ),
    ),
    (
        "invention_patents",
        re.compile(
            rf"\b{_N}\s+(?:were\s+)?(?:granted\s+|issued\s+)?(?:utility\s+\(invention\)|"
            r"invention\s+\(utility\)|invention)\s+patents",
            re.IGNORECASE,
        ),
    ),
    (
        "invention_patents",
        re.compile(
            rf"\bAll\s+{_N}\s+(?:issued\s+|granted\s+)?patents\s+are\s+(?:invention|utility)", re.IGNORECASE
        ),
    ),
    (
        "design_patents",
        re.compile(rf"\b{_N}\s+(?:were\s+)?(?:registered\s+designs|design\s+patents)", re.IGNORECASE),
    ),
    ("software_copyrights", re.compile(rf"\b{_N}\s+(?:registered\s+)?software\s+copyrights", re.IGNORECASE)),
)
_EN_NONE = re.compile(
    r"\b(?:holds|has|had|held|owns)\s+no\s+(?P<what>design patents|registered designs|patents)\b",
    re.IGNORECASE,
)
_EN_STAFF_RATIO = re.compile(
    r"^[^.;]{0,60}?\bor\s+(?P<p>\d+(?:\.\d+)?)%\s+of\s+(?:the\s+)?(?:total|all employees|employees)",
    re.IGNORECASE,
)
_RUNWAY = re.compile(
    r"runway of (?:roughly |about |approximately |around )?(?P<a>\d+(?:\.\d+)?) months|"
    r"covers (?:roughly |about |approximately |around )?(?P<b>\d+(?:\.\d+)?) months|"
    r"(?:about |roughly |approximately )?(?P<c>\d+(?:\.\d+)?) months of (?:cash )?runway|"
    r"现金(?:可)?(?:支撑|维持)(?:约)?(?P<d>\d+(?:\.\d+)?)个月",
    re.IGNORECASE,
)


def _english_counts(seg: Segment, s0: int, s1: int, sentence: str, ctx: SegmentContext) -> list[Candidate]:
    out: list[Candidate] = []
    if re.search(r"\baverage\b", sentence, re.IGNORECASE):
        return out
    sent_dates = sentence_dates(sentence, False)
    seg_before = sentence_dates(seg.text[:s0], False) if s0 else []
    clauses = clause_spans(sentence, 0, len(sentence))

    def forecast_at(pos: int) -> bool:
        a, b = next(((a, b) for a, b in clauses if a <= pos < b), (0, len(sentence)))
        return bool(_FORECAST.search(sentence[a:b]))

    for field, rx in _EN_COUNTS:
        for m in rx.finditer(sentence):
            if forecast_at(m.start("n")):
                continue
            value = to_decimal(m.group("n"))
            if value is None:
                continue
            mention = Mention(
                kind="count",
                value=value,
                raw=sentence[m.start("n") : m.end()].strip("( "),
                number=m.group("n"),
                start=m.start("n"),
                end=m.end("n"),
            )
            period, adj = _period(field, sentence, mention, sent_dates, seg_before, ctx, False)
            if adj <= -9 or not _valid_period(period, ctx.doc):
                continue
            out.append(_make(field, _Rule(field), mention, seg, s0, s1, period, adj, ctx, f"en:{field}"))  # type: ignore[arg-type]
            if field == "rd_staff":
                ratio = _EN_STAFF_RATIO.match(sentence[m.end() :])
                if ratio:
                    p = to_decimal(ratio.group("p"))
                    if p is not None:
                        pm = Mention(
                            kind="percent",
                            value=p,
                            raw=ratio.group("p") + "%",
                            number=ratio.group("p"),
                            start=m.end() + ratio.start("p"),
                            end=m.end() + ratio.end("p") + 1,
                        )
                        out.append(
                            _make(
                                "rd_staff_ratio",
                                _Rule("rd_staff_ratio"),
                                pm,
                                seg,
                                s0,
                                s1,
                                period,
                                adj,
                                ctx,
                                "en:rd_staff_ratio",
                            )
                        )  # type: ignore[arg-type]
    for m in _EN_NONE.finditer(sentence):
        field = "patents_total" if m.group("what").lower() == "patents" else "design_patents"
        mention = Mention(
            kind="count", value=Decimal(0), raw=m.group(0), number="", start=m.start(), end=m.end()
        )
        period, adj = _period(field, sentence, mention, sent_dates, seg_before, ctx, False)
        if adj <= -9 or not _valid_period(period, ctx.doc):
            continue
        cand = _make(field, _Rule(field), mention, seg, s0, s1, period, adj, ctx, "en:none")
        if cand is not None:
            cand.number = None
            cand.raw = m.group(0)
            out.append(cand)
    return out


def runway_candidates(seg: Segment, ctx: SegmentContext) -> list[Candidate]:
    out: list[Candidate] = []
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        for m in _RUNWAY.finditer(sentence):
            key = next(k for k in "abcd" if m.group(k))
            value = to_decimal(m.group(key))
            if value is None:
                continue
            zh = bool(_CJK.search(sentence))
            mention = Mention(
                kind="count",
                value=value,
                raw=m.group(0),
                number=m.group(key),
                start=m.start(key),
                end=m.end(key),
                approx=bool(re.search(r"about|roughly|approximately|around|约", m.group(0))),
            )
            sent_dates = sentence_dates(sentence, zh)
            period = None
            d = _year_of(sentence, mention, sent_dates, zh)
            if d is not None:
                period = d.iso[:4]
            cand = _make(
                "cash_runway_months",
                _Rule("cash_runway_months"),
                mention,
                seg,
                s0,
                s1,
                period,
                0,
                ctx,
                "runway",
            )
            if cand is not None:
                cand.unit = "months"
                out.append(cand)
    return out
