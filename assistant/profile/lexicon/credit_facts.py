"""Qualitative facts the credit signals need, as (name, pattern, denial pattern): IP and equity pledges,
related-party transactions, patents held by founders, unpaid tax, working-capital deficits, going-concern
doubts, changes of legal representative. A sentence states a fact when it matches the pattern and not
its denial. Read by :mod:`assistant.profile.extract.facts`."""

from __future__ import annotations

import re

FACTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    (
        "ip_pledge",
        re.compile(
            r"(?:专利|知识产权)[^。；]{0,20}质押(?:给|予)|已质押|pledged (?:as security|to)", re.IGNORECASE
        ),
        re.compile(r"未质押|不存在质押|has not pledged|no patents? (?:are|is) pledged", re.IGNORECASE),
    ),
    (
        "equity_pledge",
        re.compile(
            r"股权质押|股份质押|(?:所持|持有)[^。；]{0,10}股(?:权|份)(?!制)[^。；]{0,6}(?:已|被)?质押|"
            r"shares? (?:are|were) pledged",
            re.IGNORECASE,
        ),
        re.compile(
            r"不存在[^。；]{0,10}质押|无[^。；]{0,6}质押|no (?:shares|equity) (?:are|is) pledged",
            re.IGNORECASE,
        ),
    ),
    (
        "related_party_transaction",
        re.compile(
            r"向关联方[^。；]{0,40}(?:采购|销售|借款|拆借)|关联交易金额|"
            r"related[- ]party (?:purchases|sales|transactions?) of",
            re.IGNORECASE,
        ),
        re.compile(r"无其他|不存在|no related", re.IGNORECASE),
    ),
    (
        "founder_held_patents",
        re.compile(
            r"由(?:创始人|实际控制人|法定代表人|股东)个人持有|held by (?:the )?founders? personally",
            re.IGNORECASE,
        ),
        re.compile(r"不存在|均为公司|none are|not held", re.IGNORECASE),
    ),
    (
        "unpaid_tax",
        re.compile(r"欠税|欠缴税款|unpaid tax|tax arrears", re.IGNORECASE),
        re.compile(r"无欠税|不存在欠|no unpaid", re.IGNORECASE),
    ),
    (
        "working_capital_deficit",
        re.compile(r"流动负债超过流动资产|current liabilities exceed(?:ed)? current assets", re.IGNORECASE),
        None,
    ),
    (
        "going_concern_doubt",
        re.compile(
            r"持续经营能力存在重大不确定性|substantial doubt about (?:its|the company's) ability to continue",
            re.IGNORECASE,
        ),
        None,
    ),
    (
        "legal_rep_change",
        re.compile(
            r"法定代表人(?:由[^。；]{1,10})?变更为|changed (?:its|the) legal representative", re.IGNORECASE
        ),
        None,
    ),
)
