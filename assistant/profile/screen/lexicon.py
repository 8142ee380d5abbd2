"""The words of screening questions, Chinese and English, as data: which field, metric, check or signal a phrase
names, and the words of comparison, negation, red flags, pass and fail, and the connectives. The rules of
:mod:`assistant.profile.screen.rules` read a question with them; a phrase belongs to one entry only (a test
checks), and the longest phrase wins ("营收增长" before "营收", "R&D staff" before "staff")."""

from __future__ import annotations

from assistant.profile.screen.vocabulary import CHECKS

# a field, metric or count of the filter language → the phrases that name it
FIELDS: dict[str, tuple[str, ...]] = {
    "rd_ratio": ("研发投入占营业收入比例", "研发投入占营业收入的比例", "研发投入占比", "研发费用占比", "研发占比",
                 "研发费用率", "研发强度", "研发投入强度", "R&D ratio", "R&D intensity", "R&D share",
                 "R&D as a share of revenue", "R&D to revenue", "R&D/revenue", "R&D-to-revenue"),
    "rd_expense": ("研发投入", "研发费用", "研发支出", "R&D expense", "R&D expenses", "R&D spending", "R&D spend",
                   "R&D investment"),
    "rd_staff_ratio": ("研发人员占比", "研发人员比例", "研发人员占员工总数比例", "R&D staff share",
                       "R&D staff ratio", "share of R&D staff"),
    "rd_staff": ("研发人员", "研发人员数量", "R&D staff", "R&D employees", "R&D headcount"),
    "employees": ("员工人数", "员工总数", "员工", "职工人数", "职工", "人数", "employees", "headcount",
                  "staff", "people"),
    "revenue_growth": ("营收增长率", "营收增长", "营收增速", "营业收入增长率", "营业收入增长", "营业收入增速",
                       "收入增长率", "收入增长", "收入增速", "revenue growth", "revenue grew", "grew revenue",
                       "grew its revenue", "grew their revenue", "grown revenue", "revenue growing",
                       "sales growth", "revenue increase", "revenue increased"),
    "net_profit_growth": ("净利润增长率", "净利润增长", "净利润增速", "net profit growth", "profit growth",
                          "net income growth"),
    "revenue": ("营业收入", "营收", "收入", "revenue", "revenues", "sales", "turnover"),
    "net_profit": ("净利润", "净利", "net profit", "net income", "profit"),
    "gross_margin": ("综合毛利率", "毛利率", "gross margin"),
    "net_margin": ("净利率", "净利润率", "net margin"),
    "debt_ratio": ("资产负债率", "负债率", "debt ratio", "debt-to-assets", "debt to assets", "leverage"),
    "current_ratio": ("流动比率", "current ratio"),
    "quick_ratio": ("速动比率", "quick ratio"),
    "operating_cash_flow": ("经营活动现金流量净额", "经营活动现金流", "经营现金流", "operating cash flow"),
    "total_assets": ("资产总额", "资产总计", "总资产", "total assets"),
    "cash": ("货币资金", "现金", "cash"),
    "government_subsidies": ("政府补助", "政府补贴", "government subsidies", "subsidies"),
    "top5_customer_share": ("前五大客户占比", "前五大客户", "前五名客户", "前5大客户", "前5名客户", "前五大客户集中度",
                            "top-5 customers", "top 5 customers", "top five customers", "five largest customers",
                            "top-5 customer share", "top-5 concentration", "top5 customers"),
    "top1_customer_share": ("第一大客户占比", "第一大客户", "最大客户", "第一名客户", "largest customer",
                            "biggest customer", "top customer", "top-1 customer", "single largest customer"),
    "invention_patents": ("发明专利", "invention patents", "invention patent"),
    "patents_total": ("授权专利", "专利", "patents", "granted patents"),
    "software_copyrights": ("软件著作权", "软著", "software copyrights"),
    "red_flags": ("红旗数量", "红旗数", "number of red flags", "red flag count"),
    "signals.cash_runway": ("现金跑道", "现金可支撑月数", "cash runway", "runway"),
}  # fmt: skip

# a signal (or a family of signals) → the phrases that name it
SIGNALS: dict[str, tuple[str, ...]] = {
    "customer_concentration": ("客户集中度", "客户集中", "大客户依赖", "customer concentration",
                               "customer dependence", "concentration"),
    "customer_concentration_top1": ("单一客户依赖", "依赖单一客户", "single-customer dependence",
                                    "single customer dependence", "dependence on a single customer"),
    "subsidy_dependence": ("补贴依赖", "政府补助依赖", "依赖政府补助", "subsidy dependence", "dependence on subsidies"),
    "lawsuit": ("诉讼", "官司", "lawsuit", "lawsuits", "litigation"),
    "lawsuit_defendant": ("被起诉", "被告", "defendant", "defendants", "being sued", "sued"),
    "enforcement_listing": ("被执行人", "被执行", "enforcement listing", "enforcement"),
    "dishonest_listing": ("失信", "dishonest"),
    "abnormal_operation": ("经营异常", "abnormal operation", "abnormal operations"),
    "qualification": ("资质到期", "证书到期", "资质问题", "qualification", "qualifications", "certificate"),
    "qualification_expired": ("已过期", "过期", "expired"),
    "qualification_expiring": ("即将到期", "快到期", "将到期", "expiring", "about to expire", "expires soon"),
    "documents_contradict": ("文件矛盾", "数据矛盾", "前后矛盾", "矛盾", "contradiction", "contradictions",
                             "contradict", "contradicting", "inconsistent documents", "inconsistencies"),
    "receivables_vs_revenue": ("应收账款", "应收", "receivables"),
    "related_party_transaction": ("关联交易", "related-party transactions", "related-party", "related party"),
    "working_capital_deficit": ("营运资金缺口", "营运资金", "working capital deficit", "working capital"),
    "loss_making": ("亏损", "losses", "loss-making", "loss making", "losing money"),
    "equity_pledge": ("股权质押", "equity pledge", "pledged equity"),
    "ip_pledged": ("专利质押", "知识产权质押", "ip pledge", "pledged patents"),
    "unpaid_tax": ("欠税", "unpaid tax", "tax arrears"),
    "going_concern_doubt": ("持续经营", "going concern"),
    "legal_representative_change": ("法定代表人变更", "法人变更", "change of legal representative"),
    "founder_held_patents": ("专利由创始人持有", "founder-held patents", "patents held by founders"),
    "profit_quality_non_recurring": ("非经常性损益", "利润质量", "non-recurring", "profit quality"),
    "cash_flow_vs_profit": ("现金流与利润", "cash flow vs profit", "cash conversion"),
    "rd_capitalisation": ("研发资本化", "R&D capitalisation", "R&D capitalization"),
    "recent_equity_financing": ("近期融资", "最近融资", "recent financing", "recent equity financing",
                                "raised recently"),
}  # fmt: skip

# a check's phrases: its names and aliases (vocabulary.CHECKS), and more
CHECK_WORDS: dict[str, tuple[str, ...]] = {
    c.key: (*c.aliases, *{"高新技术企业": ("高新技术企业认定", "高新认定", "HNTE certification", "high-tech"),
                          "专精特新": ("专精特新企业", "specialised SMEs", "specialized SMEs"),
                          "科创属性": ("科创属性评价",), "科技型中小企业": ("科技型中小企业评价",),
                          "小巨人": ("专精特新小巨人企业", "小巨人企业")}.get(c.key, ()))
    for c in CHECKS
}  # fmt: skip

STATES: dict[str, tuple[str, ...]] = {
    "fail": ("未通过", "没通过", "没有通过", "不通过", "不符合", "不满足", "未满足", "达不到", "不是", "未获得",
             "failed", "fail", "fails", "did not pass", "didn't pass", "do not pass", "does not pass", "not pass",
             "don't qualify", "do not qualify", "does not qualify", "doesn't qualify", "not qualify", "not eligible",
             "do not meet", "don't meet", "does not meet", "doesn't meet", "did not meet", "not meet"),
    "unknown": ("无法判断", "不确定", "待定", "无法确定", "unknown", "undecided", "cannot be decided",
                "can't be decided", "unclear"),
    "pass": ("通过", "符合", "满足", "达到", "具备", "获得", "取得", "拿到", "认定为", "passed", "pass", "passes",
             "qualify", "qualifies", "qualified", "qualify as", "meet", "meets", "met", "satisfy", "satisfies",
             "eligible"),
}  # fmt: skip

# comparison words before the number; "以上" / "以下" after it (Chinese convention: the number included)
BEFORE: dict[str, tuple[str, ...]] = {
    ">=": ("at least", "no less than", "not less than", "不低于", "不少于", "至少", "≥", ">="),
    "<=": ("at most", "no more than", "not more than", "up to", "不超过", "不高于", "不多于", "至多", "最多",
           "≤", "<="),
    ">": ("more than", "greater than", "higher than", "larger than", "bigger than", "above", "over", "exceeds",
          "exceeding", "exceeded", "exceed", "beyond", "超过", "超出", "高于", "大于", "多于", "逾", "超", ">"),
    "<": ("less than", "lower than", "fewer than", "smaller than", "below", "under", "beneath", "低于", "小于",
          "少于", "不足", "不到", "<"),
    "=": ("equal to", "equals", "exactly", "等于", "="),
}  # fmt: skip
AFTER: dict[str, tuple[str, ...]] = {
    ">=": ("及以上", "以上", "or more", "or above", "or higher", "plus"),
    "<=": ("及以下", "以下", "or less", "or below", "or lower", "or fewer"),
}  # fmt: skip

NEGATIONS = ("没有", "无", "不存在", "未出现", "没", "不", "no", "not", "without", "free of", "never", "none")
RED_FLAGS = ("red flags", "red flag", "red-flag", "redflag", "warning signs", "warning sign", "红旗", "风险信号",
             "预警信号", "预警", "风险提示", "风险", "risk", "risks", "flagged", "flags", "flag")  # fmt: skip
AND_WORDS = ("research and development",)  # phrases that hold "and" but are one thing (read as R&D)
CONNECTIVES: dict[str, tuple[str, ...]] = {
    "and": ("and", "with", "as well as", "also", "while", "并且", "而且", "同时", "以及", "且", "和",
            "、", ",", "，", ";", "；"),
    "or": ("or", "either", "或者", "或是", "还是", "或"),
}  # fmt: skip

__all__ = ["AFTER", "AND_WORDS", "BEFORE", "CHECK_WORDS", "CONNECTIVES", "FIELDS", "NEGATIONS", "RED_FLAGS",
           "SIGNALS", "STATES"]  # fmt: skip
