"""What every qualification check reads and writes: :class:`Facts` (a profile's values, per year),
:class:`Evaluation` (the criteria of one check, the inputs used and the inputs missing), and the helpers
the rules share — the not-applicable verdict for companies outside mainland China or not in CNY, the
last n fiscal years, ratios summed over years, and the R&D staff share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.profile.schema import Check, FieldValue, Qualification, Round
from assistant.text.cjk import has_han
from assistant.text.dates import DateMention


@dataclass
class Facts:
    """Read access to a profile's values for the checks."""

    fields: dict[str, FieldValue]
    financials: dict[str, dict[str, FieldValue]]
    qualifications: list[Qualification]
    today: date
    rounds: list[Round] = field(default_factory=list)

    def num(self, name: str, year: str | None = None) -> float | None:
        fv = self.financials.get(year, {}).get(name) if year else self.fields.get(name)
        if fv is None or fv.status == "unknown" or not isinstance(fv.value, int | float):
            return None
        return float(fv.value)

    def fv(self, name: str, year: str | None = None) -> FieldValue | None:
        fv = self.financials.get(year, {}).get(name) if year else self.fields.get(name)
        return fv if fv is not None and fv.status != "unknown" else None

    @property
    def latest_year(self) -> str | None:
        years = [y for y, v in self.financials.items() if "revenue" in v]
        return max(years) if years else None

    @property
    def currency(self) -> str | None:
        rev = self.fv("revenue")
        return rev.unit if rev else None

    @property
    def prc(self) -> bool:
        code = self.fv("unified_social_credit_code")
        name = self.fv("legal_name")
        return code is not None or bool(name and isinstance(name.value, str) and has_han(name.value))

    def age_years(self) -> float | None:
        fv = self.fv("founded")
        if fv is None or not isinstance(fv.value, str):
            return None
        founded = DateMention(iso=fv.value, raw="", start=0, end=0).as_date(end_of_period=True)
        return (self.today - founded).days / 365.25

    def holds(self, key: str) -> Qualification | None:
        for q in self.qualifications:
            if key in q.name and q.status in ("valid", "expiring"):
                return q
        return None


@dataclass
class Evaluation:
    """Collects criteria results of one check."""

    facts: Facts
    inputs: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    results: list[tuple[str, str]] = field(default_factory=list)  # (criterion text, pass|fail|unknown)

    def use(self, name: str, year: str | None = None) -> float | None:
        fv = self.facts.fv(name, year)
        key = f"{name}[{year}]" if year else name
        if fv is None:
            if key not in self.missing:
                self.missing.append(key)
            return None
        self.inputs[key] = {"value": fv.value, "unit": fv.unit, "period": fv.period}
        return float(fv.value) if isinstance(fv.value, int | float) else None

    def note(self, key: str, value: Any) -> None:
        self.inputs[key] = value

    def criterion(self, text: str, ok: bool | None) -> None:
        self.results.append((text, "unknown" if ok is None else ("pass" if ok else "fail")))

    def outcome(self) -> str:
        states = [r for _, r in self.results]
        if "fail" in states:
            return "fail"
        if states and all(s == "pass" for s in states):
            return "pass"
        return "unknown"

    def explain(self, prefix: str = "") -> str:
        parts = [f"{text}: {state}" for text, state in self.results]
        return (prefix + " " if prefix else "") + "; ".join(parts) + "."


def not_applicable(name: tuple[str, str], facts: Facts) -> Check | None:
    if facts.prc and facts.currency in (None, "CNY"):
        return None
    why = (
        "the company is not registered in mainland China (no unified social credit code, no Chinese legal name)"
        if not facts.prc
        else f"its figures are in {facts.currency}, the rule's thresholds are in CNY"
    )
    return Check(
        name=name[0],
        rule_version=name[1],
        result="unknown",
        missing=["registration in mainland China with CNY figures"],
        explanation=f"Not evaluated: {why}.",
    )


def years_back(facts: Facts, n: int) -> list[str]:
    latest = facts.latest_year
    if latest is None:
        return []
    return [str(int(latest) - k) for k in range(n)]


def sum_ratio(
    ev: Evaluation, years: list[str], num: str, den: str
) -> tuple[float | None, float | None, float | None]:
    """(ratio %, sum of num, sum of den) over the years, or None when any year is missing."""
    total_n = total_d = 0.0
    complete = True
    for y in years:
        a, b = ev.use(num, y), ev.use(den, y)
        if a is None or b is None:
            complete = False
        else:
            total_n += a
            total_d += b
    if not complete or total_d <= 0:
        return None, None, None
    return 100 * total_n / total_d, total_n, total_d


def staff_ratio(ev: Evaluation) -> float | None:
    ratio = ev.use("rd_staff_ratio")
    if ratio is not None:
        return ratio
    staff, total = ev.facts.num("rd_staff"), ev.facts.num("employees")
    if staff is not None and total:
        ev.use("rd_staff")
        ev.use("employees")
        if "rd_staff_ratio" in ev.missing:
            ev.missing.remove("rd_staff_ratio")
        value = round(100 * staff / total, 2)
        ev.note("rd_staff_ratio (computed rd_staff / employees)", value)
        return value
    return None


def band(value: float, bands: list[tuple[float, int]]) -> int:
    for floor, score in bands:
        if value >= floor:
            return score
    return 0
