"""The strict scorer (the default of ``assistant eval``): figures at the gold's own precision with sign, percent
and unit, no hedging with extra figures, an explicit yes/no, whole-word key facts, and evidence that a passage
mostly holds. The rules are listed in the package's docstring."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from assistant.evaluate.lenient import LONG_EVIDENCE, flat, key_words, strip_citations
from assistant.text.figures import SCALES, quantities, scale_of
from assistant.text.normalize import to_simplified

EVIDENCE_SHARE = 0.6  # of a long evidence string (or of a shorter passage) a passage must hold
EVIDENCE_BLOCK = 10  # matching blocks shorter than this are coincidence ("2023年", "million")


def evidence_hit(passage: str, evidence: str) -> bool:
    """Whether a passage holds a gold evidence string: a short one (≤ ``LONG_EVIDENCE`` characters, flattened)
    whole; a long one when blocks of ≥ ``EVIDENCE_BLOCK`` characters shared with it make up
    ``EVIDENCE_SHARE`` of the evidence, or of the passage when the passage is the shorter (a chunk of a long
    table), and at least ``LONG_EVIDENCE`` characters."""
    e, p = flat(evidence), flat(passage)
    if not e:
        return False
    if len(e) <= LONG_EVIDENCE:
        return e in p
    blocks = SequenceMatcher(None, e, p, autojunk=False).get_matching_blocks()
    held = sum(b.size for b in blocks if b.size >= EVIDENCE_BLOCK)
    return held >= LONG_EVIDENCE and held >= EVIDENCE_SHARE * min(len(e), len(p))


# ---- figures: value, precision, percent, sign -------------------------------------------------------
_LATIN = r"(?<![A-Za-z])(?:{})(?![A-Za-z])"
_NEG_LEVEL = (
    r"net\s+loss(?:es)?|loss(?:es)?|deficits?|negative|outflows?|used\s+in"
    r"|净亏损|亏损|净流出|流出|为负|负数|负值"
)
_POS_LEVEL = r"positive|profits?|net\s+income|inflows?|盈利|净流入|为正|正数|正值"
_NEG_CHANGE = r"decrease[sd]?|decline[sd]?|fell|dropped|下降了?|减少了?|下滑了?|降低了?"
_POS_CHANGE = r"increase[sd]?|grew|rose|growth|增长了?|增加了?|上升了?|提高了?"
_SIGN_WORD = re.compile(
    _LATIN.format(
        f"(?P<neg>{_NEG_LEVEL})|(?P<pos>{_POS_LEVEL})|(?P<negc>{_NEG_CHANGE})|(?P<posc>{_POS_CHANGE})"
    ),
    re.I,
)
# "decreased by 5%", "下降5%": a change word right before a figure makes it the change
_CHANGE_LINK = re.compile(r"^\s*(?:by|of|to|为|约|达)?\s*$", re.I)
# a question about a loss or a decrease: its gold is the size of it, whichever way an answer signs it
FRAMING = re.compile(_LATIN.format(f"{_NEG_LEVEL.replace('negative|', '')}|{_NEG_CHANGE}|drop|fall"), re.I)
_SENTENCE_END = re.compile(r"[。！？；;\n]|\.\s")
_CLAUSE_END = re.compile(r"[。！？；;，,\n]|\.\s")
_PAREN_SCALE = re.compile(
    r"\)\s?(万亿|亿|千万|百万|万|trillion|billion|million|thousand|bn|mn)(?![a-z])", re.I
)
_DATE_AFTER = re.compile(r"\s*(?:年|月|日|号|季度)")
_MONTH_BEFORE = re.compile(r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*$", re.I)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|(?<=FY)\d\d(?!\d)", re.I)
_OTHER_PERIOD = re.compile(
    _LATIN.format(
        r"from|compared\s+(?:with|to)|versus|vs\.?|prior\s+year|previous\s+year|last\s+year|a\s+year\s+earlier"
        r"|上年|去年|上一年|上年同期|较"
    ),
    re.I,
)


@dataclass(frozen=True)
class Figure:
    """A figure as the strict scorer reads it."""

    value: float  # magnitude in base units (≥ 0)
    half: float  # half a unit of the last significant printed digit, in base units (its precision)
    percent: bool  # a percentage or percentage points
    sign: int  # -1: printed or worded negative; +1: worded positive; 0: unmarked
    scale: float  # the multiplier of its scale word (1 without one)
    date: bool  # a year or a part of a date ("2019年", "6月", "March 9")
    start: int
    end: int


def _half_unit(digits: str, scale: float) -> float:
    """Half a unit of the last significant digit: trailing zeros after the decimal point do not count
    ("19.00" is precise to 1; "2,400,000" to 1; "23.6" to 0.1)."""
    decimals = len(digits.split(".")[1].rstrip("0")) if "." in digits else 0
    return 0.5 * 10.0**-decimals * scale


def _sign(text: str, start: int, end: int, before_limit: int, after_limit: int) -> int:
    """-1/+1 when a sign word stands next to the figure at ``text[start:end]`` (the nearer of the last one
    before it in its sentence and the first one after it in its clause), else 0. A change word counts only
    just before the figure ("decreased by 5%", "下降5%") or after it ("a 5% decrease")."""
    before = text[max(before_limit, start - 40) : start]
    cut = list(_SENTENCE_END.finditer(before))
    before = before[cut[-1].end() :] if cut else before
    after = text[end : min(after_limit, end + 25)]
    stop = _CLAUSE_END.search(after)
    after = after[: stop.start()] if stop else after
    best: tuple[int, int] | None = None  # (distance, sign)
    for m in _SIGN_WORD.finditer(before):
        change = m.group("negc") or m.group("posc")
        if change and not _CHANGE_LINK.match(before[m.end() :]):
            continue
        candidate = (len(before) - m.end(), -1 if m.group("neg") or m.group("negc") else 1)
        best = candidate if best is None or candidate[0] <= best[0] else best
    following = _SIGN_WORD.search(after)
    if following and (best is None or following.start() < best[0]):
        best = (following.start(), -1 if following.group("neg") or following.group("negc") else 1)
    return best[1] if best else 0


def figures(text: str) -> list[Figure]:
    """Every figure of ``text`` (``text.figures.quantities``), with its precision, percent, sign and whether it
    is a date; "$(412,905) thousand" is -412,905,000."""
    found = quantities(text)
    out: list[Figure] = []
    for i, q in enumerate(found):
        decimals = len(q.digits.split(".")[1]) if "." in q.digits else 0
        scale = q.tolerance / (0.5 * 10.0**-decimals)
        value, end = abs(q.value), q.end
        paren = _PAREN_SCALE.match(text, q.end) if q.value < 0 and round(scale) == 1 else None
        if paren:  # "(412,905) thousand": the scale word after the parenthesis
            scale = float(SCALES[paren.group(1).lower()])
            value, end = value * scale, paren.end()
        currency = bool(re.match(r"[-−负]?[$¥￥€£]", q.raw))
        date = (
            not q.percent
            and round(scale) == 1
            and not currency
            and bool(
                re.fullmatch(r"(?:19|20)\d\d", q.digits)
                or _DATE_AFTER.match(text, q.end)
                or _MONTH_BEFORE.search(text[max(0, q.start - 12) : q.start])
            )
        )
        before_limit = found[i - 1].end if i else 0
        after_limit = found[i + 1].start if i + 1 < len(found) else len(text)
        sign = -1 if q.value < 0 else _sign(text, q.start, end, before_limit, after_limit)
        out.append(Figure(value, _half_unit(q.digits, scale), q.percent, sign, scale, date, q.start, end))
    return out


def _gold_figures(gold: str) -> list[Figure]:
    found = figures(gold)
    if len(found) > 1:  # "20% (FY2021)", "14项（截至2023年12月31日）": dates label the figures
        return [f for f in found if not f.date] or found
    return found


_QUESTION_UNIT = re.compile(
    r"\bin\s+(?:(?:USD|US\$|\$|RMB|CNY|HKD|EUR)\s*)?(thousands|millions|billions)\b"
    r"|单位[:：]?\s*(?:人民币)?(万元|亿元|千元)|多少(万元|亿元)|[（(](万元|亿元|千元)[）)]",
    re.I,
)


def unit_of(scale: str | None, question: str = "") -> tuple[float, bool]:
    """The unit a question asks in: (multiplier, percent) from its ``scale`` ("thousand", "percent", "万元")
    or its wording ("(in USD millions)", "单位：万元")."""
    word = (scale or "").strip().lower()
    if word in ("percent", "%", "％", "pct", "percentage"):
        return 1.0, True
    if not word:
        m = _QUESTION_UNIT.search(question)
        word = next(g for g in m.groups() if g).lower() if m else ""
    for w in (word, word.removesuffix("s")):
        try:
            return float(scale_of(w)), False
        except KeyError:
            continue
    return 1.0, False


def _alternatives(g: Figure, factor: float) -> list[tuple[float, float]]:
    """(value, half) of a gold figure as written, times the question's unit when it has no scale word, and
    divided by it when its scale word is that unit (the bare number an answer "in thousands" gives)."""
    out = [(g.value, g.half)]
    if factor != 1.0 and not g.percent:
        if round(g.scale) == 1:
            out.append((g.value * factor, g.half * factor))
        elif abs(g.scale - factor) <= 1e-9 * factor:
            out.append((g.value / factor, g.half / factor))
    return out


def _value_ok(g: Figure, a: Figure, factor: float, implied_percent: bool) -> bool:
    """The answer's figure rounds to the gold at the gold's precision, and is a percent exactly when the gold
    is (either, when the question's unit is percent)."""
    if not implied_percent and a.percent != g.percent:
        return False
    return any(abs(a.value - v) <= half + 1e-9 * max(v, 1.0) for v, half in _alternatives(g, factor))


def sign_ok(g: Figure, a: Figure, framed: bool) -> bool:
    """A negative gold needs a negative answer and a positive gold an answer that is not negative; in a question
    about a loss or a decrease (``framed``) any answer passes that is not worded positive."""
    if framed:
        return a.sign != 1
    return a.sign == -1 if g.sign == -1 else a.sign != -1


def _restates(a: Figure, g: Figure) -> bool:
    """``a`` is the gold rounded as ``a`` is written ("$18.7 million" beside "$18,742 thousand")."""
    return a.percent == g.percent and abs(a.value - g.value) <= a.half + 1e-9 * max(g.value, 1.0)


def _years(text: str) -> set[str]:
    return {y if len(y) == 4 else "20" + y for y in _YEAR.findall(text)}


def _other_period(text: str, a: Figure, asked: set[str]) -> bool:
    """The figure's own clause labels it with another period: a year the question does not ask about, or a
    comparison word ("up from", "较上年")."""
    before = text[max(0, a.start - 40) : a.start]
    cut = list(_SENTENCE_END.finditer(before))
    before = before[cut[-1].end() :] if cut else before
    after = text[a.end : a.end + 20]
    stop = _CLAUSE_END.search(after)
    after = after[: stop.start()] if stop else after
    return bool((_years(before) | _years(after)) - asked) or bool(_OTHER_PERIOD.search(before))


def hedged(
    answer: str, gold: list[Figure], question: str, context: str, factor: float, implied_percent: bool = False
) -> bool:
    """Whether the answer also states another value of the gold's kind: a percent beside a percent gold, an
    amount within one order of magnitude of an amount gold. Not counted: dates and years, figures the
    question states, figures of the gold (or of its long form ``context``) and roundings of them, and figures
    their clause labels with another period ("2022年营业收入7,214.03万元", "up from $21.0 million")."""
    asked = figures(question)
    legit = gold + figures(context)
    years = _years(question)
    for a in figures(answer):
        if a.date or any(_value_ok(g, a, factor, implied_percent) or _restates(a, g) for g in legit):
            continue
        if any(a.percent == q.percent and abs(a.value - q.value) <= max(a.half, q.half) for q in asked):
            continue
        rival = any(
            a.percent == g.percent and (g.percent or 0.1 * g.value <= a.value <= 10 * g.value) for g in gold
        )
        if rival and not _other_period(answer, a, years):
            return True
    return False


def number_correct(
    answer: str, gold: str, scale: str | None = None, question: str = "", context: str = ""
) -> bool:
    """Every gold figure is an answer figure at the gold's precision, with its sign and percent, in the
    question's unit, and the answer hedges with no other value of the same kind."""
    wanted = _gold_figures(gold)
    if not wanted:
        return False
    text = strip_citations(answer)
    given = figures(text)
    factor, implied_percent = unit_of(scale, question)
    framed = bool(FRAMING.search(question))
    for g in wanted:
        if not any(_value_ok(g, a, factor, implied_percent) and sign_ok(g, a, framed) for a in given):
            return False
    return not hedged(text, wanted, question, context, factor, implied_percent)


# ---- yes / no ---------------------------------------------------------------------------------------
_REFUSING = re.compile(
    r"not in the documents|documents? (?:do|does) not|no (?:information|passage|data|mention)|"
    r"not (?:stated|disclosed|mentioned|provided|found|available|specified)|cannot (?:be )?(?:determine|tell|say)|"
    r"unable to|没有找到|未找到|未提及|没有提及|未披露|没有披露|未说明|没有说明|文档中没有|资料中没有|资料未|文档未|"
    r"无法(?:确定|判断|回答)|不清楚|没有.{0,12}(?:资料|文档|信息|数据|记载)|(?:资料|文档).{0,6}(?:没有|未|不含|无)|"
    r"the (?:documents|passages) (?:do|does|did) not",
    re.I,
)
_YES_EN = re.compile(r"^yes\b", re.I)
_NO_EN = re.compile(r"^no\b", re.I)
_NO_ZH = re.compile(r"^(?:否|不是|不符合|不属于|不满足|没有|不|无|未)")
_YES_ZH = re.compile(r"^(?:符合|属于|满足|(?:是|对|有)(?=的|[，,。.!！：:\s]|$))")


def yes_no(text: str) -> str | None:
    """The yes or no the answer states first ("Yes.", "No,", "是的", "否，", "不是", "没有…"); None when it states
    neither, or its first sentence says the documents do not answer (that is no "No")."""
    lead = re.sub(r"^[\s“\"'「『（(]+", "", text.strip())
    first = re.split(r"[。！？!?\n]|\.\s", lead, maxsplit=1)[0]
    if _REFUSING.search(first) or lead.startswith("是否"):
        return None
    if _YES_EN.match(lead) or _YES_ZH.match(lead):
        return "yes"
    if _NO_EN.match(lead) or _NO_ZH.match(lead):
        return "no"
    return None


# ---- text: key facts --------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(to_simplified(unicodedata.normalize("NFKC", text)).casefold().split())


def _split_han(piece: str) -> list[str]:
    """At 和/及/以及 when both sides keep two characters ("云杉嘉和" stays whole)."""
    for m in re.finditer(r"以及|和|及", piece):
        left, right = piece[: m.start()].strip(), piece[m.end() :].strip()
        if len(left) >= 2 and len(right) >= 2:
            return [left, *_split_han(right)]
    return [piece]


_DATE_COMMA = re.compile(
    r"((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}),(?=\s*(?:19|20)\d\d)", re.I
)


def parts(gold: str) -> list[str]:
    """The key facts of a text gold: split at ; ； 、 ， , "and" 和 及, never inside a number ("1,234") or a date
    ("March 9, 2019")."""
    out: list[str] = []
    protected = _DATE_COMMA.sub("\\1\x00", gold)
    for piece in re.split(r"[;；、]|(?<!\d)[,，]|[,，](?!\d{3}(?!\d))", protected):
        for sub in re.split(r"\s+and\s+|\s*&\s*", piece, flags=re.I):
            out += [p.strip().replace("\x00", ",") for p in _split_han(sub)]
    return [p for p in out if p.strip(" .。()（）")]


def appears(part: str, answer: str) -> bool:
    """The part is in the answer as whole words: white space may differ, but a Latin letter or digit at either
    end must not continue a word or number ("$35" is not in "2035" or "$35,000"; "C" needs a standalone C)."""
    p, a = _norm(part), _norm(strip_citations(answer))
    if not p:
        return False
    body = r"\s*".join(re.escape(ch) for ch in p.replace(" ", ""))
    head = r"(?<![a-z0-9])(?<![0-9][.,])" if p[0].isascii() and p[0].isalnum() else ""
    tail = r"(?![a-z0-9])(?![.,][0-9])" if p[-1].isascii() and p[-1].isalnum() else ""
    return re.search(head + body + tail, a) is not None


def _word_in(word: str, answer: str) -> bool:
    if word.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", answer) is not None
    return word in answer.replace(" ", "")


def _without(fact: str, words: set[str]) -> str:
    """The fact with the given words taken out ("远帆资本领投" without "领投": "远帆资本")."""
    text = _norm(fact)
    for w in sorted(words, key=len, reverse=True):
        text = re.sub(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])" if w.isascii() else re.escape(w), " ", text)
    return " ".join(text.split()).strip(" .,;:()")


def fact_found(fact: str, answer: str, question: str = "") -> bool:
    """The fact appears whole; or its figures are all in the answer (strictly) and ≥ 60 % of its words the
    question does not already say are words of the answer; or, without figures and with fewer than three
    words of its own, what is left of it once the question's words are taken out appears whole ("远帆资本"
    of "远帆资本领投" asked "谁领投？"; "云杉嘉" is not "云杉嘉和"; nothing is left of "成立" asked "何时成立":
    no free pass)."""
    if appears(fact, answer):
        return True
    wanted = figures(fact)
    given = figures(strip_citations(answer))
    framed = bool(FRAMING.search(question))
    if any(not any(_value_ok(g, a, 1.0, False) and sign_ok(g, a, framed) for a in given) for g in wanted):
        return False
    mine = key_words(fact)
    asked = {w for w in mine if _word_in(w, _norm(question))}  # "领投" is asked in "领投方是谁？"
    words = mine - asked
    if not wanted and len(words) < 3:
        rest = _without(fact, asked)
        return bool(rest) and appears(rest, answer)
    if not words:
        return True
    said = _norm(strip_citations(answer))
    return sum(1 for w in words if _word_in(w, said)) >= 0.6 * len(words)


def text_correct(answer: str, gold: str, question: str = "") -> bool:
    """All key facts of the gold appear when it has one or two, at least two thirds of them otherwise."""
    facts = parts(gold)
    if not facts:
        return False
    found = sum(1 for p in facts if fact_found(p, answer, question))
    return found == len(facts) if len(facts) <= 2 else found >= 2 * len(facts) / 3
