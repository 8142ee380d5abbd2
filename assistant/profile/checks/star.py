"""科创属性 (STAR Market): R&D intensity or amount over 3 years, R&D staff share, invention patents, and
revenue growth or size."""

from __future__ import annotations

from assistant.profile.checks.base import (
    Evaluation,
    Facts,
    not_applicable,
    staff_ratio,
    sum_ratio,
    years_back,
)
from assistant.profile.schema import Check

STAR = ("科创属性 (STAR Market)", "科创属性评价指引（试行） amended 2024-04-30")


def check_star(facts: Facts) -> Check:
    na = not_applicable(STAR, facts)
    if na:
        return na
    ev = Evaluation(facts)
    ys = years_back(facts, 3)
    ratio, total_rd, _ = sum_ratio(ev, ys, "rd_expense", "revenue")
    if ratio is not None:
        ev.note("rd_ratio_3y (computed)", round(ratio, 2))
        ev.note("rd_expense_3y (computed)", total_rd)
    ok_a = None if ratio is None else (ratio >= 5 or (total_rd or 0) >= 80_000_000)
    ev.criterion("R&D ≥ 5% of revenue over 3 years or ≥ ¥80M cumulative", ok_a)
    staff = staff_ratio(ev)
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
