"""The 工信部 (MIIT) tiered rules for SMEs: 专精特新中小企业 (specialised SME: years in the niche, R&D amount
and ratio, revenue or new equity) and 专精特新"小巨人" (little giant: niche years, main-business share,
growth, debt ratio, R&D ratio by revenue band, Class-I IP)."""

from __future__ import annotations

from assistant.profile.checks.base import Evaluation, Facts, not_applicable, years_back
from assistant.profile.schema import Check
from assistant.text.dates import DateMention

YI = 100_000_000

ZJTX = (
    "专精特新中小企业 (specialised SME)",
    "优质中小企业梯度培育管理暂行办法 工信部企业〔2022〕63号 (2022)",
)
GIANT = ('专精特新"小巨人" (little giant)', "优质中小企业梯度培育管理暂行办法 工信部企业〔2022〕63号 (2022)")


def check_zjtx(facts: Facts) -> Check:
    na = not_applicable(ZJTX, facts)
    if na:
        return na
    ev = Evaluation(facts)
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
    na = not_applicable(GIANT, facts)
    if na:
        return na
    ev = Evaluation(facts)
    age = facts.age_years()
    ev.use("founded")
    ev.criterion("≥ 3 years in its niche (years since founding)", None if age is None else age >= 3)
    share = ev.use("main_business_share")
    ev.criterion("main business ≥ 70% of revenue", None if share is None else share >= 70)
    ys = years_back(facts, 3)
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
