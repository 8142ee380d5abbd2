"""Which of a few line items is the largest or the smallest, decided from facts ("Of its operating, investing
and financing cash flows, which was largest in 2023?", "2023年销售、管理、研发费用中哪项最高？"): the items of one
family of the lexicon (``profile.lexicon.families``) that the question names by their short names, each item's
figure for the year, and the highest or the lowest of them stated first, every figure citing its row. None —
retrieval and the model — when the question names fewer than two items of a family, no superlative, more than
one year, or when a figure is missing or the figures are in different currencies."""

from __future__ import annotations

import re
from decimal import Decimal

from assistant.answer.computed import ComputedAnswer, figure_text
from assistant.answer.figure_parts import question_years
from assistant.answer.query import Query
from assistant.core.records import Fact
from assistant.facts.metrics import Computed, compute, item_metric
from assistant.profile.lexicon.families import FAMILIES, Family, Member

_WHICH = re.compile(r"\bwhich\b|\bwhat\b|哪", re.I)
_MOST = r"\bmost\b|\blargest\b|\bhighest\b|\bbiggest\b|\bgreatest\b|最多|最大|最高"
_LEAST = r"\bleast\b|\bsmallest\b|\blowest\b|\bfewest\b|最少|最小|最低"
_SUPERLATIVE = re.compile(f"(?P<most>{_MOST})|(?P<least>{_LEAST})", re.I)
# "lost the most", "used the least cash": a superlative of an outflow is the other end of the figures
_OUTFLOW = re.compile(r"(?:\blost|\bused|\bspent|\bburn\w*|\bconsumed|流出|亏损|消耗)\s*(?:the\s+)?$", re.I)


def _highest(question: str) -> bool | None:
    """True when the question asks for the highest figure, False for the lowest, None when it asks neither."""
    m = _SUPERLATIVE.search(question)
    if m is None:
        return None
    most = m.group("most") is not None
    return not most if _OUTFLOW.search(question[: m.start()]) else most


def asked_ranking(question: str) -> tuple[Family, list[Member], bool] | None:
    """The family, the items named (in the family's order) and whether the highest is asked; None when the
    question does not ask which of at least two items of one family is the highest or the lowest."""
    highest = _highest(question)
    if highest is None or not _WHICH.search(question) or len(question_years(question)) > 1:
        return None
    for family in FAMILIES:
        named = [m for m in family.members if re.search(m.asked, question, re.I)]
        if len(named) >= 2 and re.search(family.context, question, re.I):
            return family, named, highest
    return None


def ranking_answer(query: Query, facts: list[Fact]) -> ComputedAnswer | None:
    """The ranked figures of the items the question names, each citing its row (see the module's docstring)."""
    asked = asked_ranking(query.text)
    if asked is None or not facts:
        return None
    family, named, highest = asked
    years = question_years(query.text)
    done: list[tuple[Member, Computed]] = []
    for member in named:
        got = compute(item_metric(member.item, "money"), facts, years[0] if years else None)
        if not isinstance(got, Computed):
            return None
        done.append((member, got))
    if len({c.period for _, c in done}) > 1 or len({c.currency for _, c in done}) > 1:
        return None  # different years (none asked) or currencies: not comparable here
    ranked = sorted(done, key=lambda mc: Decimal(mc[1].value), reverse=highest)
    cited = list(dict.fromkeys(c.used[m.item].chunk_id for m, c in done))
    marks = {cid: n for n, cid in enumerate(cited, start=1)}
    zh = query.language == "zh"
    listed = [
        f"{m.zh if zh else m.en} {figure_text(c.used[m.item], query.language)} [{marks[c.used[m.item].chunk_id]}]"
        for m, c in ranked
    ]
    top, year, company = ranked[0][0], ranked[0][1].period, query.company or ""
    if zh:
        text = f"{company}{year}年{top.zh}{family.zh}{'最高' if highest else '最低'}：{'，'.join(listed)}。"
    else:
        end = "highest" if highest else "lowest"
        text = (
            f"{top.en.capitalize()} had the {end} {family.en} for {company} in {year}: {', '.join(listed)}."
        )
    return ComputedAnswer(text, cited, ranked[0][1])


__all__ = ["asked_ranking", "ranking_answer"]
