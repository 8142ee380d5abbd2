"""Profile fields against gold values, strictly: the scorer of ``benchmarks/profile_fields.py``.

A gold field is a value the document prints for the report's own fiscal year (money in yuan, a loss negative;
ratios as percent numbers; headcounts as integers; text as written). A profile field is

- **missing** when the profile has no value for it (``unknown``, or no field at all);
- **right** when its period is the gold year (per-year fields), its unit is the field's (money: a Chinese
  currency unit, its value converted to yuan; ``%`` for ratios; ``count`` for counts), its sign is the
  gold's, and its value equals the gold at the gold's own printed precision: both rounded to the decimals the
  document prints (``printed_decimals``: "27.80%" → 2; money defaults to 2 decimals of yuan); a count exactly;
  a text after white space is removed;
- **wrong** otherwise, with the first reason found: ``period``, ``unit``, ``sign``, ``value`` (or ``type``:
  a number where text is due, or the other way round).

``evidence_verbatim`` checks a right value's sources: a page for paged documents (PDF), and each quote a
verbatim substring of a stored passage of that document and page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from assistant.core.records import Chunk
from assistant.profile.schema import FieldKind, FieldValue, field_spec
from assistant.text.figures import NUMBER, scale_of, to_decimal

Outcome = Literal["right", "wrong", "missing"]
OUTCOMES: tuple[Outcome, ...] = ("right", "wrong", "missing")
DEFAULT_DECIMALS: dict[FieldKind, int] = {"money": 2, "percent": 2, "count": 0, "months": 0}
_YUAN = {"CNY", "RMB", "元", "人民币", "人民币元"}
_UNITS: dict[FieldKind, set[str]] = {"percent": {"%", "％"}, "count": {"count"}, "months": {"months"}}


@dataclass(frozen=True)
class FieldScore:
    """One field's outcome; ``reason`` says why it is wrong or missing ('' when right)."""

    field: str
    outcome: Outcome
    reason: str = ""


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def yuan_factor(unit: str | None) -> Decimal | None:
    """The multiplier from a money unit to yuan ("CNY"/"元" → 1, "万元" → 10⁴, "人民币千元" → 10³), or None
    for another currency or no unit."""
    if unit is None:
        return None
    unit = unit.strip()
    if unit in _YUAN:
        return Decimal(1)
    word = unit.removeprefix("人民币")
    if not word.endswith("元") or word in {"美元", "港元", "欧元"}:
        return None
    try:
        return scale_of(word)
    except KeyError:
        return None


def printed_decimals(gold: int | float, texts: Iterable[str], doc_unit: str | None = None) -> int | None:
    """How many decimals the document prints the gold value with: the decimals of the first number of
    ``texts`` (its evidence lines) equal to it, in ``doc_unit`` when the gold gives one ("27.80%" → 2,
    "1,234" → 0); None when no printed number equals it."""
    target = _number(gold)
    if target is None:
        return None
    factor = yuan_factor(doc_unit) if doc_unit else Decimal(1)
    if factor is None:
        return None
    target = abs(target) / factor
    for text in texts:
        for m in re.finditer(NUMBER, text or ""):
            number = to_decimal(m.group())
            if number is not None and number == target:
                digits = m.group()
                return len(digits.split(".")[1]) if "." in digits else 0
    return None


def _rounded(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def score_field(
    name: str,
    found: FieldValue | None,
    gold: int | float | str,
    year: int | str | None = None,
    decimals: int | None = None,
    doc_unit: str | None = None,
) -> FieldScore:
    """Score the profile's ``found`` value of field ``name`` against ``gold`` for fiscal ``year`` (checked
    for per-year fields when given). ``decimals``: the gold's printed precision (default by kind: money 2,
    percent 2, counts 0), in ``doc_unit`` for money printed in 万元 etc. (default yuan)."""
    spec = field_spec(name)
    if found is None or found.status == "unknown" or found.value is None:
        return FieldScore(name, "missing", "unknown")
    if spec.per_year and year is not None and found.period != str(year):
        return FieldScore(name, "wrong", "period")
    if isinstance(gold, str):
        if not isinstance(found.value, str):
            return FieldScore(name, "wrong", "type")
        same = "".join(found.value.split()) == "".join(gold.split())
        return FieldScore(name, "right" if same else "wrong", "" if same else "value")
    want, got = _number(gold), _number(found.value)
    if want is None:
        raise ValueError(f"gold value of {name} is neither a number nor text: {gold!r}")
    if got is None:
        return FieldScore(name, "wrong", "type")
    scale = Decimal(1)
    if spec.kind == "money":
        factor = yuan_factor(found.unit)
        if factor is None:
            return FieldScore(name, "wrong", "unit")
        got *= factor
        doc_factor = yuan_factor(doc_unit) if doc_unit else Decimal(1)
        scale = doc_factor if doc_factor is not None else Decimal(1)
    elif spec.kind in _UNITS and found.unit not in _UNITS[spec.kind]:
        return FieldScore(name, "wrong", "unit")
    if (got < 0) != (want < 0) and got != 0 and want != 0:
        return FieldScore(name, "wrong", "sign")
    if spec.kind == "count":
        right = got == want
    else:
        places = decimals if decimals is not None else DEFAULT_DECIMALS.get(spec.kind, 2)
        right = _rounded(got / scale, places) == _rounded(want / scale, places)
    return FieldScore(name, "right" if right else "wrong", "" if right else "value")


def evidence_verbatim(found: FieldValue, chunks: Sequence[Chunk], paged: bool) -> bool:
    """Whether ``found`` has evidence and each of its quotes is a verbatim substring of a stored passage of
    its document and page (which a paged document, a PDF, must give)."""
    if not found.evidence:
        return False
    texts: dict[tuple[str, int | None], list[str]] = {}
    for chunk in chunks:
        texts.setdefault((chunk.doc, chunk.page), []).append(chunk.text)
    for citation in found.evidence:
        if paged and citation.page is None:
            return False
        quote = citation.quote
        if not quote.strip() or not any(
            quote in text for text in texts.get((citation.doc, citation.page), [])
        ):
            return False
    return True


def tally(scores: Iterable[FieldScore]) -> dict[Outcome, int]:
    """right / wrong / missing counts."""
    counts: dict[Outcome, int] = dict.fromkeys(OUTCOMES, 0)
    for score in scores:
        counts[score.outcome] += 1
    return counts
