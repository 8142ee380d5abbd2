"""Figures in text with their scale words, normalised to plain numbers.

"3,157.20万元" → 31,572,000; "$8.1 million" → 8,100,000; "1.57亿" → 157,000,000; "13.09%" → 13.09 (percent).
Two figures are the same quantity when they agree within the rounding of the less precise one, so an
answer "3,157.20万元" matches a passage "31,572,004.18元". Used to verify answers and to score them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SCALES = {
    "万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "十万": 1e5, "万": 1e4, "千": 1e3,
    "trillion": 1e12, "billion": 1e9, "bn": 1e9, "million": 1e6, "mn": 1e6, "mm": 1e6, "thousand": 1e3, "k": 1e3,
}  # fmt: skip
_FIGURE = re.compile(
    r"(?<![A-Za-z0-9.])(?P<neg>[-−])?[$¥￥€£]?\s?(?P<num>\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>万亿|千亿|百亿|亿|千万|百万|十万|万|千(?!克|米|瓦)|trillion|billion|million|thousand|bn|mn|mm|k)(?![a-z]))?"
    r"\s?(?P<pct>%|％|percent|个百分点)?",
    re.I,
)


@dataclass(frozen=True)
class Quantity:
    """A figure: its value in base units, the rounding it was written with, and whether it is a percent."""

    value: float
    tolerance: float
    percent: bool
    raw: str
    digits: str  # the number as written, without thousands separators ("31572004.18")


def quantities(text: str) -> list[Quantity]:
    """Every figure in ``text``, scale words applied (years and other bare integers included)."""
    out = []
    for m in _FIGURE.finditer(text):
        digits = m.group("num").replace(",", "").replace("，", "")
        value = float(digits)
        scale = _SCALES[m.group("scale").lower()] if m.group("scale") else 1.0
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        sign = -1.0 if m.group("neg") else 1.0
        out.append(
            Quantity(
                value=sign * value * scale,
                tolerance=0.5 * 10 ** (-decimals) * scale,
                percent=bool(m.group("pct")),
                raw=m.group(0).strip(),
                digits=digits,
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
