"""Cue words around a figure in a sentence: the relation before a ratio (占营业收入的比例为, of
revenue), growth, forecast and cumulative words that disqualify a figure, the filler allowed between a
topic and its figure, the words that let a later clause inherit a topic, per-share amounts and other
entities (子公司, subsidiary). Read by :mod:`assistant.profile.extract.metrics` and its helpers."""

from __future__ import annotations

import re

from assistant.text.figures import PERCENT_SIGN

# "占营业收入的比例为" / "占员工总数的" / "占比" — a relation before a ratio, never a topic itself.
ZH_RELATION = re.compile(
    r"占(?:最近[一二三两]年)?(?:累计)?(?:公司)?(?P<obj>营业总收入|营业收入|年度销售总额|销售总额|主营业务收入|收入|"
    r"员工总数|职工总数|公司总人数|总人数|员工人数|职工人数|总资产|资产总额|采购总额|年度采购总额|净利润|利润总额)?"
    r"(?:的)?(?:比例|比重|比率)?(?:为|达到|达|是|约为|约)?"
)
EN_RELATION_AFTER = re.compile(
    r"^\s*of\s+(?:(?:fiscal\s+)?\d{4}\s+|total\s+|annual\s+|net\s+|our\s+|the\s+company's\s+)?"
    r"(?P<obj>revenues?|sales|the total|total (?:employees|staff|headcount)|(?:all )?employees|staff|headcount|"
    r"workforce|purchases)",
    re.IGNORECASE,
)
GROWTH = re.compile(
    r"增长|下降|增加|减少|提高|降低|提升|变动|同比|环比|增幅|降幅|复合|\bup\b|\bdown\b|grew|grow|rose|fell|increase|decrease|"
    r"growth|decline|higher|lower|CAGR",
    re.IGNORECASE,
)
FORECAST = re.compile(
    r"预计|预测|预期|目标|计划|规划|拟|将(?:达到|实现|超过)|力争|争取|展望|估计|"
    r"\bexpect|\bplan(?:s|ned)?\b|\btarget|\bforecast|\bproject(?:ed|ion)|\bbudget|\baim\b|\bestimated?\b|\bguidance\b|"
    r"\bwill\b|\bwould\b|\bgoal\b",
    re.IGNORECASE,
)
CUMULATIVE = re.compile(
    r"累计|合计(?:三|两)年|最近三年|报告期内(?:累计)?|since inception|cumulative|in total over", re.IGNORECASE
)

# Words allowed between a topic and its figure.
ZH_FILLER = re.compile(
    r"^(?:\s|为|是|达到|达|约为|约|共计|共|合计|有|的|了|：|:|（|\(|销售额|销售金额|销售|金额|余额|账面价值|账面余额|"
    r"总额|收入|数量|人数|总数|全年|实现|已|拥有|净额|仅|分别)*$"
)
EN_FILLER = re.compile(
    r"^(?:\s|,|:|was|were|is|are|of|totaled|totalled|totaling|amounted to|reached|came to|stood at|"
    r"for (?:the )?(?:fiscal )?(?:year )?(?:\d{4})?|in (?:fiscal )?\d{4}|the year|together|collectively|"
    r"attributable to (?:[\w.&-]+\s){0,5}?of|(?:as of|at) (?:[A-Z][a-z]+ \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]+ \d{4})|"
    r"accounted for|represented|made up|increased to|decreased to|rose to|fell to|grew to|"
    r"approximately|about|around|roughly|some|a|an)*$",
    re.IGNORECASE,
)
ZH_INHERIT = re.compile(
    r"^\s*(?:其中|而|较|与|比|同比)?\s*(?:(?:19|20)\d{2}\s*年(?:度|末|底)?|上年(?:度|末)?|去年)?\s*(?:的|为|是|约为|约|：|:)?"
    r"\s*(?:销售额|销售金额|金额)?(?:为|是|约|：)?\s*$"
)
EN_INHERIT = re.compile(
    r"^\s*(?:compared (?:with|to)|versus|vs\.?|from|and|or|while|against|"
    rf"(?:up|down) [\d.]+\s?(?:{PERCENT_SIGN}) from|an? (?:increase|decrease) of [\d.]+\s?(?:{PERCENT_SIGN}) from)?"
    r"\s*(?:a |an )?$",
    re.IGNORECASE,
)
CHAIN = re.compile(
    r"^\s*(?:in (?:fiscal )?\d{4}|for (?:fiscal )?\d{4}|at [A-Za-z0-9 ,]{4,25}?\d{4})?\s*"
    r"(?:,|;|and|、|和|及|以及|,\s*and|\(\s*\d{4}\s*[:：])\s*$",
    re.IGNORECASE,
)
PER_SHARE = re.compile(r"^\s*(?:per (?:basic |diluted )?(?:common )?share|/股|每股)", re.IGNORECASE)
OTHER_ENTITY = re.compile(
    r"子公司|参股公司|分公司|孙公司|联营企业|合营企业|subsidiar|joint venture|investee", re.IGNORECASE
)
# a capitalised name right before an English line item names a part of the company ("Data Center net revenue",
# "Sensor net sales"): a segment's or product's figure, never the company's; these words name the whole
WHOLE_COMPANY_WORDS = (
    r"Total|Net|Our|The|Its|Consolidated|Group|Annual|Fiscal|Full|Year|Company|Reported|GAAP"
)
PART_QUALIFIER = re.compile(rf"\b(?!(?:{WHOLE_COMPANY_WORDS})\b)[A-Z][\w&-]*\s+$")
