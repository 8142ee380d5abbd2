"""Financial terms a question uses that the statements spell differently (keyword-search expansion).

A credit analyst asks for a "quick ratio" or "速动比率"; a balance sheet lists its inputs line by line
("Cash and cash equivalents", "Accounts receivable", "Total current liabilities" / 货币资金, 应收账款,
流动负债合计) and never the ratio itself. ``expand`` adds the inputs' words to the keyword query so the
statement that holds them is retrieved; fiscal-year forms ("FY22", "FY2022", "fiscal 2022") add the year.
"""

from __future__ import annotations

import re

TERMS: dict[str, str] = {
    # liquidity and leverage
    r"quick ratio|acid[- ]test": "cash equivalents short-term investments accounts receivable "
    "total current liabilities",
    r"current ratio|liquidity|working capital": "total current assets total current liabilities",
    r"debt ratio|leverage|debt[- ]to[- ]assets|gearing": "total liabilities total assets",
    r"速动比率": "货币资金 交易性金融资产 应收账款 流动负债合计",
    r"流动比率|流动性|营运资金": "流动资产合计 流动负债合计",
    r"资产负债率|负债率|杠杆": "负债合计 资产总计",
    # profitability
    r"gross margin|gross profit margin": "revenue cost of sales gross profit",
    r"net margin|net profit margin": "net income revenue",
    r"operating margin": "operating income revenue",
    r"毛利率": "营业收入 营业成本 毛利",
    r"净利率|净利润率": "净利润 营业收入",
    r"\bsales\b": "revenue net revenue",
    r"销售额|销售收入": "营业收入",
    # cash and R&D
    r"cash flow|cash generated": "net cash provided by operating activities investing financing",
    r"现金流": "经营活动产生的现金流量净额 投资活动 筹资活动",
    r"研发投入占比|研发强度|研发费用率": "研发投入总额占营业收入比例 研发投入合计",
    r"r&d intensity|r&d ratio": "research and development percentage of revenue",
    r"effective tax rate": "effective tax rate income tax provision",
    # why a figure moved: the words reports state causes with
    r"\bwhat drove\b|\bwhy\b|\bdrivers?\b|\breasons? for\b": "driven due to primarily increase decrease",
    r"原因|为什么|为何|驱动因素": "主要系 由于 所致 增加 减少",
}
_COMPILED = [(re.compile(pattern, re.I), words) for pattern, words in TERMS.items()]
_FISCAL = re.compile(r"\b(?:FY\s?'?|fiscal\s+(?:year\s+)?)(\d{2}|\d{4})\b", re.I)


def fiscal_years(text: str) -> list[str]:
    """Years written as "FY22", "FY 2022", "fiscal 2022", "fiscal year 2022" → ["2022"]."""
    return [y if len(y) == 4 else "20" + y for y in _FISCAL.findall(text)]


def expand(question: str) -> str:
    """Words to add to the keyword query for ``question`` ("" when none)."""
    extra = [words for pattern, words in _COMPILED if pattern.search(question)]
    return " ".join(extra + fiscal_years(question))
