"""Sentence topics and what a figure after them is: the words that name a line item in a sentence
(营业收入, 研发人员, gross margin, largest customer …) and, per topic, the field a money amount, a
ratio (with its relation) or a count after it fills. Read by :mod:`assistant.profile.extract.metrics`."""

from __future__ import annotations

from dataclasses import dataclass

# (topic, pattern) — more specific first: at one position the first alternative wins.
ZH_TOPICS: tuple[tuple[str, str], ...] = (
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
EN_TOPICS: tuple[tuple[str, str], ...] = (
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
    (
        "top1",
        r"(?:single )?largest customer|biggest customer|top customer|(?<!no )(?<!not )\b(?:one|a single) customer\b",
    ),
    ("supplier", r"largest supplier|suppliers?"),
    ("debt_ratio", r"debt(?:-to-assets?)? ratio|gearing(?: ratio)?"),
    ("burn", r"(?:average )?monthly (?:net )?(?:cash )?burn"),
)


@dataclass
class FigureRule:
    """The field a figure after a topic fills, and how it ranks."""

    field: str
    sign: int = 0  # -1: force negative (net loss); 0: keep
    priority: int = 1
    basis: str | None = None


# (topic, kind, relation) → field; relation: "rev" share of revenue, "staff" share of staff, "share" generic
# 占比, None plain. Figures on other combinations are ignored.
MONEY_RULES: dict[str, FigureRule] = {
    "revenue": FigureRule("revenue"),
    "net_profit": FigureRule("net_profit"),
    "net_profit_attr": FigureRule("net_profit", priority=2),
    "net_loss": FigureRule("net_profit", sign=-1),
    "net_profit_excl": FigureRule("net_profit_excl_nonrecurring"),
    "rd_expense": FigureRule("rd_expense", basis="expense"),
    "rd_investment": FigureRule("rd_expense", priority=2, basis="investment"),
    "rd_capitalised": FigureRule("rd_capitalised"),
    "total_assets": FigureRule("total_assets"),
    "total_liabilities": FigureRule("total_liabilities"),
    "ocf": FigureRule("operating_cash_flow"),
    "ocf_used": FigureRule("operating_cash_flow", sign=-1),
    "cash": FigureRule("cash"),
    "ar": FigureRule("accounts_receivable"),
    "subsidies": FigureRule("government_subsidies"),
    "top1": FigureRule("top1_customer_amount"),
    "top5": FigureRule("top5_customer_amount"),
}
PERCENT_RULES: dict[tuple[str, str | None], FigureRule] = {
    ("gross_margin", None): FigureRule("gross_margin"),
    ("debt_ratio", None): FigureRule("debt_ratio"),
    ("rd_expense", "rev"): FigureRule("rd_ratio"),
    ("rd_investment", "rev"): FigureRule("rd_ratio", priority=2),
    ("rd_staff", "staff"): FigureRule("rd_staff_ratio"),
    ("rd_staff", "share"): FigureRule("rd_staff_ratio"),
    ("top5", "rev"): FigureRule("top5_customer_share"),
    ("top5", "share"): FigureRule("top5_customer_share"),
    ("top5", None): FigureRule("top5_customer_share"),
    ("top1", "rev"): FigureRule("top1_customer_share"),
    ("top1", "share"): FigureRule("top1_customer_share"),
    ("top1", None): FigureRule("top1_customer_share"),
    ("core_tech", "rev"): FigureRule("core_tech_revenue_share"),
}
COUNT_RULES: dict[str, FigureRule] = {
    "employees": FigureRule("employees"),
    "rd_staff": FigureRule("rd_staff"),
    "patents_total": FigureRule("patents_total"),
    "invention": FigureRule("invention_patents"),
    "utility": FigureRule("utility_model_patents"),
    "design": FigureRule("design_patents"),
    "software": FigureRule("software_copyrights"),
}
# the units a head count and an IP count are written in
STAFF_UNITS = ("人", "名")
IP_UNITS = ("项", "件", "个")
