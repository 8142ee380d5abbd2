"""The company profile: the public JSON contract of ``assistant profile COMPANY --format json``.

Shape (issue 5, item 1)::

    {"company", "aliases", "as_of", "fields": {NAME: FieldValue},
     "financials": {"<year>": {NAME: FieldValue}},
     "lists": {"financing_rounds", "qualifications", "patents", "lawsuits", "top_customers"},
     "checks": [...], "signals": [...], "conflicts": [...], "summary": {"text", "citations"}}

plus ``documents`` (each source document with its inferred type and reliability), which the
reconciliation and the reports use.

Numbers are normalised: money as a number in yuan (or the document's currency) with ``unit`` the
currency code (CNY, USD …), ratios as percent numbers with unit ``%``, counts as integers with unit
``count``, dates ISO with unit ``date``; ``raw`` keeps the document's own text.

Every field's :class:`FieldSpec` (kind, unit, zh/en labels, the words documents use) is here, the one home
that render, summary and the LLM extractor read (``field_spec(name)``, ``spec.label(lang)``); the table of
38 specs is why the module is a little over 400 lines.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.records import Citation

FieldStatus = Literal["found", "conflict", "unknown"]
CheckResult = Literal["pass", "fail", "unknown"]
FieldKind = Literal["money", "percent", "count", "date", "text", "months"]
Lang = Literal["zh", "en"]


class FieldValue(BaseModel):
    """One profile value with its provenance."""

    value: int | float | str | None = Field(
        None,
        description="Normalised value: money in currency units, ratios in percent, counts as integers, "
        "dates ISO (YYYY-MM-DD or YYYY-MM), text as written. None when unknown.",
    )
    unit: str | None = Field(
        None, description="CNY/USD/… for money, % for ratios, count, date, months; None for text."
    )
    period: str | None = Field(
        None, description="Fiscal year ('2023') for flows and year-end figures; None for identity fields."
    )
    raw: str | None = Field(None, description="The value as the document writes it, e.g. '16,842.57万元'.")
    evidence: list[Citation] = Field(
        default_factory=list, description="Every source that states this value (most reliable first)."
    )
    confidence: float = Field(
        0.0, description="0–1: source reliability, agreement between sources, exactness."
    )
    status: FieldStatus = Field(
        "unknown",
        description="found: a verified value; conflict: sources disagree beyond rounding (value = most "
        "reliable source, the others are in the profile's conflicts); unknown: no verified value.",
    )
    looked_in: list[str] = Field(
        default_factory=list, description="For unknown values: the documents that were searched."
    )
    note: str | None = Field(None, description="Qualifier of the value, e.g. 'granted during the year'.")


class Round(BaseModel):
    """An equity financing round."""

    round: str = Field(description="Round name as written: 天使轮, A轮, B+轮, Seed, Series A …")
    date: str | None = Field(None, description="YYYY-MM (or YYYY / YYYY-MM-DD) the round closed.")
    amount: float | int | None = Field(None, description="Amount raised in currency units.")
    currency: str | None = Field(None, description="CNY, USD …")
    raw_amount: str | None = Field(None, description="Amount as written, e.g. '1.2亿元'.")
    lead_investors: list[str] = Field(default_factory=list, description="Lead investor(s).")
    other_investors: list[str] = Field(default_factory=list, description="Other named investors.")
    post_money_valuation: float | int | None = Field(None, description="Post-money valuation, if stated.")
    evidence: list[Citation] = Field(
        default_factory=list, description="Every document that reports the round."
    )


class Qualification(BaseModel):
    """A certificate, recognition, R&D platform or standard."""

    name: str = Field(description="e.g. 高新技术企业, 浙江省专精特新中小企业, ISO 9001:2015, UL 3100.")
    kind: Literal["certificate", "recognition", "rd_platform", "standard", "other"] = Field(
        "certificate", description="certificate/recognition; rd_platform (研发机构/实验室); standard (标准)."
    )
    level: str | None = Field(None, description="national / provincial / municipal … when stated.")
    number: str | None = Field(None, description="Certificate or registration number.")
    issued: str | None = Field(None, description="Issue or recognition date (ISO, possibly YYYY or YYYY-MM).")
    expires: str | None = Field(None, description="Expiry date (ISO).")
    expires_derived: bool = Field(
        False, description="True when the expiry comes from the rule (HNTE: 3 years)."
    )
    led: bool | None = Field(None, description="Standards: True if the company led (主导/牵头) it.")
    status: Literal["valid", "expiring", "expired", "claimed", "unknown"] = Field(
        "unknown",
        description="As of the profile's reference date; expiring = within 180 days; claimed = "
        "mentioned without dates.",
    )
    evidence: list[Citation] = Field(default_factory=list, description="Where the qualification is stated.")


class Patent(BaseModel):
    """One listed patent or registered design."""

    number: str = Field(description="Patent number as written, e.g. ZL201810452617.3, US 11,043,590 B2.")
    title: str | None = Field(None, description="Title as listed.")
    type: Literal["invention", "utility_model", "design", "unknown"] = Field(
        "unknown", description="Patent type."
    )
    granted: str | None = Field(None, description="Grant date (ISO) when listed.")
    legal_status: str | None = Field(None, description="As written, e.g. 有效, 已质押.")
    pledged: bool = Field(False, description="True when the list marks it pledged (质押).")
    evidence: list[Citation] = Field(default_factory=list, description="The list row.")


class Lawsuit(BaseModel):
    """A lawsuit, arbitration or a court listing (被执行人 / 失信 / 限高) or 经营异常."""

    kind: Literal["lawsuit", "enforcement_listing", "dishonest_listing", "abnormal_operation", "penalty"] = (
        Field(
            "lawsuit",
            description="lawsuit/arbitration, 被执行人 / 失信 listing, 经营异常, administrative penalty.",
        )
    )
    role: Literal["plaintiff", "defendant", "judgment_debtor", "unknown"] = Field(
        "unknown", description="The company's role."
    )
    cause: str | None = Field(
        None, description="Cause of action as written, e.g. 买卖合同纠纷, patent infringement."
    )
    amount: float | int | None = Field(None, description="Amount claimed / enforced, in currency units.")
    currency: str | None = Field(None, description="CNY, USD …")
    raw_amount: str | None = Field(None, description="Amount as written.")
    date: str | None = Field(None, description="Filing / listing date (ISO, possibly YYYY-MM).")
    court: str | None = Field(None, description="Court as written.")
    counterparty: str | None = Field(None, description="The other party, as written (often anonymised).")
    case_no: str | None = Field(None, description="Case number, e.g. （2024）皖0104执1876号.")
    status: str | None = Field(None, description="Latest status as written (e.g. 一审胜诉, 已结案, pending).")
    closed: bool = Field(False, description="True when a document says it was performed / closed.")
    evidence: list[Citation] = Field(default_factory=list, description="Every document that reports it.")


class Customer(BaseModel):
    """A major customer (or the top-5 aggregate)."""

    rank: int | None = Field(
        None, description="1 for the largest customer; None for the top-5 aggregate row."
    )
    name: str | None = Field(None, description="Name or description as written (often anonymised).")
    share: float | None = Field(None, description="Share of revenue in percent.")
    amount: float | int | None = Field(None, description="Sales to it in currency units.")
    currency: str | None = Field(None, description="Currency of the amount.")
    period: str | None = Field(None, description="Fiscal year of the share.")
    related_party: bool | None = Field(None, description="True/False when a document says so.")
    evidence: list[Citation] = Field(
        default_factory=list, description="Where share, amount and name are stated."
    )


class Lists(BaseModel):
    """The profile's lists (each item with its evidence)."""

    financing_rounds: list[Round] = Field(default_factory=list, description="Equity rounds, oldest first.")
    qualifications: list[Qualification] = Field(
        default_factory=list, description="Certificates, recognitions, R&D platforms and standards."
    )
    patents: list[Patent] = Field(
        default_factory=list, description="Patents listed by number in the documents."
    )
    lawsuits: list[Lawsuit] = Field(
        default_factory=list, description="Lawsuits and court / registry listings."
    )
    top_customers: list[Customer] = Field(
        default_factory=list, description="The largest customer and the top-5 aggregate."
    )


class Check(BaseModel):
    """One qualification rule computed from profile fields."""

    name: str = Field(description="e.g. 高新技术企业 (HNTE).")
    rule_version: str = Field(description="The published rule version the check implements.")
    result: CheckResult = Field(description="pass, fail, or unknown (an input is missing and nothing fails).")
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="Input values used (with their periods)."
    )
    missing: list[str] = Field(default_factory=list, description="Inputs the documents do not give.")
    explanation: str = Field("", description="Each criterion with its outcome.")


class Signal(BaseModel):
    """A credit signal or red flag with its evidence."""

    name: str = Field(description="Stable identifier, e.g. customer_concentration_top1.")
    kind: Literal["signal", "red_flag"] = Field(
        description="red_flag for the red flags of DOMAIN.md, else signal."
    )
    severity: Literal["info", "warning", "high"] = Field("info", description="How much it should weigh.")
    value: float | int | str | None = Field(None, description="The measured value (share, months, ratio …).")
    explanation: str = Field("", description="One sentence for the analyst.")
    evidence: list[Citation] = Field(default_factory=list, description="The quotes it rests on.")


class ConflictValue(BaseModel):
    """One document's value in a conflict."""

    value: int | float | str | None = Field(description="Normalised value.")
    raw: str | None = Field(None, description="As written.")
    doc: str = Field(description="Document.")
    page: int | None = Field(None, description="1-based page, None for page-less files.")
    quote: str = Field(description="Verbatim quote.")
    source_type: str = Field(description="Inferred document type, e.g. annual_report, business_plan, news.")
    chosen: bool = Field(False, description="True for the value the profile keeps.")


class Conflict(BaseModel):
    """Documents that disagree about one field and period."""

    field: str = Field(description="Profile field name.")
    period: str | None = Field(None, description="Fiscal year (None for identity fields).")
    unit: str | None = Field(None, description="Unit of the values.")
    values: list[ConflictValue] = Field(description="Chosen value first, then the disagreeing ones.")
    note: str = Field("", description="Which source says what, and which one is kept.")


class Summary(BaseModel):
    """Narrative for an RM; filled by the LLM summary stage (empty without it)."""

    text: str = Field("", description="The narrative (empty until the LLM summary stage fills it).")
    citations: list[Citation] = Field(default_factory=list, description="Sources the narrative cites.")


class DocumentInfo(BaseModel):
    """A source document and how far it is trusted."""

    doc: str = Field(description="File name as ingested.")
    type: str = Field(
        description="annual_report, audit_report, prospectus, business_plan, news, visit_notes, "
        "profile, patent_list or other."
    )
    audited: bool = Field(
        False, description="True for audited statements (audit report, audited annual report)."
    )
    reliability: int = Field(description="0–100; higher wins in reconciliation.")
    year: int | None = Field(
        None, description="Fiscal year of a report, or the year written in the file name."
    )


class Profile(BaseModel):
    """A company profile; every value carries its evidence."""

    company: str = Field(description="The company's name in the store.")
    aliases: list[str] = Field(default_factory=list, description="Other names it is known by.")
    as_of: str | None = Field(None, description="Latest fiscal year end the figures cover (ISO date).")
    reference_date: str | None = Field(
        None, description="Date qualifications and signals are judged at (ISO)."
    )
    fields: dict[str, FieldValue] = Field(default_factory=dict, description="Latest value of every field.")
    financials: dict[str, dict[str, FieldValue]] = Field(
        default_factory=dict, description="Per fiscal year: the per-year fields."
    )
    lists: Lists = Field(
        default_factory=Lists, description="Financing rounds, qualifications, patents, lawsuits, customers."
    )
    checks: list[Check] = Field(default_factory=list, description="The qualification rules of DOMAIN.md.")
    signals: list[Signal] = Field(default_factory=list, description="Credit signals and red flags.")
    conflicts: list[Conflict] = Field(default_factory=list, description="Documents that disagree.")
    summary: Summary = Field(default_factory=Summary, description="Narrative for an RM (LLM stage).")
    documents: list[DocumentInfo] = Field(default_factory=list, description="The documents searched.")


class FieldSpec(BaseModel):
    """What a profile field holds and how it is named: the one home of its labels (render, summary and the
    LLM extractor read them here) and of its unit."""

    name: str = Field(description="Field name.")
    kind: FieldKind = Field(description="money, percent, count, date, text or months.")
    per_year: bool = Field(description="True for fields kept per fiscal year in financials.")
    description: str = Field(description="What the field means.")
    zh: str = Field(description="Chinese label, as a report writes it (营业收入).")
    en: str = Field(description="English label (Revenue).")
    negative_zh: str | None = Field(
        None, description="Chinese label of a negative value (净亏损), if it has one."
    )
    negative_en: str | None = Field(None, description="English label of a negative value (Net loss), if any.")
    counter_zh: str | None = Field(
        None, description="Chinese counting word of a count (人, 项), if it takes one."
    )
    terms: str = Field(
        "",
        description="More words documents use for the field (zh and en), to find the passages that state it.",
    )

    def label(self, lang: Lang = "en", negative: bool = False) -> str:
        """The field's label in ``lang``; ``negative``: the label of a negative value (净亏损 for a net profit
        below zero) when the field has one."""
        if negative:
            special = self.negative_zh if lang == "zh" else self.negative_en
            if special:
                return special
        return self.zh if lang == "zh" else self.en

    @property
    def unit(self) -> str | None:
        """The unit every value has: % (percent), count, months, date; None when it varies (money: the
        document's currency, CNY/USD …) or there is none (text)."""
        return _UNITS.get(self.kind)


_UNITS: dict[FieldKind, str] = {"percent": "%", "count": "count", "months": "months", "date": "date"}


def _spec(
    name: str, kind: FieldKind, per_year: bool, zh: str, en: str, description: str, **more: str
) -> FieldSpec:
    return FieldSpec(name=name, kind=kind, per_year=per_year, zh=zh, en=en, description=description, **more)


# Every field of ``Profile.fields``; the first 28 are the names issue 5 requires.
FIELD_SPECS: tuple[FieldSpec, ...] = (
    _spec("legal_name", "text", False, "公司名称", "Legal name",
          "Registered legal name (Chinese if the company has one)."),
    _spec("english_name", "text", False, "英文名称", "English name", "English legal name."),
    _spec("unified_social_credit_code", "text", False, "统一社会信用代码", "Unified social credit code",
          "统一社会信用代码, 18 characters, check character verified."),
    _spec("legal_representative", "text", False, "法定代表人", "Legal representative",
          "法定代表人; for companies outside China the CEO.", terms="法定代表人 legal representative CEO"),
    _spec("founded", "date", False, "成立日期", "Founded", "Founding / incorporation date.",
          terms="成立 设立 注册成立 founded incorporated"),
    _spec("registered_capital", "money", False, "注册资本", "Registered capital", "注册资本.",
          terms="注册资本 registered capital"),
    _spec("headquarters", "text", False, "总部", "Headquarters",
          "Headquarters or registered location (province and city for China).",
          terms="住所 注册地址 总部 headquarters headquartered"),
    _spec("industry", "text", False, "所属行业", "Industry",
          "Industry as the documents classify it (GB/T 4754 code when given).", terms="行业 所属行业 industry"),
    _spec("main_business", "text", False, "主营业务", "Main business", "Main products and services.",
          terms="主营业务 主要产品 main business products"),
    _spec("employees", "count", True, "员工人数", "Employees", "Employees at year end.",
          counter_zh="人", terms="员工 在职员工 员工总数 employees headcount"),
    _spec("rd_staff", "count", True, "研发人员", "R&D staff", "R&D staff at year end.",
          counter_zh="人", terms="研发人员 研发人员数量 R&D staff engineers"),
    _spec("rd_staff_ratio", "percent", True, "研发人员占比", "R&D staff share",
          "R&D staff as a share of all employees (stated, not computed)."),
    _spec("rd_expense", "money", True, "研发投入", "R&D expense",
          "R&D spend of the year (研发投入合计 when given, else 研发费用)."),
    _spec("rd_ratio", "percent", True, "研发投入占营业收入比例", "R&D expense as a share of revenue",
          "R&D spend / revenue of the year (stated)."),
    _spec("revenue", "money", True, "营业收入", "Revenue", "Operating revenue (营业收入).",
          terms="营业收入 revenue"),
    _spec("net_profit", "money", True, "净利润", "Net profit",
          "Net profit (attributable to the parent when given); losses negative.",
          negative_zh="净亏损", negative_en="Net loss", terms="净利润 net income net loss"),
    _spec("gross_margin", "percent", True, "综合毛利率", "Gross margin", "Gross margin (综合毛利率)."),
    _spec("operating_cash_flow", "money", True, "经营活动现金流量净额", "Operating cash flow",
          "Net cash from operating activities.",
          negative_zh="经营活动现金净流出", negative_en="Net cash used in operating activities"),
    _spec("total_assets", "money", True, "资产总计", "Total assets", "Total assets at year end.",
          terms="资产总计 总资产 total assets"),
    _spec("total_liabilities", "money", True, "负债合计", "Total liabilities", "Total liabilities at year end.",
          terms="负债合计 总负债 total liabilities"),
    _spec("debt_ratio", "percent", True, "资产负债率", "Debt ratio", "Liabilities / assets (资产负债率), as stated."),
    _spec("patents_total", "count", True, "授权专利", "Granted patents",
          "Granted patents (and registered designs) held.", counter_zh="项"),
    _spec("invention_patents", "count", True, "发明专利", "Invention patents", "Invention patents (发明专利).",
          counter_zh="项"),
    _spec("utility_model_patents", "count", True, "实用新型专利", "Utility-model patents",
          "Utility-model patents (实用新型)."),
    _spec("software_copyrights", "count", True, "软件著作权", "Software copyrights",
          "Registered software copyrights (软件著作权).", counter_zh="项",
          terms="软件著作权 software copyrights"),
    _spec("top1_customer_share", "percent", True, "第一大客户占营业收入比例",
          "Largest customer's share of revenue", "Largest customer's share of revenue."),
    _spec("top5_customer_share", "percent", True, "前五大客户占营业收入比例",
          "Top-5 customers' share of revenue", "Top-5 customers' share of revenue."),
    _spec("latest_financing_round", "text", False, "最近一轮融资", "Latest financing round",
          "Most recent completed equity round (period = its date)."),
    # further fields the checks and signals use
    _spec("design_patents", "count", True, "外观设计专利", "Design patents",
          "Design patents / registered designs (外观设计)."),
    _spec("paid_in_capital", "money", False, "实缴资本", "Paid-in capital", "实缴/实收资本."),
    _spec("actual_controller", "text", False, "实际控制人", "Actual controller",
          "Controlling shareholder / actual controller (实际控制人)."),
    _spec("net_profit_excl_nonrecurring", "money", True, "扣除非经常性损益后的净利润",
          "Net profit excl. non-recurring", "Net profit excluding non-recurring items (扣非)."),
    _spec("cash", "money", True, "货币资金", "Cash", "Cash and cash equivalents (货币资金) at year end."),
    _spec("accounts_receivable", "money", True, "应收账款", "Accounts receivable",
          "Accounts receivable at year end."),
    _spec("government_subsidies", "money", True, "政府补助", "Government subsidies",
          "Government subsidies recognised in profit or loss."),
    _spec("rd_capitalised", "money", True, "资本化研发投入", "R&D capitalised",
          "Capitalised R&D of the year (资本化研发投入)."),
    _spec("core_tech_revenue_share", "percent", True, "核心技术产品收入占比", "Core-technology revenue share",
          "Revenue share of core-technology / high-tech products."),
    _spec("cash_runway_months", "months", True, "现金可支撑月数", "Cash runway in months",
          "Cash runway in months as stated by a document."),
)  # fmt: skip
FIELD_NAMES: tuple[str, ...] = tuple(s.name for s in FIELD_SPECS)
REQUIRED_FIELDS: tuple[str, ...] = FIELD_NAMES[:28]
SPECS: dict[str, FieldSpec] = {s.name: s for s in FIELD_SPECS}


def field_spec(name: str) -> FieldSpec:
    """The spec of a profile field (KeyError names the unknown field)."""
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"unknown profile field {name!r}") from None


def field_label(name: str, lang: Lang = "en") -> str:
    """The label of a profile field in ``lang``; a name that is no profile field (an amount a conflict is
    about, say) is its own label."""
    spec = SPECS.get(name)
    return spec.label(lang) if spec is not None else name
