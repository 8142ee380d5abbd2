"""Answers computed in code: a question about a credit metric ("Does Zentrix have positive working capital?",
"2023年毛利率是多少？保留两位小数", "Is its quick ratio healthy?") is answered from the company's facts — the
formula with the value of each input, each input citing the passage of its row, and for a yes/no question the
comparison that decides it. The model is not asked and does no arithmetic.

A metric a report does not print as a line of its own (quick ratio, working capital, growth …) whose facts
give some inputs for the year but not all is refused, naming the inputs that are missing and citing the ones
that are there: the model would only guess or do the arithmetic.

Falls back (returns None) to retrieval and the model when the question asks why a figure moved, asks a yes/no
question this module cannot decide (no positive/negative, healthy, above/below or improving/declining in it),
when the facts give no input of the metric at all, or when the metric is one a report may state in prose
(gross margin, 资产负债率, R&D intensity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from assistant.answer.figure_checks import asks_why
from assistant.answer.figure_parts import Part, asked_parts, label_key, question_years
from assistant.answer.query import NEGATIVE, POLAR, POSITIVE, Query, asks_which_sign, asks_yes_no
from assistant.answer.refusals import input_missing_text
from assistant.core.records import Fact
from assistant.facts.metrics import Computed, Metric, Missing, asked_metric, compute, inputs
from assistant.facts.read import row_item
from assistant.profile.lexicon.table_rows import item_name

_ABOVE = re.compile(
    r"(?:above|over|more than|greater than|higher than|exceeds?|at least|超过|高于|大于|不低于)\s*(\d+(?:\.\d+)?)"
)
_BELOW = re.compile(r"(?:below|under|less than|lower than|at most|低于|小于|不足|不超过)\s*(\d+(?:\.\d+)?)")
_HEALTHY = re.compile(
    r"health|adequate|sufficient|strong|solid|good|reasonabl|健康|充足|充裕|良好|稳健|安全", re.I
)
_UP = re.compile(r"improv|increas|rising|grow|提升|改善|上升|提高|增长|变好", re.I)
_DOWN = re.compile(r"declin|decreas|deteriorat|worsen|falling|下降|恶化|减少|下滑|变差", re.I)
_DIGITS = re.compile(r"保留\s*(\d|一|两|二|三|四)\s*位小数|(\d|one|two|three|four)\s+decimal", re.I)
_WORDS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "one": 1, "two": 2, "three": 3, "four": 4}
_SCALES = [
    (Decimal(10) ** 9, "十亿", "billion"),
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
    m = re.search(r"\d\.(\d+)", raw)
    return len(m.group(1)) if m else 0


def _signed_label(label: str) -> bool:
    """Whether a row's label says the sign itself ("Net loss", "净亏损", "Net cash used in …": the lexicon's)."""
    rf = row_item(label)
    return rf is not None and rf.sign < 0


def line_label(fact: Fact, lang: str) -> str:
    """What a fact's line is called in an answer: its row's label (without a unit in brackets); a figure read
    from a sentence has no label of its own, so the item's name."""
    if fact.kind != "table":
        return item_name(fact.item or "", lang)
    return re.sub(r"\s*[（(][^）)]*[）)]\s*", "", fact.label).strip() or fact.label


def figure_text(fact: Fact, lang: str, absolute: bool = False) -> str:
    value = abs(Decimal(fact.value)) if absolute else Decimal(fact.value)
    if fact.unit == "%":
        printed = re.sub(r"[^\d.]", "", fact.raw)
        return f"{printed if printed and Decimal(printed) == abs(value) else value}%"
    if fact.unit is None:
        return f"{value:,}"
    return _money(value, _scale(fact), fact.unit, lang, _places(fact.raw))


def _result(c: Computed, lang: str, places: int) -> str:
    if c.metric.stated and c.metric.stated in c.used:  # as the report prints it
        return figure_text(c.used[c.metric.stated], lang)
    q = Decimal(1).scaleb(-places)
    if c.metric.kind == "percent":
        return f"{c.value.quantize(q, ROUND_HALF_UP)}%"
    if c.metric.kind == "ratio":
        return f"{c.value.quantize(q, ROUND_HALF_UP)}"
    if c.metric.kind == "points":  # the change of a percentage
        shown = c.value.quantize(q, ROUND_HALF_UP)
        return f"{shown:+}个百分点" if lang == "zh" else f"{shown:+} percentage points"
    if c.metric.kind == "count":
        return f"{c.value:,}"
    first = next(iter(c.used.values()))
    return _money(c.value, _scale(first), c.currency, lang, _places(first.raw))


_ASKED_SCALE = re.compile(
    r"in (?:usd |us\$ ?|\$ ?|rmb |cny )?(thousand|million|billion)s?\b|"
    r"\((?:in )?(?:usd |\$)?(thousand|million|billion)s?\)|"
    r"(?:多少|单位[：:为]?\s*|以)(亿元|百万元|万元|千元|元)",
    re.I,
)
_SCALE_WORDS = {
    "thousand": Decimal(10) ** 3, "million": Decimal(10) ** 6, "billion": Decimal(10) ** 9,
    "元": Decimal(1), "千元": Decimal(10) ** 3, "万元": Decimal(10) ** 4, "百万元": Decimal(10) ** 6,
    "亿元": Decimal(10) ** 8,
}  # fmt: skip


def asked_scale(question: str) -> Decimal | None:
    """The unit a question asks money in ("(in thousands)", "in USD millions", "是多少元" …), as a power of ten."""
    m = _ASKED_SCALE.search(question)
    return _SCALE_WORDS[next(g for g in m.groups() if g).lower()] if m else None


_HEADCOUNTS = frozenset({"employees", "rd_staff"})


def _item_sentence(c: Computed, lang: str, company: str, marks: dict[str, int], asked: Decimal | None) -> str:
    """A line item's figure for a year, in the unit the question asks for, at the precision the report prints."""
    fact = c.used[c.metric.formula]
    label = line_label(fact, lang)
    loss = (
        fact.kind == "table" and _signed_label(fact.label) and Decimal(fact.value) < 0
    )  # "Net loss … $5.2 million", not "-$5.2"
    figure = figure_text(fact, lang, absolute=loss)
    if asked is not None and fact.unit not in (None, "%") and c.metric.kind == "money":
        finest = _scale(fact) * Decimal(1).scaleb(-_places(fact.raw))  # the smallest unit the report prints
        places = max(0, -int((finest / asked).adjusted())) if finest < asked else 0
        figure = _money(
            abs(Decimal(fact.value)) if loss else Decimal(fact.value), asked, fact.unit, lang, places
        )
    mark = marks[fact.chunk_id]
    if lang == "zh":
        figure += "人" if fact.item in _HEADCOUNTS else ""
        return f"{company}{c.period}年的{label}为{figure} [{mark}]。"
    return f"{company}'s {label} for FY{c.period} was {figure} [{mark}]."


def _formula(c: Computed, lang: str, marks: dict[str, int]) -> str:
    """The formula with each input's label, value and citation ("Total current assets $7,453 million [1] −
    …"); a metric the report states is its row."""
    if c.metric.stated and c.metric.stated in c.used:
        fact = c.used[c.metric.stated]
        return f"{line_label(fact, lang)} {figure_text(fact, lang)} [{marks[fact.chunk_id]}]"
    absolute = set(re.findall(r"abs\((\w+)\)", c.metric.formula))
    text = re.sub(r"abs\((\w+)\)", r"\1", c.metric.formula)

    def name(m: re.Match[str]) -> str:
        key = m.group(0)
        fact = c.used[key]
        year = f" ({fact.period})" if key.startswith("prev_") else ""
        return f"{line_label(fact, lang)}{year} {figure_text(fact, lang, key in absolute)} [{marks[fact.chunk_id]}]"

    text = re.sub(
        r"\b(?:prev_)?[a-z_][a-z0-9_]*\b", lambda m: name(m) if m.group(0) in c.used else m.group(0), text
    )
    return text.replace(" - ", " − ").replace(" * ", " × ").replace(" / ", " ÷ ")


def _verdict(question: str, c: Computed, facts: list[Fact]) -> bool | None:
    """True/False for a yes/no question the comparison decides; None when it is not one."""
    if not asks_yes_no(question):
        return None
    if m := _ABOVE.search(question):
        return c.value > Decimal(m.group(1))
    if m := _BELOW.search(question):
        return c.value < Decimal(m.group(1))
    if NEGATIVE.search(question):
        return c.value < 0
    if POSITIVE.search(question):
        return c.value > 0
    if _UP.search(question) or _DOWN.search(question):
        before = compute(c.metric, facts, str(int(c.period) - 1))
        if not isinstance(before, Computed):
            return None
        return c.value > before.value if _UP.search(question) else c.value < before.value
    if _HEALTHY.search(question):
        return c.value >= c.metric.healthy if c.metric.healthy is not None else c.value > 0
    return None


@dataclass
class MissingInputs:
    """A refusal: the metric cannot be computed for the year, naming what is missing and citing what is not."""

    text: str
    cited: list[str]
    missing: Missing


def _input_name(name: str, year: str, lang: str) -> str:
    item, when = (name[5:], str(int(year) - 1)) if name.startswith("prev_") else (name, year)
    return f"{when}年{item_name(item, lang)}" if lang == "zh" else f"{item_name(item, lang)} for FY{when}"


def _missing_answer(query: Query, got: Missing) -> MissingInputs:
    year, lang = got.period or "", query.language
    cited = list(dict.fromkeys(f.chunk_id for f in got.found.values()))
    marks = {cid: n for n, cid in enumerate(cited, start=1)}
    text = input_missing_text(
        lang,
        query.company,
        got.metric.zh if lang == "zh" else got.metric.en,
        year,
        [_input_name(n, year, lang) for n in inputs(got.metric.formula)],
        [_input_name(n, year, lang) for n in got.missing],
        [
            f"{_input_name(n, year, lang)} {figure_text(f, lang)} [{marks[f.chunk_id]}]"
            for n, f in got.found.items()
        ],
    )
    return MissingInputs(text, cited, got)


def _sentence(
    c: Computed, lang: str, company: str, marks: dict[str, int], places: int, verdict: bool | None
) -> str:
    """One computed figure as a sentence: the result, then the formula with its cited inputs."""
    result = _result(c, lang, places)
    formula = _formula(c, lang, marks)
    stated = c.metric.stated in c.used
    if lang == "zh":
        lead = "" if verdict is None else ("是。" if verdict else "否。")
        how = f"（报告所列：{formula}）" if stated else f"，即{formula}"
        return f"{lead}{company}{c.period}年的{c.metric.zh}为{result}{how}。"
    lead = "" if verdict is None else ("Yes. " if verdict else "No. ")
    how = f", as the report states it: {formula}" if stated else f" = {formula}"
    return f"{lead}{company}'s {c.metric.en} for FY{c.period} is {result}{how}."


def _answer(query: Query, done: list[Computed], verdict: bool | None = None) -> ComputedAnswer:
    cited = list(dict.fromkeys(f.chunk_id for c in done for f in c.used.values()))
    marks = {cid: n for n, cid in enumerate(cited, start=1)}
    lang, company, places = query.language, query.company or "", _digits_asked(query.text)
    asked = asked_scale(query.text)
    sentences = [
        _item_sentence(c, lang, company, marks, asked)
        if c.metric.formula in c.used
        else _sentence(c, lang, company, marks, places, verdict)
        for c in done
    ]
    if verdict is not None and done[0].metric.formula in done[0].used:  # an item's sentence has no lead
        sentences[0] = (
            ("是。" if verdict else "否。") + sentences[0]
            if lang == "zh"
            else (("Yes. " if verdict else "No. ") + sentences[0])
        )
    return ComputedAnswer(("" if lang == "zh" else " ").join(sentences), cited, done[0])


def metric_answer(query: Query, facts: list[Fact]) -> ComputedAnswer | MissingInputs | None:
    """The computed answer to a metric question, the refusal naming a missing input, or None (see the module's
    docstring); a question that asks only for line items' figures is answered by :func:`figures_answer`."""
    metric: Metric | None = asked_metric(query.text)
    if not facts or asks_why(query.text):
        return None
    if metric is None:
        return figures_answer(query, facts)
    years = question_years(query.text)
    got = compute(metric, facts, years[-1] if years else None)
    if isinstance(got, Missing):
        if got.found and got.period and metric.stated is None:
            return _missing_answer(query, got)
        return None
    verdict = _verdict(query.text, got, facts)
    if verdict is None and query.yes_no:
        return None
    return _answer(query, [got], verdict)


def _preferred(facts: list[Fact], part: Part) -> list[Fact]:
    """The facts a part reads: of its item, those whose label is the question's words when there are any
    (研发投入合计 asked: not 研发费用)."""
    if part.named is None:
        return facts
    item = part.metric.formula if part.metric.formula.isidentifier() else None
    same = [f for f in facts if f.item == item and label_key(f.label) == part.named]
    return [f for f in facts if f.item != item] + same if same else facts


def figures_answer(query: Query, facts: list[Fact]) -> ComputedAnswer | None:
    """Every figure a question asks for (``answer.figure_parts``) computed from facts, or None when one of them
    cannot be (the question then goes to the passages and the model). A yes/no question about one figure of
    one year is decided by its comparison (``_figure_verdict``), else left to the model."""
    parts = asked_parts(query.text)
    yes_no = bool(POLAR.search(query.text))
    if not parts or (yes_no and (len(parts) > 1 or len(parts[0].years) > 1)):
        return None
    done: list[Computed] = []
    for part in parts:
        pool = _preferred(facts, part)
        for year in part.years:
            got = compute(part.metric, pool, year)
            if not isinstance(got, Computed):
                return None
            done.append(got)
    if not yes_no or asks_which_sign(query.text):
        return _answer(query, done)
    verdict = _figure_verdict(query.text, done[0], facts)
    return None if verdict is None else _answer(query, done, verdict)


def _figure_verdict(question: str, c: Computed, facts: list[Fact]) -> bool | None:
    """Yes/no for one figure: did it grow or fall (its growth or change against zero), is it above or below a
    level, positive or negative; None for anything else."""
    grew = c.metric.name.endswith(("_growth", "_change"))
    if grew and not (_ABOVE.search(question) or _BELOW.search(question)):
        if _UP.search(question):
            return c.value > 0
        if _DOWN.search(question):
            return c.value < 0
    if _HEALTHY.search(question) and c.metric.healthy is None:
        return None  # no level for a line item: the model reads the passages
    if c.metric.kind == "money" and (_ABOVE.search(question) or _BELOW.search(question)):
        return None  # "above 100" of an amount: in which unit? not decided here
    return _verdict(question, c, facts)


__all__ = ["ComputedAnswer", "MissingInputs", "figure_text", "figures_answer", "line_label", "metric_answer"]
