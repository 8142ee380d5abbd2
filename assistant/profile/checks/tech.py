"""The 科技部 (MOST) rules: 高新技术企业 (HNTE: registration, core IP, technical staff, R&D intensity by
revenue band, high-tech revenue share, or a valid certificate) and 科技型中小企业 (tech-based SME: size
limits, then a direct pass or a score of tech staff, R&D ratio and IP)."""

from __future__ import annotations

from assistant.profile.checks.base import (
    Evaluation,
    Facts,
    band,
    not_applicable,
    staff_ratio,
    sum_ratio,
    years_back,
)
from assistant.profile.schema import Check

HNTE = ("高新技术企业 (HNTE)", "高新技术企业认定管理办法 国科发火〔2016〕32号 (2016)")
TSME = ("科技型中小企业 (tech-based SME)", "科技型中小企业评价办法 国科发政〔2022〕67号 (2022 revision)")


def check_hnte(facts: Facts) -> Check:
    na = not_applicable(HNTE, facts)
    if na:
        return na
    ev = Evaluation(facts)
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
    staff = staff_ratio(ev)
    ev.criterion(
        "technical staff ≥ 10% of employees (R&D staff as a lower bound)",
        True if staff is not None and staff >= 10 else None,
    )
    years = years_back(facts, 3)
    if age is not None and 0 < age < 3:
        years = years[: max(1, int(age) + 1)]
    ratio, _, _ = sum_ratio(ev, years, "rd_expense", "revenue")
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


def check_tsme(facts: Facts) -> Check:
    na = not_applicable(TSME, facts)
    if na:
        return na
    ev = Evaluation(facts)
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
    tech = staff_ratio(ev)
    rd = ev.use("rd_ratio", year) if year else ev.use("rd_ratio")
    if rd is None and year:
        a, b = facts.num("rd_expense", year), facts.num("revenue", year)
        if a is not None and b:
            rd = round(100 * a / b, 2)
            ev.note(f"rd_ratio[{year}] (computed)", rd)
            ev.missing.remove(f"rd_ratio[{year}]")
    inv = facts.num("invention_patents")
    class2 = [facts.num(n) for n in ("utility_model_patents", "design_patents", "software_copyrights")]
    tech_score = None if tech is None else band(tech, [(30, 20), (25, 16), (20, 12), (15, 8), (10, 4)])
    rd_score = None if rd is None else band(rd, [(6, 50), (5, 40), (4, 30), (3, 20), (2, 10)])
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
        ip_score = None if not known and inv is None else band(n2, [(4, 24), (3, 18), (2, 12), (1, 6)])
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
