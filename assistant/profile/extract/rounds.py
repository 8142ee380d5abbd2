"""Financing rounds: "完成B轮融资2亿元，由某资本领投", "closed a $12 million Series A led by …" (completed
rounds only: plans, talks and targets are skipped), tables of rounds, and the post-money valuation
stated next to them."""

from __future__ import annotations

import re

from assistant.profile.extract.candidates import Fact
from assistant.profile.extract.items import money_figures, sentence_source
from assistant.profile.extract.periods import sentence_dates
from assistant.profile.extract.quick import quick
from assistant.profile.extract.text import Segment
from assistant.profile.schema import Round
from assistant.profile.sources import DocContext
from assistant.text.cjk import has_han
from assistant.text.dates import dates
from assistant.text.figures import plain
from assistant.text.tables import is_rule_row, row_cells

_ZH_ROUND = re.compile(
    r"(?P<round>Pre-A\+?轮|pre-A\+?轮|Pre-IPO轮|天使\+?轮|种子轮|[A-F]\+{0,2}\d?轮|战略融资|战略投资)"
)
_EN_ROUND = re.compile(
    r"(?P<round>(?:pre-)?seed|angel|Series [A-F](?:\+|-\d)?|bridge|growth)\s+"
    r"(?:funding\s+|financing\s+|equity\s+|investment\s+)?round",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"完成|获得|领投|投资总额|出资|融资金额|获投|获|宣布|\braised\b|\bclosed\b|\bcompleted\b|\bsecured\b|"
    r"\bannounced\b|\breceived\b",
    re.IGNORECASE,
)
_NOT_DONE = re.compile(
    r"计划|拟|正在|洽谈|推进|筹备|启动|本轮为|目标|预计|意向|raising|to raise|will raise|plans? to|"
    r"preparing|seeking|intends?|expects?|aims?|in talks",
    re.IGNORECASE,
)
_ZH_LEAD = (
    re.compile(r"由(?P<inv>[^，。；、\s]{2,24}?)(?:领投|独家投资|投资|出资)"),
    re.compile(r"(?P<inv>[^，。；、\s]{2,24}?)(?:领投|以(?:货币)?出资)"),
)
_EN_LEAD = re.compile(
    r"led by\s+(?P<inv>[A-Z][A-Za-z0-9&.'’\- ]+?)(?=\s*(?:[.,;]|$|\band\b|\bwith\b|\bin\b))"
)
_LEAD_PREFIX = re.compile(r"^(?:本轮融资|本轮|公司获得|获得|公司|由|发行人|老股东)+")
_VALUATION = quick(re.compile(r"投后估值(?:约为|约|为|达)?|post-money valuation of|valued at", re.IGNORECASE))
_MONTH_DAY = re.compile(r"(?<![年\d])(?P<m>\d{1,2})月(?:\s*(?P<d>\d{1,2})日)?")


def _event_date(text: str, pos: int, ctx: DocContext) -> str | None:
    found = [d for d in sentence_dates(text, has_han(text)) if d.start < pos + 40]
    before = [d for d in found if d.start <= pos]
    if before:
        return before[-1].iso
    if found:
        return found[0].iso
    if ctx.published:
        md = _MONTH_DAY.search(text[: pos + 1]) or _MONTH_DAY.search(text)
        if md and has_han(text):
            return f"{ctx.published[:4]}-{int(md.group('m')):02d}"
        return ctx.published[:7]
    return None


def _round_marks(sentence: str, zh: bool) -> list[re.Match[str]]:
    """Where a sentence names a round ("B轮", "战略融资", "Series A round"); a Chinese one is looked for only
    when the sentence holds 轮 or 战略 (a cheap first test: most sentences of a report hold neither)."""
    if not zh:
        return list(_EN_ROUND.finditer(sentence))
    if "轮" not in sentence and "战略" not in sentence:
        return []
    return list(_ZH_ROUND.finditer(sentence))


def round_items(seg: Segment, ctx: DocContext) -> tuple[list[Round], list[Fact]]:
    rounds: list[Round] = []
    facts: list[Fact] = []
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        zh = has_han(sentence)
        marks = _round_marks(sentence, zh)
        val = _VALUATION.search(sentence)
        if val:
            after = [m for m in money_figures(sentence) if m.start >= val.end() and m.start - val.end() <= 6]
            if after:
                facts.append(
                    Fact(
                        name="post_money_valuation",
                        value=plain(after[0].value),
                        currency=after[0].currency,
                        evidence=[sentence_source(seg, s0, s1)],
                    )
                )
        for k, mark in enumerate(marks):
            lo = marks[k - 1].end() if k else 0
            hi = marks[k + 1].start() if k + 1 < len(marks) else len(sentence)
            window = sentence[lo:hi]
            pos = mark.start() - lo
            before = window[:pos]
            if _NOT_DONE.search(before) or (zh and _NOT_DONE.search(window)):
                continue
            if not _DONE.search(window):
                continue
            if zh and not money_figures(window) and not re.search(r"(?:完成|获得)[^，。；]{0,8}$", before):
                continue  # "A轮融资完成后…" mentions a round, it does not report one
            money = [m for m in money_figures(window) if not (val and lo + m.start > val.start())]
            money = [m for m in money if not re.search(r"估值", window[max(0, m.start - 6) : m.start])]
            amount = min(money, key=lambda m: abs(m.start - pos)) if money else None
            lead: list[str] = []
            if zh:
                for rx in _ZH_LEAD:
                    lm = rx.search(window)
                    if lm:
                        name = _LEAD_PREFIX.sub("", lm.group("inv")).strip()
                        if len(name) >= 2 and not re.search(r"\d", name):
                            lead = [name]
                            break
            else:
                lm = _EN_LEAD.search(window)
                if lm:
                    lead = [lm.group("inv").strip()]
            name = mark.group("round")
            if not zh:
                name = (
                    name[:1].upper() + name[1:]
                    if not name.lower().startswith("series")
                    else "Series " + name.split()[-1]
                )
            rounds.append(
                Round(
                    round=name,
                    date=_event_date(sentence, mark.start(), ctx),
                    amount=plain(amount.value) if amount else None,
                    currency=amount.currency if amount else None,
                    raw_amount=amount.raw if amount else None,
                    lead_investors=lead,
                    evidence=[sentence_source(seg, s0, s1)],
                )
            )
    return rounds, facts


def round_rows(rows: list[Segment], ctx: DocContext) -> list[Round]:
    """A Markdown table of rounds: | 轮次 | 时间 | 金额 | 领投方 | or | Date | Round | Amount | Lead investor |."""
    if len(rows) < 3 or not is_rule_row(rows[1].text):
        return []
    header = [h.lower() for h in row_cells(rows[0].text)]

    def col(*names: str) -> int | None:
        return next((i for i, h in enumerate(header) if any(n in h for n in names)), None)

    c_round, c_date, c_amount = col("轮次", "round"), col("时间", "日期", "date"), col("金额", "amount")
    c_lead = col("领投", "lead", "投资方", "investor")
    if c_round is None or c_amount is None:
        return []
    out: list[Round] = []
    for row in rows[2:]:
        cells = row_cells(row.text)
        if len(cells) != len(header):
            continue
        money = money_figures(cells[c_amount])
        when = dates(cells[c_date]) if c_date is not None else []
        if _NOT_DONE.search(row.text):
            continue
        out.append(
            Round(
                round=cells[c_round],
                date=when[0].iso if when else None,
                amount=plain(money[0].value) if money else None,
                currency=money[0].currency if money else None,
                raw_amount=money[0].raw if money else None,
                lead_investors=[cells[c_lead]] if c_lead is not None and cells[c_lead] else [],
                evidence=[sentence_source(row, 0, len(row.text))],
            )
        )
    return out
