"""The home of the checks on an answer's figures: is each figure in a passage (as written or after unit
normalisation), a calculation on cited figures, given with the passage's unit, of the kind asked (an age,
a ratio), from a line about the question, and not a neighbour of a better-labelled figure.
"""

from __future__ import annotations

import re

from assistant.answer.citations import CITE, strip_citations
from assistant.answer.query import CJK, YEAR, Query
from assistant.store.keywords import tokenize
from assistant.text.figures import covers, quantities, unit_figures

_NUMBER = re.compile(r"\d[\d,，]*(?:\.\d+)?")


def numbers_in(text: str) -> list[str]:
    """The text's figures as digits without thousands separators ("8,652.30" → "8652.30"), in order, each once."""
    return list(
        dict.fromkeys(m.replace(",", "").replace("，", "").rstrip(".") for m in _NUMBER.findall(text))
    )


def digits(text: str) -> set[str]:
    """The text's figures as digits without thousands separators."""
    return set(numbers_in(text))


def without_figures(text: str, drop: list[str]) -> str:
    """The answer without the figures ``drop`` (to check what else it asserts)."""
    for d in drop:
        text = re.sub(r"(?<![\d.])" + r"[,，]?".join(map(re.escape, d)) + r"(?![\d])", "", text)
    return text


def unsupported_numbers(answer: str, passages: list[str], *, strict: bool = False) -> list[str]:
    """Numbers in the answer that appear in none of the given passages, as written or after unit
    normalisation (an answer's "3,157.20万元" is a passage's "31,572,004.18元" rounded).

    Answers (sorted result) also accept a figure written inside a longer one of a passage. ``strict``
    (profile summaries; result in the answer's order) accepts only whole figures of a passage, read
    without its citation markers."""
    body = strip_citations(answer)
    if strict:
        support = {d for p in passages for d in numbers_in(strip_citations(p))}
        missing = [n for n in numbers_in(body) if n not in support]
    else:
        support = set().union(*(digits(p) for p in passages)) if passages else set()
        joined = "".join(p.replace(",", "") for p in passages)
        missing = sorted(n for n in digits(body) if n not in support and n not in joined)
    if not missing:
        return []
    sources = [q for p in passages for q in quantities(p)]
    covered = {q.digits for q in quantities(body) if any(covers(q, s) for s in sources)}
    return [n for n in missing if n not in covered]


_COMPUTE = re.compile(
    r"change|differ|increase|decrease|grow|growth|decline|ratio|percentage|percent|margin"
    r"|how much more|how much less|total|sum"
    r"|变化|变动|增长|增加|减少|下降|差额|相差|比率|比例|占比|同比|环比|合计|总计|增幅|降幅",
    re.I,
)


def computed_figures(numbers: list[str], query: Query, passages: list[str]) -> dict[str, set[int]]:
    """Which of the answer's ``numbers`` (absent from the passages) are a calculation on two figures of
    the lines that share a key term with the question — a difference, sum, ratio or percent change, to the
    answer's rounding — and the 1-based passages those figures come from. Only for questions that ask for
    a calculation; a wrong calculation is not found and stays unsupported."""
    if not numbers or not _COMPUTE.search(query.text):
        return {}
    key = query.key_terms(keep_company=True, min_len=2)
    operands: list[tuple[float, int]] = []
    for n, p in enumerate(passages, start=1):
        for line in logical_lines(p):
            if key & set(tokenize(line)):
                operands += [
                    (q.value, n) for q in quantities(line) if not YEAR.fullmatch(q.digits) and q.value
                ]
    operands = operands[:80]
    found: dict[str, set[int]] = {}
    for figure in quantities(" ".join(numbers)):
        target, tolerance = abs(figure.value), figure.tolerance + 1e-9
        for a, na in operands:
            for b, nb in operands:
                if a == b and na == nb:
                    continue
                candidates = (a - b, a + b, a / b, 100 * a / b, 100 * (a - b) / b)
                if any(abs(abs(c) - target) <= tolerance for c in candidates):
                    found.setdefault(figure.digits, set()).update({na, nb})
                    break
            if figure.digits in found:
                break
    return found


_LINE_SPLIT = re.compile(r"(?<=[。！？；!?;])|\n+")
_LABELLESS = re.compile(r"^[\s$¥￥€£%％()（）\d.,，:：|-]*$")


def logical_lines(passage: str) -> list[str]:
    """Sentences and rows of a passage; a line holding only figures ("$", "4,835", "2,535" — statements
    extracted one cell per line) is joined to the labelled line before it, so a figure keeps its label."""
    out: list[str] = []
    for line in _LINE_SPLIT.split(passage):
        if not line or not line.strip():
            continue
        if out and _LABELLESS.match(line):
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return out


def off_topic_numbers(answer: str, query: Query, passages: list[str]) -> list[str]:
    """Numbers of the answer whose every occurrence in the passages sits in a sentence (or table row)
    sharing no key term with the question — a number lifted from an unrelated line."""
    key = query.key_terms()
    if not key:
        return []
    lines = [ln for p in passages for ln in logical_lines(p)]
    off = []
    for number in digits(strip_citations(answer)):
        holders = [ln for ln in lines if not unsupported_numbers(number, [ln])]
        if holders and not any(key & set(tokenize(ln)) for ln in holders):
            off.append(number)
    return sorted(off)


def _with_units(text: str) -> list[tuple[str, str, int, str]]:
    """Every number written with a unit (``text.figures.unit_figures``): its digits without separators, its
    unit (％ and percent as %), where it starts, and its digits as written."""
    return [
        (f.number.replace(",", "").replace("，", ""), f.unit or "", f.start, f.number)
        for f in unit_figures(text)
    ]


def unit_mismatches(answer: str, passages: list[str]) -> list[str]:
    """Figures whose unit in the answer is never the unit next to that figure in the passages
    (e.g. "41.25岁" when the passages only say "41.25%")."""
    found: dict[str, set[str]] = {}
    for p in passages:
        for number, unit, _, _ in _with_units(p):
            found.setdefault(number, set()).add(unit)
    return [
        f"{written}{unit}"
        for number, unit, _, written in _with_units(strip_citations(answer))
        if number in found and unit not in found[number]
    ]


# What a question asks for (an age, a ratio, a date) → the unit an answer's figure then carries.
ASKS = {
    "date": (
        re.compile(r"哪一?天|几月几[日号]|什么日期|何日|\bwhat date\b|\bon which (?:day|date)\b", re.I),
        re.compile(
            r"\d\s*[月日号]|(?:19|20)\d{2}\s*[-/.年]\s*\d|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d",
            re.I,
        ),
    ),
    "age": (
        re.compile(r"年纪|年龄|多大岁|几岁|how old|\bage\b", re.I),
        re.compile(r"\d\s*(岁|周岁|years?\s+old)", re.I),
    ),
    "ratio": (
        re.compile(r"比例|占比|比重|百分之|percentage|\bratio\b|\bshare of\b|\bmargin\b", re.I),
        re.compile(r"\d\s*(%|％|个百分点|percent)", re.I),
    ),
}


_ZH_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2}\s*月\s*\d{1,2}\s*[日号])")
_EN_DATE = re.compile(
    r"((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}),?\s+((?:19|20)\d{2})"
)


def added_years(answer: str, passages: list[str]) -> list[str]:
    """Years the answer adds to a date the passages print without one ("2021年10月26日" for "10月26日")."""
    flat = [re.sub(r"\s+", "", p) for p in passages]
    body = strip_citations(answer)
    dates = [(m.group(1), m.group(2)) for m in _ZH_DATE.finditer(body)]
    dates += [(m.group(2), m.group(1)) for m in _EN_DATE.finditer(body)]
    return [
        year for year, day in dates
        if not any(year in p for p in flat) and any(re.sub(r"\s+", "", day) in p for p in flat)
    ]  # fmt: skip


# a question about why a figure moved asks for its causes, not for the figure ("What drove operating margin
# change?", "毛利率下降的原因是什么？")
_WHY = re.compile(
    r"\bwhat drove\b|\bwhy\b|\breasons?\b|\bdrivers?\b|\bexplain|原因|为什么|为何|驱动|导致", re.I
)


def asks_why(question: str) -> bool:
    """The question asks why a figure moved, not for the figure ("What drove …", "…的原因是什么？"); only
    what it asks counts, not an instruction after it ("… If it is not relevant, explain why.")."""
    asked = re.findall(r"[^?？]*[?？]", question) or [question]
    return any(_WHY.search(part) for part in asked)


def asked_kinds(question: str) -> list[re.Pattern[str]]:
    """What the figures of an answer to ``question`` must carry: an age, a ratio or a date ([] when the
    question asks for none of them, or asks why a figure moved)."""
    if asks_why(question):
        return []
    return [gives for asks, gives in ASKS.values() if asks.search(question)]


_AGE_AFTER = r"\s*(?:岁|周岁|years?\s+old|-year-old)"
_AGE_BEFORE = r"(?:aged|age|年龄|年纪)\s*[:：]?\s*"


def unstated_ages(answer: str, question: str, passages: list[str]) -> list[str]:
    """For an age question: the ages the answer gives that no passage states as an age ("3 years old" from
    "3 years of sales", "41岁" from "41%")."""
    if not ASKS["age"][0].search(question) or asks_why(question):
        return []
    given = [m.group(1) for m in re.finditer(r"(\d{1,3})" + _AGE_AFTER, strip_citations(answer), re.I)]

    def stated(age: str) -> bool:
        return any(
            re.search(rf"(?<![\d.]){age}{_AGE_AFTER}|{_AGE_BEFORE}{age}(?![\d.])", p, re.I) for p in passages
        )

    return [age for age in given if not stated(age)]


_ASKS_FIGURE = re.compile(
    r"多少|几[个项家人年]|多大|比例|占比|金额|how (?:much|many)|what (?:was|is) the (?:amount|number|total)",
    re.I,
)


def asks_figure(question: str) -> bool:
    """The question asks for a figure ("…是多少？", "How many employees …"), not why it moved."""
    return bool(_ASKS_FIGURE.search(question)) and not asks_why(question)


# a figure in words: "近亿元", "三项", "twelve", "a million" (lenient: any numeral word counts)
_WORD_FIGURE = re.compile(
    r"[〇零一二两三四五六七八九十百千万亿]|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|none|no)\b",
    re.I,
)


def gives_figure(answer: str) -> bool:
    """The answer states a figure, in digits or in words."""
    body = strip_citations(answer)
    return bool(digits(body)) or bool(_WORD_FIGURE.search(body))


def wrong_kind_of_figure(answer: str, question: str) -> bool:
    """The question asks for an age, a ratio or a date, and the answer's figures carry no such unit."""
    body = strip_citations(answer)
    if not digits(body):
        return False
    return any(not gives.search(body) for gives in asked_kinds(question))


def _lead_terms(line: str, end: int, key: set[str]) -> int:
    """How many of the question's key terms the few characters before a figure contain."""
    start = max(
        line.rfind("，", 0, end), line.rfind(",", 0, max(0, end - 1)), line.rfind("；", 0, end), end - 12
    )
    return len(key & set(tokenize(line[max(0, start) : end])))


def better_figure_nearby(answer: str, query: Query, passages: list[str]) -> list[str]:
    """Figures of the answer for which the same line holds another figure with the same unit whose
    label matches the question better ("授权专利42项，其中发明专利14项" asked for 发明专利 → not 42)."""
    key = query.key_terms()
    if not key:
        return []
    body = strip_citations(answer)
    figures = [(number, unit, written) for number, unit, _, written in _with_units(body)]
    with_unit = {number for number, _, _ in figures}
    for bare in sorted(digits(body) - with_unit):  # a bare "42" takes the unit the passages give it ("42项")
        units = {unit for p in passages for number, unit, _, _ in _with_units(p) if number == bare}
        figures += [(bare, u, bare) for u in sorted(units)]
    lines = [line for p in passages for line in logical_lines(re.sub(r"(?<=[，、,])\n", "", p))]  # rejoined
    wrong = {
        f"{written}{unit}"
        for number, unit, written in figures
        if not (unit == "年" and YEAR.fullmatch(number))  # "2020年" is a date, not a figure with rivals
        and any(_rival_labelled_better(line, number, unit, key) for line in lines)
    }
    return sorted(wrong)


def _rival_labelled_better(line: str, number: str, unit: str, key: set[str]) -> bool:
    """The line holds ``number`` with ``unit``, and another figure with that unit whose lead-in has more of
    the question's key terms."""
    found = _with_units(line)
    mine = [start for n, u, start, _ in found if n == number and u == unit]
    if not mine:
        return False
    own = max(_lead_terms(line, start, key) for start in mine)
    rival = max(
        (_lead_terms(line, start, key) for n, u, start, _ in found if n != number and u == unit), default=-1
    )
    return rival > own


_UNIT_CAPTION = re.compile(
    r"((?:金额)?单位[:：]\s*[^\s）)\n]+)|\(((?:in|\$ in|amounts in) (?:thousands|millions|billions)[^)\n]*)\)",
    re.I,
)
_HAS_UNIT = re.compile(
    r"\d\s*(?:%|％|万|亿|千|元|美元|人|项|家|个|倍|岁|年|月|日|thousand|million|billion|percent)", re.I
)


def with_table_unit(text: str, passages: list[str]) -> str:
    """A bare figure copied from a table whose caption gives the unit ("金额单位：人民币万元", "(in thousands)")
    gets that unit stated after the answer, so "16,842.57" is not read as yuan."""
    if not digits(strip_citations(text)) or _HAS_UNIT.search(strip_citations(text)):
        return text
    for p in passages:
        m = _UNIT_CAPTION.search(p)
        if m:
            unit = m.group(1) or m.group(2)
            suffix = next((u for u in ("万元", "亿元", "千元", "百万元") if u in unit), None)
            if suffix is None and re.search(r"thousand", unit, re.I):
                suffix = " thousand"
            elif suffix is None and re.search(r"million", unit, re.I):
                suffix = " million"
            figures = [f for f in _NUMBER.finditer(CITE.sub(lambda c: " " * len(c.group(0)), text))
                       if not YEAR.fullmatch(f.group(0))]  # fmt: skip
            if suffix and len(figures) == 1:  # "16,842.57" → "16,842.57万元"
                end = figures[0].end()
                return text[:end] + suffix + text[end:]
            note = f"（{unit}）" if CJK.search(unit) else f" ({unit})"
            at = CITE.search(text)
            return text[: at.start()].rstrip() + note + " " + text[at.start() :] if at else text + note
    return text


# words with which an answer says a figure is negative
_NEGATIVE_WORDS = re.compile(
    r"loss|deficit|negative|outflow|used in|decrease|decline|\bdown\b|亏损|净流出|流出|为负|负数|减少|下降",
    re.IGNORECASE,
)


def _negative_at(passage: str, start: int, end: int) -> bool:
    """Whether the figure at ``passage[start:end]`` is printed as negative: in parentheses, after a minus sign,
    or right after a word that says so (净亏损6,428,315.40元, "a net loss of $3,218")."""
    before, after = passage[max(0, start - 12) : start], passage[end : end + 3]
    if re.search(r"[(（]\s*[$¥￥]?\s*$", before) and re.match(r"\s*[)）]", after):
        return True
    return bool(re.search(r"[-−–负]\s*[$¥￥]?\s*$", before) or _NEGATIVE_WORDS.search(before))


def dropped_signs(text: str, sources: list[str]) -> list[str]:
    """Figures of the answer that every cited passage prints as negative ("(193,363)", "-6,428,315.40") while
    the answer gives them without a sign or a word that says so ("$193,363 thousand")."""
    out: list[str] = []
    body = re.sub(r"\[\d+(?:\s*[,，]\s*\d+)*\]", "", text)
    for m in _NUMBER.finditer(body):
        number = m.group(0).rstrip(".")
        plain = number.replace(",", "").replace("，", "")
        if len(plain.replace(".", "")) < 3:
            continue  # small numbers (counts, percentages) are not read for a sign
        pattern = r"[,，]?".join(map(re.escape, plain))
        found = [
            (p, o) for p in sources for o in re.finditer(rf"(?<![\d.]){pattern}(?![\d])", p)
        ]  # every place a cited passage prints the figure: each must print it as negative
        if found and all(_negative_at(p, o.start(), o.end()) for p, o in found):
            around = body[max(0, m.start() - 30) : m.end() + 15]
            signed = re.search(r"[-−–负(（]\s*[$¥￥]?\s*$", body[max(0, m.start() - 4) : m.start()])
            if not signed and not _NEGATIVE_WORDS.search(around):
                out.append(number)
    return out
