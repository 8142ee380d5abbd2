"""Table row labels and the field each names: "营业收入" / "Total revenues" → revenue (money), "研发人员数量"
→ rd_staff (count) …, with the label's rank (归母净利润 over 净利润) and sign (net loss). Keys are
normalised labels (lower case, no unit, no spaces between Han characters; see
:func:`assistant.profile.extract.table_cells.normalise_label`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowField:
    """The field a table row fills, the kind of figure it holds and how it ranks."""

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
        "营业收入|营业总收入|revenue|revenues|total revenue|total revenues|net sales|turnover|net revenue|"
        "total net revenue|total net sales|net revenues",
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
    **_rows(
        "money",
        "investing_cash_flow",
        "投资活动产生的现金流量净额|投资活动现金流量净额|"
        "net cash from investing activities|net cash provided by investing activities",
    ),
    **_rows("money", "investing_cash_flow", "net cash used in investing activities", sign=-1),
    **_rows(
        "money",
        "financing_cash_flow",
        "筹资活动产生的现金流量净额|筹资活动现金流量净额|"
        "net cash from financing activities|net cash provided by financing activities",
    ),
    **_rows("money", "financing_cash_flow", "net cash used in financing activities", sign=-1),
    **_rows("money", "cash", "货币资金|现金及现金等价物|cash and cash equivalents|cash|cash at bank"),
    # balance-sheet and income-statement lines the credit metrics read (facts; the profile has no field for them)
    **_rows("money", "current_assets", "流动资产合计|total current assets|current assets, total"),
    **_rows("money", "free_cash_flow", "自由现金流|自由现金流量|free cash flow"),
    **_rows(
        "percent", "effective_tax_rate", "实际税率|有效税率|effective tax rate|effective income tax rate"
    ),
    **_rows(
        "money", "current_liabilities", "流动负债合计|total current liabilities|current liabilities, total"
    ),
    **_rows("money", "inventory", "存货|inventories|inventory|inventories, net"),
    **_rows("money", "short_term_investments", "交易性金融资产|short-term investments|marketable securities"),
    **_rows("money", "short_term_borrowings", "短期借款|short-term borrowings|short-term debt"),
    **_rows("money", "accounts_payable", "应付账款|accounts payable|trade payables"),
    **_rows(
        "money",
        "cost_of_revenue",
        "营业成本|cost of revenue|cost of revenues|cost of sales|cost of goods sold|total cost of revenue",
    ),
    **_rows("money", "gross_profit", "毛利|gross profit"),
    **_rows(
        "money",
        "operating_income",
        "营业利润|operating income|income from operations|operating income (loss)|operating profit",
    ),
    **_rows(
        "money", "selling_expense", "销售费用|selling expenses|sales and marketing|selling and marketing"
    ),
    **_rows(
        "money",
        "admin_expense",
        "管理费用|general and administrative|general and administrative expenses|administrative expenses",
    ),
    **_rows("money", "finance_expense", "财务费用|finance costs|finance expenses"),
    **_rows("money", "interest_expense", "利息费用|interest expense"),
    **_rows(
        "money",
        "capex",
        "购建固定资产、无形资产和其他长期资产支付的现金|purchases of property and equipment|"
        "purchases of property, plant and equipment|capital expenditures",
    ),
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
        "研发人员数量占公司总人数的比例|研发人员占比|研发人员占员工总数比例|研发人员占员工总数的比例|研发人员数量占比",
    ),
    **_rows(
        "percent",
        "top5_customer_share",
        "前五名客户销售占比|前五名客户合计销售额占年度销售总额比例|前五名客户合计销售金额占年度销售总额比例|"
        "前五大客户收入占比|"
        "top five customers|top 5 customers",
    ),
    **_rows("percent", "top1_customer_share", "第一大客户收入占比|第一名客户销售占比|largest customer"),
    **_rows(
        "count",
        "employees",
        "员工总数|员工人数|在职员工总数|在职员工的数量合计|职工总数|职工人数|员工总人数|employees|"
        "total employees|headcount|total headcount|number of employees",
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
# "占营业收入比例(%)" under a "研发投入" row (a multi-year R&D table) is the R&D ratio; "Percentage of total
# revenues" under "General and administrative" is that expense's share of revenue (``<item>_share``).
SHARE_OF_REVENUE = frozenset(
    {
        "占营业收入比例", "占营业收入的比例", "占营业收入比重", "占营业收入百分比", "as % of revenue", "% of revenue",
        "% of total revenue", "% of total revenues", "% of revenues", "percentage of revenue",
        "percentage of revenues", "percentage of total revenue", "percentage of total revenues",
        "as a percentage of revenue", "as a percentage of revenues", "as a percentage of total revenues",
        "percent of revenue", "percent of total revenues",
    }
)  # fmt: skip


def share_field(item: str) -> str:
    """The field of an item's share of revenue: rd_expense → rd_ratio, admin_expense → admin_expense_share."""
    return "rd_ratio" if item == "rd_expense" else f"{item}_share"


def item_name(item: str, lang: str) -> str:
    """What a line item is called in an answer: a profile field's label (its one home, ``profile.schema``),
    else the first label of it the lexicon lists in the language ("current_assets" → 流动资产合计 / total
    current assets); the item itself when none is."""
    from assistant.profile.schema import SPECS  # the schema does not read the lexicon: no cycle

    if item in SPECS:
        return SPECS[item].zh if lang == "zh" else SPECS[item].en
    zh = lang == "zh"
    return next(
        (
            label
            for label, rf in ROW_FIELDS.items()
            if rf.field == item and zh == any(ord(ch) > 0x2E80 for ch in label)
        ),
        item.replace("_", " "),
    )
