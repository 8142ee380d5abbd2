"""Line items a question may set against each other by a short name ("Of its operating, investing and
financing cash flows, which was largest?", "销售、管理、研发三项费用中哪项最高？"): each family is
the words that say which family is meant, and per item the short names a question gives it and the name an
answer calls it by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """An item of a family: its short names in a question (a regex) and its name in an answer."""

    item: str
    asked: str
    zh: str
    en: str


@dataclass(frozen=True)
class Family:
    """Items of one statement block that are compared with each other, and the words that name the block."""

    context: str  # a regex
    members: tuple[Member, ...]
    zh: str  # what is compared, in an answer: 现金流量净额
    en: str


FAMILIES: tuple[Family, ...] = (
    Family(
        r"cash\s*flows?|\bcash\b|现金流|现金",
        (
            Member("operating_cash_flow", r"\boperat\w*|经营", "经营活动", "operating activities"),
            Member("investing_cash_flow", r"\binvest\w*|投资", "投资活动", "investing activities"),
            Member("financing_cash_flow", r"\bfinanc\w*|筹资|融资", "筹资活动", "financing activities"),
        ),
        "现金流量净额",
        "net cash flow",
    ),
    Family(
        r"expenses?|costs?|费用",
        (
            Member(
                "selling_expense", r"\bselling\b|sales and marketing|销售", "销售费用", "selling expenses"
            ),
            Member(
                "admin_expense",
                r"\badministrative\b|\bG&A\b|管理",
                "管理费用",
                "general and administrative expenses",
            ),
            Member("rd_expense", r"research and development|\bR&D\b|研发", "研发费用", "R&D expenses"),
            Member(
                "finance_expense",
                r"\bfinance costs?\b|financial expenses?|财务",
                "财务费用",
                "finance expenses",
            ),
        ),
        "金额",
        "amount",
    ),
)
