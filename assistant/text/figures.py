"""Figures in text: the home of number reading (Chinese and English), for answers and profiles alike.

One vocabulary — the digits (``NUMBER``), signs (``-``, ``−``, ``负``, an amount in parentheses), scale words
(万/亿/千/百万, thousand/million/billion …), currencies, percentages (``%``, ``％``, ``percent``, ``per cent``;
``个百分点`` and ``percentage points`` as percentage points) and approximation and bound words (约, 逾, 不足,
about, over, nearly … recorded as a qualifier) — and the readers built on it:

- ``quantities``: every figure, scale words applied, as a float ``Quantity`` with the rounding it was
  written with; ``same`` and ``covers`` compare two (answer verification and scoring: "3,157.20万元"
  covers "31,572,004.18元").
- ``zh_money``, ``en_money``, ``percents``, ``zh_counts``: amounts, percentages and counts as exact
  ``Figure``s with the characters they were read from (profiles quote them): ``16,842.57万元`` is exactly
  168,425,700 CNY, and its tolerance is half a unit of the last printed digit (50 CNY).
- ``unit_figures``: every number written with a unit of ``UNIT_WORDS`` (万元, %, 岁, 项, million, patents …),
  so that an answer's "41.25岁" can be checked against a passage's "41.25%".

Dates live in ``assistant.text.dates``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from assistant.text.cjk import HAN

NUMBER = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"  # digits, thousands separators, decimals
SIGN = r"[-−负]"
PERCENT_SIGN = r"%|％|per\s?cent\b"  # a percentage: "13.09%", "41.3％", "3.5 percent", "12 per cent"
PERCENT = rf"个百分点|percentage points?\b|{PERCENT_SIGN}"  # points first: "2个百分点" is no "2个"
POINTS = frozenset({"个百分点", "percentage point", "percentage points"})

SCALES: dict[str, Decimal] = {
    "万亿": Decimal(10) ** 12, "千亿": Decimal(10) ** 11, "百亿": Decimal(10) ** 10, "亿": Decimal(10) ** 8,
    "千万": Decimal(10) ** 7, "百万": Decimal(10) ** 6, "十万": Decimal(10) ** 5, "万": Decimal(10) ** 4,
    "千": Decimal(10) ** 3, "": Decimal(1),
    "trillion": Decimal(10) ** 12, "billion": Decimal(10) ** 9, "bn": Decimal(10) ** 9,
    "million": Decimal(10) ** 6, "millions": Decimal(10) ** 6, "mn": Decimal(10) ** 6, "mm": Decimal(10) ** 6,
    "m": Decimal(10) ** 6, "thousand": Decimal(10) ** 3, "thousands": Decimal(10) ** 3, "k": Decimal(10) ** 3,
}  # fmt: skip

CURRENCIES = {
    "$": "USD", "US$": "USD", "USD": "USD", "美元": "USD", "€": "EUR", "EUR": "EUR", "欧元": "EUR",
    "£": "GBP", "GBP": "GBP", "HK$": "HKD", "HKD": "HKD", "港元": "HKD", "S$": "SGD", "A$": "AUD",
    "¥": "CNY", "￥": "CNY", "RMB": "CNY", "CNY": "CNY", "人民币": "CNY",
}  # fmt: skip


def scale_of(word: str) -> Decimal:
    """The multiplier of a scale or Chinese money unit: "万元" → 10⁴, "元" → 1, "Millions" → 10⁶."""
    word = word.strip().lower()
    return SCALES[word[:-1] if word.endswith("元") else word]


def is_bare_percent(text: str) -> bool:
    """Whether ``text`` is one percentage and nothing else ("13.09%", "-2.1 ％"), as a clean table cell is."""
    return bool(re.fullmatch(rf"\s*{SIGN}?(?:{NUMBER})\s*[%％]\s*", text))


def is_percent_sign(text: str) -> bool:
    """A unit that says "percent" and nothing else ("%", "（％）" inside, "percent")."""
    return bool(re.fullmatch(rf"\s*(?:{PERCENT_SIGN})\s*", text, re.IGNORECASE))


def to_decimal(number: str) -> Decimal | None:
    """The value of digits as written ("16,842.57" → 16842.57), or None when they are no number."""
    try:
        return Decimal(number.replace(",", "").replace("，", "").replace(" ", ""))
    except InvalidOperation:
        return None


def plain(value: Decimal) -> int | float:
    """A JSON number: int when integral, else float rounded to 6 decimals."""
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 6))


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


# ---- approximation and bound words ------------------------------------------------------------------
_APPROX_BEFORE = re.compile(
    r"(?P<q>约|大约|近|逾|超过|超|不足|不到|不少于|不低于|至少|最高|高达|约为|接近|"
    r"about|approximately|approx\.|around|roughly|nearly|almost|over|more than|less than|up to|at least|"
    r"some|circa|~)\s*$",
    re.IGNORECASE,
)
_BOUND_BEFORE = re.compile(
    r"(?:逾|超过|超|不足|不到|不少于|不低于|至少|最高|高达|over|more than|less than|up to|at least)\s*$",
    re.IGNORECASE,
)
_BOUND_AFTER = re.compile(r"^\s*(?P<q>余|多|以上|以下|左右|\+|plus\b|or more\b)")


@dataclass(frozen=True)
class Qualifier:
    """The approximation or bound word around a figure ("约", "超过", "余" …), and what it says."""

    word: str | None = None
    approx: bool = False  # 约 / about / 超过 … (not written as an exact value)
    bound: bool = False  # 超过 / more than / 余 … (a bound, not a value)


def qualifier(text: str, start: int, end: int) -> Qualifier:
    """The qualifier of the figure at ``text[start:end]``: a word up to 14 characters before or just after."""
    before = _APPROX_BEFORE.search(text[max(0, start - 14) : start])
    bound_before = _BOUND_BEFORE.search(text[max(0, start - 14) : start])
    after = _BOUND_AFTER.match(text[end : end + 8])
    word = before.group("q") if before else (after.group("q") if after else None)
    return Qualifier(word, bool(before), bool(bound_before or after))


# ---- exact figures (profiles) -----------------------------------------------------------------------
@dataclass
class Figure:
    """A number read from text, exactly (Decimal), with the characters it was read from."""

    kind: str  # money | percent | points | count | number
    value: Decimal  # in base units: yuan, dollars, percent, items
    raw: str  # exactly as written (including the unit)
    number: str  # the digits as written, e.g. "16,842.57"
    start: int
    end: int
    currency: str | None = None
    scale: Decimal = Decimal(1)
    approx: bool = False  # 约 / about …
    bound: bool = False  # 超过 / more than / 余 … (not an exact value)
    unit: str | None = None  # the unit word: 人 / 项 for counts, 万元 / million / % … in ``unit_figures``
    qualifier: str | None = None  # the approximation or bound word, as written

    @property
    def tolerance(self) -> Decimal:
        """Half a unit of the last written digit, in normalised units (rounding tolerance)."""
        return Decimal(5) * Decimal(10) ** (-_decimals(self.number) - 1) * self.scale


def _qualified(text: str, f: Figure) -> Figure:
    q = qualifier(text, f.start, f.end)
    f.approx, f.bound, f.qualifier = q.approx, q.bound, q.word
    return f


# 16,842.57万元 / -6,428,315.40元 / 人民币1.2亿元 / 8,000万 / 1.31 亿元
_ZH_MONEY = re.compile(
    rf"(?P<pre>人民币|RMB\s?|CNY\s?)?(?P<neg>{SIGN})?(?P<num>{NUMBER})\s*"
    r"(?P<scale>万亿元|亿元|千万元|百万元|万元|千元|元|亿|万)(?P<cur>人民币|美元|港元|欧元)?"
)
# $18,742 thousand / $27.6 million / ($3.2 million) / US$5m / USD 12.3 million / €4 million
_EN_MONEY = re.compile(
    rf"(?P<paren>\()?(?P<neg>{SIGN})?(?P<cur>US\$|HK\$|S\$|A\$|\$|€|£|¥|USD\s?|RMB\s?|CNY\s?|EUR\s?|GBP\s?|HKD\s?)"
    rf"\s?(?P<paren2>\()?(?P<num>{NUMBER})(?P<close>\))?(?:\s?(?P<scale>thousands?|millions?|billion|bn|mn|m|k)\b)?"
    rf"(?P<close2>\))?"
)
_PERCENT = re.compile(rf"(?P<neg>{SIGN})?(?P<num>{NUMBER})\s*(?P<unit>{PERCENT})", re.IGNORECASE)
_ZH_COUNT = re.compile(rf"(?P<num>{NUMBER})\s*(?P<unit>人|名|项|件|个|家)")
_HAN_CHAR = re.compile(r"[" + HAN + r"]")


def zh_money(text: str) -> list[Figure]:
    """Amounts written with a Chinese money unit ("16,842.57万元", "人民币1.2亿元"); "1.8万平方米" is none."""
    out: list[Figure] = []
    for m in _ZH_MONEY.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        # a bare 万/亿 before a measure word ("12万台", "1.8万平方米") is no money
        scale_word, nxt = m.group("scale"), text[m.end() : m.end() + 1]
        if scale_word in ("万", "亿") and nxt and _HAN_CHAR.match(nxt) and nxt not in "元人美港欧，。；、":
            continue
        scale = scale_of(scale_word)
        cur = m.group("cur") or (m.group("pre") or "").strip() or "人民币"
        figure = Figure(
            kind="money",
            value=(-value if m.group("neg") else value) * scale,
            raw=m.group(0).strip(),
            number=m.group("num"),
            start=m.start(),
            end=m.end(),
            currency=CURRENCIES.get(cur, "CNY"),
            scale=scale,
            unit=scale_word,
        )
        out.append(_qualified(text, figure))
    return out


def en_money(text: str, default_scale: Decimal = Decimal(1)) -> list[Figure]:
    """Amounts written with a currency sign or code ("$27.6 million", "($3.2 million)" is negative)."""
    out: list[Figure] = []
    for m in _EN_MONEY.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        scale_word = (m.group("scale") or "").lower()
        if scale_word == "m" and text[m.end("scale") : m.end("scale") + 1].isalpha():
            scale_word = ""
        scale = SCALES[scale_word] if scale_word else default_scale
        # "($3.2 million)" and "$(193,363)" are negative
        in_parens = bool((m.group("paren") or m.group("paren2")) and (m.group("close") or m.group("close2")))
        start = m.start() if in_parens or m.group("neg") else m.start("cur")
        scaled_end = m.end("scale") if m.group("scale") and scale_word else m.end("num")
        end = m.end() if in_parens else scaled_end
        figure = Figure(
            kind="money",
            value=(-value if m.group("neg") or in_parens else value) * scale,
            raw=text[start:end].strip(),
            number=m.group("num"),
            start=start,
            end=end,
            currency=CURRENCIES.get(m.group("cur").strip(), "USD"),
            scale=scale,
            unit=scale_word or None,
        )
        out.append(_qualified(text, figure))
    return out


def percents(text: str) -> list[Figure]:
    """Percentages ("13.09%", "3.5 percent", kind ``percent``) and percentage points ("2.1个百分点",
    kind ``points``)."""
    out: list[Figure] = []
    for m in _PERCENT.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        unit = " ".join(m.group("unit").lower().split())
        figure = Figure(
            kind="points" if unit in POINTS else "percent",
            value=-value if m.group("neg") else value,
            raw=m.group(0),
            number=m.group("num"),
            start=m.start(),
            end=m.end(),
            unit=m.group("unit"),
        )
        out.append(_qualified(text, figure))
    return out


def zh_counts(text: str) -> list[Figure]:
    """Whole counts with a Chinese measure word ("112人", "6项"); "412.60万元" and "2023年" are none."""
    out: list[Figure] = []
    for m in _ZH_COUNT.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None or value != value.to_integral_value():
            continue
        before = text[m.start() - 1] if m.start() > 0 else ""
        if before and re.match(r"[\w.]", before) and not _HAN_CHAR.match(before):
            continue  # glued to a preceding digit or letter
        figure = Figure(
            kind="count",
            value=value,
            raw=m.group(0),
            number=m.group("num"),
            start=m.start(),
            end=m.end(),
            unit=m.group("unit"),
        )
        out.append(_qualified(text, figure))
    return out


_CELL_NUMBER = re.compile(rf"(?P<paren>\()?(?P<neg>{SIGN})?(?P<num>{NUMBER})(?P<close>\))?")


def cell_number(cell: str, scale: Decimal = Decimal(1)) -> Figure | None:
    """A table cell that is one bare number ("16,842.57", "-3.5", "(3,218)" is negative), in units of
    ``scale`` (the table's "单位：万元" or "in thousands"); None for anything else."""
    m = _CELL_NUMBER.fullmatch(cell.strip())
    value = to_decimal(m.group("num")) if m else None
    if m is None or value is None:
        return None
    negative = bool(m.group("neg") or (m.group("paren") and m.group("close")))
    return Figure(
        "number", (-value if negative else value) * scale, cell.strip(), m.group("num"), 0, 0, scale=scale
    )


# ---- numbers with units (answer verification) -------------------------------------------------------
UNIT_WORDS = (
    "万元", "亿元", "千元", "元", "%", "％", "percent", "per cent", "个百分点", "岁", "人", "项", "家", "个",
    "台", "倍", "年", "million", "billion", "thousand", "years", "employees", "patents",
)  # fmt: skip
_UNIT_FIGURE = re.compile(
    rf"(?P<num>{NUMBER})\s*(?P<unit>"
    + "|".join(
        re.escape(u) + (r"(?![A-Za-z])" if u[-1].isalpha() and u.isascii() else "") for u in UNIT_WORDS
    )
    + ")"
)
_CANONICAL_UNIT = {"％": "%", "percent": "%", "per cent": "%"}


def unit_figures(text: str) -> list[Figure]:
    """Every number written with a unit of ``UNIT_WORDS`` ("41.25岁", "3,157.20万元", "12 patents").

    ``unit`` is the unit with ``％``, ``percent`` and ``per cent`` written as ``%``; ``number`` the digits as
    written; ``value`` the number times the unit's scale (万元 → 10⁴, million → 10⁶; 1 for the others)."""
    out: list[Figure] = []
    for m in _UNIT_FIGURE.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        unit = _CANONICAL_UNIT.get(m.group("unit"), m.group("unit"))
        money = unit.endswith("元")
        scale = scale_of(unit) if money or unit in ("million", "billion", "thousand") else Decimal(1)
        kind = {"%": "percent", "个百分点": "points"}.get(unit, "money" if money else "number")
        figure = Figure(
            kind, value * scale, m.group(0), m.group("num"), m.start(), m.end(), scale=scale, unit=unit
        )
        figure.currency = "CNY" if money else None
        out.append(_qualified(text, figure))
    return out


# ---- every figure, as floats (answer verification and scoring) --------------------------------------
_QUANTITY = re.compile(
    rf"(?<![A-Za-z0-9.])(?P<neg>{SIGN})?(?P<cur>[$¥￥€£])?\s?(?P<num>{NUMBER})"
    r"(?:\s?(?P<scale>万亿|千亿|百亿|亿|千万|百万|十万|万|千(?!克|米|瓦)|trillion|billion|million|thousand|bn|mn|mm|k)"
    rf"(?![a-z]))?\s?(?P<pct>{PERCENT}|percent)?",
    re.I,
)


@dataclass(frozen=True)
class Quantity:
    """A figure: its value in base units, the rounding it was written with, and whether it is a percent
    (percentage points count as percent; ``points`` tells them apart)."""

    value: float
    tolerance: float
    percent: bool
    raw: str
    digits: str  # the number as written, without thousands separators ("31572004.18")
    start: int = 0
    end: int = 0
    points: bool = False
    qualifier: str | None = None  # 约 / over / 不足 … as written


def quantities(text: str) -> list[Quantity]:
    """Every figure in ``text``, scale words applied (years and other bare integers included); an amount in
    parentheses ("(3,218)") and one after 负 or a minus are negative."""
    out = []
    for m in _QUANTITY.finditer(text):
        digits = m.group("num").replace(",", "").replace("，", "")
        scale = float(SCALES[m.group("scale").lower()]) if m.group("scale") else 1.0
        in_parens = text[m.start() - 1 : m.start()] == "(" and text[m.end() : m.end() + 1] == ")"
        sign = -1.0 if m.group("neg") or in_parens else 1.0
        pct = " ".join((m.group("pct") or "").lower().split())
        out.append(
            Quantity(
                value=sign * float(digits) * scale,
                tolerance=0.5 * 10 ** (-_decimals(digits)) * scale,
                percent=bool(pct),
                raw=m.group(0).strip(),
                digits=digits,
                start=m.start(),
                end=m.end(),
                points=pct in POINTS,
                qualifier=qualifier(text, m.start(), m.end()).word,
            )
        )
    return out


def same(a: Quantity, b: Quantity) -> bool:
    """Equal within the rounding of the less precise figure (signs ignored: "decreased 5%" = "-5%")."""
    return abs(abs(a.value) - abs(b.value)) <= max(a.tolerance, b.tolerance) + 1e-9 * max(abs(a.value), 1.0)


def covers(answer: Quantity, source: Quantity) -> bool:
    """The answer's figure is the source's, rounded as the answer writes it ("3,157.20万" covers
    "31,572,004.18"; "31,572,004.18" does not cover "3,157.20万": digits the source lacks are invented)."""
    return abs(abs(answer.value) - abs(source.value)) <= answer.tolerance + 1e-9 * max(abs(answer.value), 1.0)
