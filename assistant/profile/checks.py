"""Qualification rules of DOMAIN.md computed from profile fields: ``pass``, ``fail`` or ``unknown``.

Each check lists the inputs it used (value, unit, period) and the inputs the documents do not give. A
criterion that cannot be decided makes the check ``unknown`` unless another criterion already fails.
The Chinese qualifications apply to enterprises registered in mainland China with figures in CNY;
for others every check is ``unknown`` with that reason. Proxies are named in the explanation (R&D
staff for 科技人员, founding date for years in the niche, total revenue for main-business revenue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.profile.numbers import DateMention
from assistant.profile.schema import Check, FieldValue, Qualification, Round
from assistant.text.cjk import HAN

WAN = 10_000
YI = 100_000_000

HNTE = ("高新技术企业 (HNTE)", "高新技术企业认定管理办法 国科发火〔2016〕32号 (2016)")
TSME = ("科技型中小企业 (tech-based SME)", "科技型中小企业评价办法 国科发政〔2022〕67号 (2022 revision)")
ZJTX = (
    "专精特新中小企业 (specialised SME)",
    "优质中小企业梯度培育管理暂行办法 工信部企业〔2022〕63号 (2022)",
)
GIANT = ('专精特新"小巨人" (little giant)', "优质中小企业梯度培育管理暂行办法 工信部企业〔2022〕63号 (2022)")
STAR = ("科创属性 (STAR Market)", "科创属性评价指引（试行） amended 2024-04-30")


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
        return code is not None or bool(
            name and isinstance(name.value, str) and re.search(r"[" + HAN + r"]", name.value)
        )

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
class _Eval:
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


def _fmt_money(x: float) -> str:
    return f"¥{x / WAN:,.2f}万" if abs(x) < YI else f"¥{x / YI:,.4f}亿"


def _not_applicable(name: tuple[str, str], facts: Facts) -> Check | None:
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


def _years_back(facts: Facts, n: int) -> list[str]:
    latest = facts.latest_year
    if latest is None:
        return []
    return [str(int(latest) - k) for k in range(n)]


def _sum_ratio(
    ev: _Eval, years: list[str], num: str, den: str
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


def _staff_ratio(ev: _Eval) -> float | None:
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


def check_hnte(facts: Facts) -> Check:
    na = _not_applicable(HNTE, facts)
    if na:
        return na
    ev = _Eval(facts)
    cert = facts.holds("高新技术企业")
    age = facts.age_years()
    ev.use("founded")
    ev.criterion("registered ≥ 1 year", None if age is None else age >= 1)
    ip = [
        ev.facts.num(n)
        for n in ("invention_patents", "utility_model_patents", "design_patents", "software_copyrights")
    ]
    known = [x for x in ip if x is not None]
    for n in ("invention_patents", "utility_model_patents", "software_copyrights"):
        if ev.facts.num(n) is not None:
            ev.use(n)
    if not known:
        ev.missing.append("patents / software copyrights")
    ev.criterion("owns core IP", True if any(x > 0 for x in known) else (False if len(known) == 4 else None))
    staff = _staff_ratio(ev)
    ev.criterion(
        "technical staff ≥ 10% of employees (R&D staff as a lower bound)",
        True if staff is not None and staff >= 10 else None,
    )
    years = _years_back(facts, 3)
    if age is not None and 0 < age < 3:
        years = years[: max(1, int(age) + 1)]
    ratio, _, _ = _sum_ratio(ev, years, "rd_expense", "revenue")
    latest_rev = ev.facts.num("revenue", years[0]) if years else None
    threshold = (
        None
        if latest_rev is None
        else (5.0 if latest_rev <= 50_000_000 else 4.0 if latest_rev <= 200_000_000 else 3.0)
    )
    if ratio is not None and threshold is not None:
        ev.note("rd_ratio_3y (computed)", round(ratio, 2))
        ev.note("rd_ratio_threshold", threshold)
    ev.criterion(
        f"R&D over {len(years) or 3} years / sales ≥ {threshold or '3–5'}%",
        None if ratio is None or threshold is None else ratio >= threshold,
    )
    share = ev.use("core_tech_revenue_share")
    ev.criterion("high-tech product revenue ≥ 60% of total", None if share is None else share >= 60)
    if cert:
        ev.note(
            "certificate",
            {"number": cert.number, "issued": cert.issued, "expires": cert.expires, "status": cert.status},
        )
        return Check(
            name=HNTE[0],
            rule_version=HNTE[1],
            result="pass",
            inputs=ev.inputs,
            missing=ev.missing,
            explanation=f"Holds a valid certificate ({cert.number or 'number not stated'}, expires "
            f"{cert.expires or 'unknown'}). Criteria for re-recognition — " + ev.explain(),
        )
    expired = next(
        (q for q in facts.qualifications if "高新技术企业" in q.name and q.status == "expired"), None
    )
    prefix = (
        f"Certificate expired {expired.expires}; criteria:" if expired else "No valid certificate; criteria:"
    )
    return Check(
        name=HNTE[0],
        rule_version=HNTE[1],
        result=ev.outcome(),
        inputs=ev.inputs,
        missing=ev.missing,
        explanation=ev.explain(prefix) + " (The ≥ 60% of R&D spent in China is not verified.)",
    )


def _band(value: float, bands: list[tuple[float, int]]) -> int:
    for floor, score in bands:
        if value >= floor:
            return score
    return 0


def check_tsme(facts: Facts) -> Check:
    na = _not_applicable(TSME, facts)
    if na:
        return na
    ev = _Eval(facts)
    year = facts.latest_year
    staff = ev.use("employees")
    rev = ev.use("revenue", year) if year else ev.use("revenue")
    assets = ev.use("total_assets", year) if year else ev.use("total_assets")
    ev.criterion("≤ 500 staff", None if staff is None else staff <= 500)
    ev.criterion("revenue ≤ ¥200M", None if rev is None else rev <= 200_000_000)
    ev.criterion("total assets ≤ ¥200M", None if assets is None else assets <= 200_000_000)
    size = ev.outcome()
    direct: list[str] = []
    if facts.holds("高新技术企业"):
        direct.append("valid HNTE certificate")
    for q in facts.qualifications:
        if q.kind == "rd_platform" and q.level in ("national", "provincial"):
            direct.append(f"{q.level} R&D institution {q.name}")
        if q.kind == "standard" and q.led and q.level in ("national", "industry", "international"):
            direct.append(f"led a {q.level} standard")
    if direct:
        ev.note("direct_conditions", direct)
    tech = _staff_ratio(ev)
    rd = ev.use("rd_ratio", year) if year else ev.use("rd_ratio")
    if rd is None and year:
        a, b = facts.num("rd_expense", year), facts.num("revenue", year)
        if a is not None and b:
            rd = round(100 * a / b, 2)
            ev.note(f"rd_ratio[{year}] (computed)", rd)
            ev.missing.remove(f"rd_ratio[{year}]")
    inv = facts.num("invention_patents")
    class2 = [facts.num(n) for n in ("utility_model_patents", "design_patents", "software_copyrights")]
    tech_score = None if tech is None else _band(tech, [(30, 20), (25, 16), (20, 12), (15, 8), (10, 4)])
    rd_score = None if rd is None else _band(rd, [(6, 50), (5, 40), (4, 30), (3, 20), (2, 10)])
    ip_score: int | None
    if inv is not None and inv >= 1:
        ev.use("invention_patents")
        ip_score = 30
    else:
        known = [x for x in class2 if x is not None]
        n2 = sum(known)
        for n in ("utility_model_patents", "design_patents", "software_copyrights"):
            if facts.num(n) is not None:
                ev.use(n)
        ip_score = None if not known and inv is None else _band(n2, [(4, 24), (3, 18), (2, 12), (1, 6)])
        if inv is None:
            ev.missing.append("invention_patents")
            ip_score = None if ip_score is None or ip_score < 30 else ip_score
    scores = {"tech_staff": tech_score, "rd_ratio": rd_score, "ip": ip_score}
    ev.note("scores", scores)
    lo = sum(s or 0 for s in scores.values())
    # R&D staff are only part of 科技人员: their score is a lower bound of the tech-staff score
    hi = 20 + (rd_score if rd_score is not None else 50) + (ip_score if ip_score is not None else 30)
    if size == "fail":
        result = "fail"
        why = "exceeds the size limits"
    elif direct:
        result = "pass" if size == "pass" else "unknown"
        why = "direct pass: " + ", ".join(direct)
    elif lo >= 60 and tech_score:
        result = "pass" if size == "pass" else "unknown"
        why = f"score {lo} ≥ 60"
    elif hi < 60:
        result = "fail"
        why = f"score at most {hi} < 60"
    else:
        result = "unknown"
        why = f"score between {lo} and {hi}"
    return Check(
        name=TSME[0],
        rule_version=TSME[1],
        result=result,
        inputs=ev.inputs,
        missing=ev.missing,
        explanation=ev.explain("Size:") + f" Score: tech staff {tech_score}, R&D {rd_score}, IP {ip_score} "
        f"(R&D staff share used for 科技人员). Result: {why}.",
    )


def check_zjtx(facts: Facts) -> Check:
    na = _not_applicable(ZJTX, facts)
    if na:
        return na
    ev = _Eval(facts)
    age = facts.age_years()
    ev.use("founded")
    ev.criterion("≥ 2 years in its niche (years since founding)", None if age is None else age >= 2)
    year = facts.latest_year
    rd = ev.use("rd_expense", year) if year else None
    rev = ev.use("revenue", year) if year else None
    ev.criterion("prior-year R&D ≥ ¥1M", None if rd is None else rd >= 1_000_000)
    ratio = None if rd is None or not rev else 100 * rd / rev
    if ratio is not None:
        ev.note(f"rd_ratio[{year}] (computed)", round(ratio, 2))
    ev.criterion("prior-year R&D ≥ 3% of revenue", None if ratio is None else ratio >= 3)
    raised = _equity_raised(facts, 2)
    ok_rev = None if rev is None else rev >= 10_000_000
    if ok_rev is False and raised is not None and raised >= 20_000_000:
        ok_rev = True
    ev.criterion("revenue ≥ ¥10M (or ≥ ¥20M new equity in 2 years)", ok_rev)
    return Check(
        name=ZJTX[0],
        rule_version=ZJTX[1],
        result=ev.outcome(),
        inputs=ev.inputs,
        missing=ev.missing,
        explanation=ev.explain(),
    )


def _equity_raised(facts: Facts, years: int) -> float | None:
    """CNY raised in equity rounds dated within the last ``years`` years (None if none is dated)."""
    total = 0.0
    found = False
    for r in facts.rounds:
        if r.date and r.amount is not None and r.currency == "CNY":
            when = DateMention(iso=r.date, raw="", start=0, end=0).as_date()
            if (facts.today - when).days <= 365.25 * years:
                total += float(r.amount)
                found = True
    return total if found else None


def check_giant(facts: Facts) -> Check:
    na = _not_applicable(GIANT, facts)
    if na:
        return na
    ev = _Eval(facts)
    age = facts.age_years()
    ev.use("founded")
    ev.criterion("≥ 3 years in its niche (years since founding)", None if age is None else age >= 3)
    share = ev.use("main_business_share")
    ev.criterion("main business ≥ 70% of revenue", None if share is None else share >= 70)
    ys = _years_back(facts, 3)
    revs = [facts.num("revenue", y) for y in ys]
    for y in ys:
        ev.use("revenue", y)
    if len(revs) == 3 and all(r is not None and r > 0 for r in revs):
        r0, r1, r2 = (float(r) for r in revs)  # type: ignore[arg-type]
        growth = 100 * ((r0 / r1 - 1) + (r1 / r2 - 1)) / 2
        ev.note("avg_growth_2y (computed, total revenue)", round(growth, 2))
        ev.criterion("2-year average main-business growth ≥ 5% (total revenue)", growth >= 5)
    else:
        ev.criterion("2-year average main-business growth ≥ 5% (total revenue)", None)
    debt = ev.use("debt_ratio", ys[0]) if ys else ev.use("debt_ratio")
    if debt is None and ys:
        a, b = facts.num("total_liabilities", ys[0]), facts.num("total_assets", ys[0])
        if a is not None and b:
            debt = round(100 * a / b, 2)
            ev.note(f"debt_ratio[{ys[0]}] (computed)", debt)
            ev.missing.remove(f"debt_ratio[{ys[0]}]")
    ev.criterion("debt ratio ≤ 70%", None if debt is None else debt <= 70)
    latest_rev = revs[0] if revs else None
    rd_ok: bool | None = None
    if latest_rev is not None:
        need = 3.0 if latest_rev >= YI else (6.0 if latest_rev >= 50_000_000 else None)
        ratios = []
        for y in ys[:2]:
            r = facts.num("rd_ratio", y)
            if r is None:
                a, b = facts.num("rd_expense", y), facts.num("revenue", y)
                r = None if a is None or not b else 100 * a / b
            else:
                ev.use("rd_ratio", y)
            ratios.append(r)
        if need is not None and all(r is not None for r in ratios):
            rd_ok = all(r >= need for r in ratios if r is not None)
            ev.note("rd_ratio_threshold", need)
        elif need is None:
            ev.note("rd_rule", "revenue < ¥50M: the alternative R&D/financing criteria are not evaluated")
    ev.criterion(
        "R&D ≥ 3% (revenue ≥ ¥100M) / ≥ 6% (¥50M–¥100M) of revenue in each of the last 2 years", rd_ok
    )
    inv = ev.use("invention_patents")
    ev.criterion("≥ 2 Class-I IP items (invention patents)", None if inv is None else inv >= 2)
    return Check(
        name=GIANT[0],
        rule_version=GIANT[1],
        result=ev.outcome(),
        inputs=ev.inputs,
        missing=ev.missing,
        explanation=ev.explain(),
    )


def check_star(facts: Facts) -> Check:
    na = _not_applicable(STAR, facts)
    if na:
        return na
    ev = _Eval(facts)
    ys = _years_back(facts, 3)
    ratio, total_rd, _ = _sum_ratio(ev, ys, "rd_expense", "revenue")
    if ratio is not None:
        ev.note("rd_ratio_3y (computed)", round(ratio, 2))
        ev.note("rd_expense_3y (computed)", total_rd)
    ok_a = None if ratio is None else (ratio >= 5 or (total_rd or 0) >= 80_000_000)
    ev.criterion("R&D ≥ 5% of revenue over 3 years or ≥ ¥80M cumulative", ok_a)
    staff = _staff_ratio(ev)
    ev.criterion("R&D staff ≥ 10% of employees", None if staff is None else staff >= 10)
    inv = ev.use("invention_patents")
    ev.criterion(
        "≥ 7 invention patents (all assumed used in the main business)", None if inv is None else inv >= 7
    )
    revs = [facts.num("revenue", y) for y in ys]
    latest = revs[0] if revs else None
    cagr = None
    if len(revs) == 3 and all(r is not None and r > 0 for r in revs):
        cagr = 100 * ((float(revs[0]) / float(revs[2])) ** 0.5 - 1)  # type: ignore[arg-type]
        ev.note("revenue_cagr_3y (computed)", round(cagr, 2))
    if (cagr is not None and cagr >= 25) or (latest is not None and latest >= 300_000_000):
        ok_d: bool | None = True
    elif cagr is not None and latest is not None:
        ok_d = False
    else:
        ok_d = None
    ev.criterion("3-year revenue CAGR ≥ 25% or latest revenue ≥ ¥300M", ok_d)
    return Check(
        name=STAR[0],
        rule_version=STAR[1],
        result=ev.outcome(),
        inputs=ev.inputs,
        missing=ev.missing,
        explanation=ev.explain(),
    )


def run_checks(
    fields: dict[str, FieldValue],
    financials: dict[str, dict[str, FieldValue]],
    qualifications: list[Qualification],
    today: date,
    rounds: list[Round] | None = None,
) -> list[Check]:
    facts = Facts(
        fields=fields, financials=financials, qualifications=qualifications, today=today, rounds=rounds or []
    )
    return [check_hnte(facts), check_tsme(facts), check_zjtx(facts), check_giant(facts), check_star(facts)]
