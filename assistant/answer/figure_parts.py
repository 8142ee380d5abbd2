"""What figures a question asks for, when it asks only for figures: the line items it names (by the facts'
lexicon of row labels), and of each the value in every year it names, its growth or change against the
year before, or its share of revenue ("晨曦微电子2023年营业收入是多少元？同比增长多少？", "What were Halvard's
general and administrative expenses in 2023 (in millions)?", "What percentage of total revenues did its G&A
expenses represent in 2022 and 2023?"). Each part is a metric of :mod:`assistant.facts.metrics`, so
:mod:`assistant.answer.computed` answers it from facts like any other.

``asked_parts`` returns None — the question goes to retrieval and the model — when a clause asks about
anything no part covers ("何时实现经营性现金流转正？") or asks something else of a line item than its figure
("研发投入的进展如何？", "What drove revenue?"), when no fiscal year is named, or when a quarter, a half year or
a month is asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from assistant.answer.glossary import fiscal_years
from assistant.answer.query import named_years
from assistant.facts.metrics import Metric, change_metric, growth_metric, item_metric, share_metric
from assistant.profile.extract.table_cells import normalise_label
from assistant.profile.lexicon.table_rows import ROW_FIELDS
from assistant.text.cjk import has_han

# a clause that only instructs ("Base your judgments on …", "保留两位小数") asks for nothing
_INSTRUCTION = re.compile(
    r"^\s*(?:base your|if |please|answer|round|give|state|explain|use |请|如果|若|保留|注[：:]|单位)|保留.{0,3}位小数",
    re.I,
)
_NOT_A_YEAR = re.compile(r"季度|quarter|\bQ[1-4]\b|半年|上半年|下半年|\bH[12]\b|\d{1,2}\s*月|month", re.I)
_GROWTH = re.compile(
    r"增长率|增幅|同比(?:增长|增减|变动|下降|减少)|增长(?:了)?多少|growth|grow|percent(?:age)? change|% change",
    re.I,
)
_CHANGE = re.compile(r"\bchange in\b|\bchanged?\b|变化|变动|增加了多少|减少了多少|差额", re.I)
_SHARE = re.compile(
    r"(?:percentage|percent|share|proportion|%) of (?:total |net )?(?:revenues?|sales)|as a % of (?:total )?revenues?|"
    r"占(?:营业)?(?:总)?收入(?:的)?(?:比例|比重|百分比)|占营业收入|占营收",
    re.I,
)
# a clause naming a line item but asking something else of it than its figure: the passages answer it
_NOT_A_FIGURE = re.compile(
    r"如何|怎么|怎样|为什么|为何|何时|哪|谁|原因|驱动|进展|趋势|说明|解释|描述|"
    r"\b(?:why|which|who|when|where|describe|explain|drove|drive|driven|caused?|reasons?|trend|compare)\b",
    re.I,
)
_ASKS = re.compile(
    r"多少|什么|哪|几|吗|是否|何时|何|谁|怎|如何|为什么|"
    r"\b(?:how|what|which|when|who|whom|why|did|does|do|is|are|was|were|has|have)\b",
    re.I,
)


# counts a question may mean as granted in the year or held at its end: left to the passages
_NOT_ASKED = frozenset(
    {"patents_total", "invention_patents", "utility_model_patents", "design_patents", "software_copyrights"}
)


@dataclass(frozen=True)
class Part:
    """One figure asked: a metric (an item's value is the metric whose formula is the item) for some years,
    and the words that named its item (a fact of that very label is preferred: 研发投入合计 over 研发费用)."""

    metric: Metric
    years: tuple[str, ...]
    named: str | None = None


@cache
def _labels() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """(pattern, item, kind) for every row label of the lexicon, longest first; English ones on word bounds."""
    found: list[tuple[str, str, str]] = []
    for label, rf in ROW_FIELDS.items():
        key = _squash(label)
        if len(key) < (2 if has_han(key) else 5) or rf.field in _NOT_ASKED:
            continue  # "cash", "利润": too short to say which line a question means
        found.append((key, rf.field, rf.kind))
    found.sort(key=lambda t: -len(t[0]))
    out = []
    for key, field, kind in found:
        text = re.escape(key)
        out.append((re.compile(text if has_han(key) else rf"\b{text}\b", re.I), field, kind))
    return tuple(out)


def _squash(clause: str) -> str:
    """A question's words as the lexicon keys are written: lower case; no spaces or 的 between Han characters."""
    text = clause.lower()
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", text)
    return re.sub(r"(?<=[\u4e00-\u9fff])的(?=[\u4e00-\u9fff])", "", text)


def _items(clause: str) -> list[tuple[str, str, str]]:
    """(item, kind, words) of each line item a clause names, longest label first, never overlapping."""
    text = _squash(clause)
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, str, str, str]] = []
    for rx, field, kind in _labels():
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append((m.start(), field, kind, m.group(0)))
    out.sort()
    return [(field, kind, words) for _, field, kind, words in out]


def asked_items(question: str) -> list[str]:
    """The line items a question names anywhere ("2018年末在职员工总数是多少？" → employees), each once, in order."""
    return list(
        dict.fromkeys(item for clause in re.split(r"[？?。；;\n]", question) for item, _, _ in _items(clause))
    )


def question_years(question: str) -> list[str]:
    """The fiscal years a question names, oldest first ("2023", "FY22", not a file name's year)."""
    return sorted(set(named_years(question)) | set(fiscal_years(question)))


def asked_parts(question: str) -> list[Part] | None:
    """The figures a question asks for (see the module's docstring), or None."""
    years = question_years(question)
    if not years or _NOT_A_YEAR.search(question):
        return None
    parts: list[Part] = []
    last: tuple[str, str, str] | None = None
    for clause in re.split(r"[？?。；;\n]", question):
        if not clause.strip() or _INSTRUCTION.search(clause):
            continue
        share = _SHARE.search(clause)
        items = _items(clause[: share.start()] + " " + clause[share.end() :] if share else clause)
        if not items:
            if last is None or not (
                _GROWTH.search(clause) or _SHARE.search(clause) or _CHANGE.search(clause)
            ):
                if _ASKS.search(clause):
                    return None  # it asks about something that is no line item
                continue
            items = [last]  # "同比增长多少？" after "营业收入是多少元？": the item before
            named_here = False
        else:
            if _NOT_A_FIGURE.search(clause):
                return None  # "研发投入的进展如何？", "What drove revenue?"
            named_here = True
            if any(kind == "percent" for _, kind, _ in items):  # "what share of its revenue came from …":
                items = [i for i in items if i[1] == "percent"]  # the money named is the share's base
        for item, kind, words in items:
            parts.append(_part(clause, item, kind, words if named_here else None, years))
        last = items[-1]
    return parts or None


def _part(clause: str, item: str, kind: str, words: str | None, years: list[str]) -> Part:
    if _SHARE.search(clause) and kind == "money" and item != "revenue":
        return Part(share_metric(item), tuple(years), words)
    if _GROWTH.search(clause):
        return Part(growth_metric(item, kind), (years[-1],), words)
    if _CHANGE.search(clause) and len(years) >= 2:
        return Part(change_metric(item, kind), (years[-1],), words)
    return Part(item_metric(item, kind), tuple(years), words)


def label_key(label: str) -> str:
    """A fact's label as :func:`asked_parts` compares it with a question's words."""
    return _squash(normalise_label(label)[0])


__all__ = ["Part", "asked_items", "asked_parts", "question_years", "label_key"]
