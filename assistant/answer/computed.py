"""Answers computed in code: a question about a credit metric ("Does Corning have positive working capital?",
"2023年毛利率是多少？保留两位小数", "Is its quick ratio healthy?") is answered from the company's facts — the
formula with the value of each input, each input citing the passage of its row, and for a yes/no question the
comparison that decides it. The model is not asked and does no arithmetic.

Falls back (returns None) to retrieval and the model when the question asks why a figure moved, asks a yes/no
question this module cannot decide (no positive/negative, healthy, above/below or improving/declining in it),
or when the facts lack an input of the metric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from assistant.answer.figure_checks import asks_why
from assistant.answer.glossary import fiscal_years
from assistant.answer.query import Query
from assistant.core.records import Fact
from assistant.facts.metrics import Computed, Metric, asked_metric, compute

_YES_NO = re.compile(
    r"^\s*(?:does|do|did|is|are|was|were|has|have|had|can|will)\b|是否|有没有|是不是|能否|吗\s*[？?]?\s*$",
    re.I,
)
_ABOVE = re.compile(
    r"(?:above|over|more than|greater than|higher than|exceeds?|at least|超过|高于|大于|不低于)\s*(\d+(?:\.\d+)?)"
)
_BELOW = re.compile(r"(?:below|under|less than|lower than|at most|低于|小于|不足|不超过)\s*(\d+(?:\.\d+)?)")
_POSITIVE = re.compile(r"positive|为正|正的|大于零|盈利", re.I)
_NEGATIVE = re.compile(r"negative|为负|负的|小于零|亏损", re.I)
_HEALTHY = re.compile(
    r"health|adequate|sufficient|strong|solid|good|reasonabl|健康|充足|充裕|良好|稳健|安全", re.I
)
_UP = re.compile(r"improv|increas|rising|grow|提升|改善|上升|提高|增长|变好", re.I)
_DOWN = re.compile(r"declin|decreas|deteriorat|worsen|falling|下降|恶化|减少|下滑|变差", re.I)
_DIGITS = re.compile(r"保留\s*(\d|一|两|二|三|四)\s*位小数|(\d|one|two|three|four)\s+decimal", re.I)
_WORDS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "one": 1, "two": 2, "three": 3, "four": 4}
_SCALES = [
    (Decimal(10) ** 8, "亿", "hundred million"),
    (Decimal(10) ** 6, "百万", "million"),
    (Decimal(10) ** 4, "万", "ten thousand"),
    (Decimal(10) ** 3, "千", "thousand"),
    (Decimal(1), "", ""),
]


@dataclass
class ComputedAnswer:
    """The text of a computed answer and the passages it cites, in the order of their markers."""

    text: str
    cited: list[str]  # chunk ids, [n] = cited[n - 1]
    computed: Computed


def _digits_asked(question: str) -> int:
    m = _DIGITS.search(question)
    if not m:
        return 2
    word = (m.group(1) or m.group(2)).lower()
    return int(word) if word.isdigit() else _WORDS[word]


def _scale(fact: Fact) -> Decimal:
    """The power of ten the table printed the fact's value in (7,453 for 7,453,000,000 → a million)."""
    printed = re.sub(r"[^\d.]", "", fact.raw)
    try:
        ratio = abs(Decimal(fact.value)) / Decimal(printed) if printed and Decimal(printed) else Decimal(1)
    except ArithmeticError:
        return Decimal(1)
    return next((s for s, _, _ in _SCALES if ratio >= s * Decimal("0.999")), Decimal(1))


def _money(value: Decimal, scale: Decimal, currency: str | None, lang: str, places: int = 0) -> str:
    zh_word, en_word = next((z, e) for s, z, e in _SCALES if s == scale)
    shown = value / scale
    text = f"{abs(shown):,.{places}f}"
    sign = "-" if shown < 0 else ""
    if currency == "USD":
        return (
            f"{sign}{text}{zh_word}美元"
            if lang == "zh"
            else f"{sign}${text}{' ' + en_word if en_word else ''}"
        )
    unit = f"{zh_word}元" if currency in ("CNY", None) else f"{zh_word}{currency}"
    return f"{sign}{text}{unit}"


def _places(raw: str) -> int:
    return len(raw.split(".")[1]) if "." in raw and re.search(r"\.\d", raw) else 0


def _figure(fact: Fact, lang: str, absolute: bool = False) -> str:
    value = abs(Decimal(fact.value)) if absolute else Decimal(fact.value)
    if fact.unit == "%":
        printed = re.sub(r"[^\d.]", "", fact.raw)
        return f"{printed if printed and Decimal(printed) == abs(value) else value}%"
    if fact.unit is None:
        return f"{value:,}"
    return _money(value, _scale(fact), fact.unit, lang, _places(fact.raw))


def _result(c: Computed, lang: str, places: int) -> str:
    if c.metric.stated and c.metric.stated in c.used:  # as the report prints it
        return _figure(c.used[c.metric.stated], lang)
    q = Decimal(1).scaleb(-places)
    if c.metric.kind == "percent":
        return f"{c.value.quantize(q, ROUND_HALF_UP)}%"
    if c.metric.kind == "ratio":
        return f"{c.value.quantize(q, ROUND_HALF_UP)}"
    first = next(iter(c.used.values()))
    return _money(c.value, _scale(first), c.currency, lang, _places(first.raw))


def _formula(c: Computed, lang: str, marks: dict[str, int]) -> str:
    """The formula with each input's label, value and citation ("Total current assets $7,453 million [1] −
    …"); a metric the report states is its row."""
    if c.metric.stated and c.metric.stated in c.used:
        fact = c.used[c.metric.stated]
        return f"{fact.label} {_figure(fact, lang)} [{marks[fact.chunk_id]}]"
    absolute = set(re.findall(r"abs\((\w+)\)", c.metric.formula))
    text = re.sub(r"abs\((\w+)\)", r"\1", c.metric.formula)

    def name(m: re.Match[str]) -> str:
        key = m.group(0)
        fact = c.used[key]
        year = f" ({fact.period})" if key.startswith("prev_") else ""
        return f"{fact.label}{year} {_figure(fact, lang, key in absolute)} [{marks[fact.chunk_id]}]"

    text = re.sub(r"\b(?:prev_)?[a-z_]+\b", lambda m: name(m) if m.group(0) in c.used else m.group(0), text)
    return text.replace(" - ", " − ").replace(" * ", " × ").replace(" / ", " ÷ ")


def _verdict(question: str, c: Computed, facts: list[Fact]) -> bool | None:
    """True/False for a yes/no question the comparison decides; None when it is not one."""
    if not _YES_NO.search(question):
        return None
    if m := _ABOVE.search(question):
        return c.value > Decimal(m.group(1))
    if m := _BELOW.search(question):
        return c.value < Decimal(m.group(1))
    if _NEGATIVE.search(question):
        return c.value < 0
    if _POSITIVE.search(question):
        return c.value > 0
    if _UP.search(question) or _DOWN.search(question):
        before = compute(c.metric, facts, str(int(c.period) - 1))
        if not isinstance(before, Computed):
            return None
        return c.value > before.value if _UP.search(question) else c.value < before.value
    if _HEALTHY.search(question):
        return c.value >= c.metric.healthy if c.metric.healthy is not None else c.value > 0
    return None


def metric_answer(query: Query, facts: list[Fact]) -> ComputedAnswer | None:
    """The computed answer to a metric question (see the module's docstring), or None."""
    metric: Metric | None = asked_metric(query.text)
    if metric is None or not facts or asks_why(query.text):
        return None
    years = sorted(set(query.years) | set(fiscal_years(query.text)))
    got = compute(metric, facts, years[-1] if years else None)
    if not isinstance(got, Computed):
        return None
    verdict = _verdict(query.text, got, facts)
    if verdict is None and _YES_NO.search(query.text):
        return None
    cited = list(dict.fromkeys(f.chunk_id for f in got.used.values()))
    marks = {cid: n for n, cid in enumerate(cited, start=1)}
    lang = query.language
    result = _result(got, lang, _digits_asked(query.text))
    formula = _formula(got, lang, marks)
    company = query.company or ""
    stated = metric.stated in got.used
    if lang == "zh":
        lead = "" if verdict is None else ("是。" if verdict else "否。")
        how = f"（报告所列：{formula}）" if stated else f"，即{formula}"
        text = f"{lead}{company}{got.period}年的{metric.zh}为{result}{how}。"
    else:
        lead = "" if verdict is None else ("Yes. " if verdict else "No. ")
        how = f", as the report states it: {formula}" if stated else f" = {formula}"
        text = f"{lead}{company}'s {metric.en} for FY{got.period} is {result}{how}."
    return ComputedAnswer(text, cited, got)


__all__ = ["ComputedAnswer", "metric_answer"]
