"""Follow-up questions: a chat session's history, and elliptical questions rewritten to stand alone.

"What about 2022?" after "What was Brightfold's revenue in 2023?" is asked as "What was Brightfold's
revenue in 2022?" before retrieval; "那净利润呢？" after a question about 栖云智算's 2023 revenue becomes
"栖云智算2023年的净利润是多少？"; "Who is its CEO?" becomes "Who is Brightfold's CEO?". The rewrite is made
by rules (deterministic, instant, testable) rather than by the small CPU model, which would add seconds
and could change the question's meaning. A question that names no company keeps the session's company.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from assistant.text.cjk import HAN

MAX_TURNS = 20
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\s*年)?(?!\d)")
_EN_FOLLOW = re.compile(
    r"^(?:and|but|ok|okay|so)?[\s,]*(?:what|how)\s+about\s+(?P<x>.+?)\s*[?？.]*$"
    r"|^(?:and|same\s+for|ditto\s+for)\s+(?P<y>.+?)\s*[?？.]*$",
    re.I,
)
_ZH_FOLLOW = re.compile(
    r"^(?:那么|那|还有|再看看?)?\s*(?P<x>.+?)(?:呢|怎么样|如何)\s*[？?。]*$|^(?:那么|那)\s*(?P<y>.+?)\s*[？?。]*$"
)
_EN_PRONOUN = re.compile(r"\b(?:its|their|the company's)\b|\b(?:it|they|the company|this company)\b", re.I)
_ZH_PRONOUN = re.compile(r"该公司|这家公司|该企业|这家企业|它的|它|其")
_METRIC = re.compile(
    r"收入|利润|费用|投入|人数|人员|比例|占比|率|金额|资产|负债|数量|专利|员工|现金|融资额|估值|市值"
)


class Turn(BaseModel):
    """One exchange of a chat session."""

    question: str = Field(description="The question as it was answered (rewritten when it was a follow-up).")
    company: str | None = Field(None, description="The company it was about.")
    answer: str = ""


class Session(BaseModel):
    """A chat session's history (most recent last, at most MAX_TURNS)."""

    turns: list[Turn] = Field(default_factory=list)

    def add(self, question: str, company: str | None, answer: str) -> None:
        self.turns.append(Turn(question=question, company=company, answer=answer))
        del self.turns[:-MAX_TURNS]

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


def _years(text: str) -> list[str]:
    return [m.group(1) for m in _YEAR.finditer(text)]


_BEFORE = re.compile(
    r"(?:the\s+)?(?:year|fiscal year)\s+before|(?:the\s+)?(?:previous|prior)\s+year|上一年|前一年|上年|去年"
)
_AFTER = re.compile(
    r"(?:the\s+)?(?:year|fiscal year)\s+after|(?:the\s+)?(?:next|following)\s+year|下一年|后一年|次年"
)


def _relative_years(text: str, before: list[str]) -> str:
    """ "the year before" / "上一年" → the year before the previous question's (when it named one)."""
    if not before:
        return text
    year = int(before[0])
    text = _BEFORE.sub(str(year - 1), text)
    return _AFTER.sub(str(year + 1), text)


def _is_zh(text: str) -> bool:
    return bool(re.search(r"[" + HAN + r"]", text))


def _with_years(question: str, years: list[str], zh: bool) -> str:
    """The question with its years replaced by ``years`` (or ``years`` added when it had none)."""
    old = _years(question)
    if old:
        it = iter(years + [years[-1]] * len(old))
        return _YEAR.sub(lambda m: next(it) + ("年" if "年" in m.group(0) else ""), question)
    core = question.rstrip("？?。. ")
    return f"{core}（{'、'.join(y + '年' for y in years)}）？" if zh else f"{core} in {' and '.join(years)}?"


def rewrite(question: str, last: Turn | None, company: str | None, named: bool = False) -> str | None:
    """A standalone form of a follow-up ``question`` given the previous turn, or None when the question
    already stands alone. ``company`` is the company the follow-up is about; ``named``: the follow-up
    itself names it."""
    if last is None:
        return None
    q = question.strip()
    zh = _is_zh(q)
    match = (_ZH_FOLLOW if zh else _EN_FOLLOW).match(q)
    if match:
        x = (match.group("x") or match.group("y") or "").strip(" ，,")
        x = _relative_years(x, _years(last.question))
        years = _years(x)
        rest = re.sub(
            r"^(?:in|for|of)(?:\s+|$)|\s+(?:in|for|of)$|^的|的$", "", _YEAR.sub("", x).strip(" ，,")
        ).strip()
        if years and not rest:  # "what about 2022?" / "那2022年呢？"
            return _with_years(last.question, years, zh)
        if named and company and last.company and company != last.company:  # "what about Tessavolt?"
            return _swap_company(last.question, last.company, company, zh)
        subject = company or last.company
        when = years or _years(last.question)
        if not subject or not rest:
            return None
        if zh:
            period = "、".join(y + "年" for y in when)
            ask = "是多少" if _METRIC.search(rest) else "是什么"
            return f"{subject}{period}的{rest}{ask}？"
        period = f" in {' and '.join(when)}" if when else ""
        return f"What is {subject}'s {rest}{period}?"
    subject = company or last.company
    if subject:
        pronoun = _ZH_PRONOUN if zh else _EN_PRONOUN
        if pronoun.search(q):

            def name(m: re.Match[str]) -> str:
                word = m.group(0)
                if zh:
                    return subject + ("的" if word.endswith("的") else "")
                return f"{subject}'s" if word.lower() in ("its", "their", "the company's") else subject

            return pronoun.sub(name, q, count=1)
    return None


def _swap_company(question: str, old: str, new: str, zh: bool) -> str:
    if old in question:
        return question.replace(old, new)
    return f"{new}：{question}" if zh else f"{question} ({new})"
