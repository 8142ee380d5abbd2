"""Credit signals and red flags of DOMAIN.md, each with the evidence it rests on.

Thresholds: a single customer > 50% of revenue or top-5 > 80% (concentration); runway < 12 months
while losing money; 扣非 profit < 70% of reported profit; operating cash flow below net profit;
government subsidies > 30% of net profit (or any subsidy while loss-making); receivables growing
faster than revenue; debt ratio > 70%; qualifications expired or expiring within 180 days;
lawsuits as defendant, court listings; contradicting documents; pledges, related-party transactions,
working-capital deficits.
"""

from __future__ import annotations

from datetime import date

from assistant.profile.candidates import Fact
from assistant.profile.numbers import DateMention
from assistant.profile.schema import Conflict, FieldValue, Lawsuit, Qualification, Round, Signal, Source


def _ev(*values: FieldValue | None) -> list[Source]:
    out: list[Source] = []
    for fv in values:
        if fv is not None:
            for src in fv.evidence[:2]:
                if src not in out:
                    out.append(src)
    return out


def _num(fv: FieldValue | None) -> float | None:
    if fv is None or fv.status == "unknown" or not isinstance(fv.value, int | float):
        return None
    return float(fv.value)


def _money(x: float, unit: str | None) -> str:
    if unit == "CNY":
        return f"¥{x / 1e4:,.2f}万" if abs(x) < 1e8 else f"¥{x / 1e8:,.2f}亿"
    sym = {"USD": "$", "EUR": "€", "GBP": "£"}.get(unit or "", (unit or "") + " ")
    return f"{sym}{x / 1e6:,.2f}M"


def _years(financials: dict[str, dict[str, FieldValue]], name: str) -> list[tuple[str, FieldValue]]:
    return [(y, v[name]) for y, v in sorted(financials.items()) if name in v and _num(v[name]) is not None]


def compute_signals(
    fields: dict[str, FieldValue],
    financials: dict[str, dict[str, FieldValue]],
    qualifications: list[Qualification],
    lawsuits: list[Lawsuit],
    rounds: list[Round],
    conflicts: list[Conflict],
    facts: list[Fact],
    today: date,
) -> list[Signal]:
    out: list[Signal] = []
    f = fields.get

    # growth
    revs = _years(financials, "revenue")
    if len(revs) >= 2:
        (y0, a), (y1, b) = revs[-2], revs[-1]
        growth = 100 * (_num(b) / _num(a) - 1) if _num(a) else None  # type: ignore[operator]
        if growth is not None:
            text = f"Revenue {y1} vs {y0}: {growth:+.1f}%"
            if len(revs) >= 3:
                ys, first = revs[0]
                n = int(y1) - int(ys)
                if n > 0 and _num(first):
                    cagr = 100 * ((_num(b) / _num(first)) ** (1 / n) - 1)  # type: ignore[operator]
                    text += f"; CAGR {ys}–{y1}: {cagr:.1f}%"
            out.append(
                Signal(
                    name="revenue_growth",
                    kind="signal",
                    severity="info" if growth >= 0 else "warning",
                    value=round(growth, 2),
                    explanation=text + ".",
                    evidence=_ev(a, b),
                )
            )
    gms = _years(financials, "gross_margin")
    if gms:
        y, gm = gms[-1]
        text = f"Gross margin {y}: {_num(gm):.2f}%"
        if len(gms) >= 2:
            text += f" ({gms[-2][0]}: {_num(gms[-2][1]):.2f}%)"
        out.append(
            Signal(
                name="gross_margin", kind="signal", value=_num(gm), explanation=text + ".", evidence=_ev(gm)
            )
        )

    # profit quality
    np_, excl, ocf = f("net_profit"), f("net_profit_excl_nonrecurring"), f("operating_cash_flow")
    npv, exv, ocv = _num(np_), _num(excl), _num(ocf)
    if npv is not None and npv < 0:
        out.append(
            Signal(
                name="loss_making",
                kind="signal",
                severity="warning",
                value=npv,
                explanation=f"Net loss of {_money(-npv, np_.unit if np_ else None)} in {np_.period if np_ else '?'}.",
                evidence=_ev(np_),
            )
        )
    if npv is not None and exv is not None and npv > 0:
        ratio = exv / npv
        flag = ratio < 0.7
        out.append(
            Signal(
                name="profit_quality_non_recurring",
                kind="red_flag" if flag else "signal",
                severity="warning" if flag else "info",
                value=round(100 * ratio, 1),
                explanation=f"扣非 profit is {100 * ratio:.0f}% of reported net profit"
                + (" — a large share of profit is non-recurring." if flag else "."),
                evidence=_ev(np_, excl),
            )
        )
    if npv is not None and ocv is not None and npv > 0:
        if ocv < 0:
            out.append(
                Signal(
                    name="cash_flow_vs_profit",
                    kind="red_flag",
                    severity="warning",
                    value=ocv,
                    explanation="Operating cash flow is negative while the company reports a profit.",
                    evidence=_ev(np_, ocf),
                )
            )
        else:
            ratio = ocv / npv
            out.append(
                Signal(
                    name="cash_flow_vs_profit",
                    kind="signal",
                    severity="warning" if ratio < 0.5 else "info",
                    value=round(ratio, 2),
                    explanation=f"Operating cash flow is {ratio:.2f}× net profit"
                    + (" (profit is not turning into cash)." if ratio < 0.5 else "."),
                    evidence=_ev(np_, ocf),
                )
            )

    # runway
    cash, stated = f("cash"), f("cash_runway_months")
    cv, sv = _num(cash), _num(stated)
    burning = (ocv is not None and ocv < 0) or (npv is not None and npv < 0)
    if burning:
        months = None
        evidence = _ev(cash, ocf)
        how = ""
        if cv is not None and ocv is not None and ocv < 0 and cash and ocf and cash.unit == ocf.unit:
            months = cv / (-ocv / 12)
            how = f"cash {_money(cv, cash.unit)} / monthly operating burn {_money(-ocv / 12, ocf.unit)}"
        elif sv is not None:
            months = sv
            evidence = _ev(stated)
            how = "as stated"
        if months is None:
            out.append(
                Signal(
                    name="cash_runway",
                    kind="red_flag",
                    severity="warning",
                    explanation="Loss-making or burning cash, and the documents do not give cash and burn to "
                    "compute a runway.",
                    evidence=_ev(np_, ocf),
                )
            )
        else:
            short = months < 12
            out.append(
                Signal(
                    name="cash_runway",
                    kind="red_flag" if short else "signal",
                    severity="high" if short else "info",
                    value=round(months, 1),
                    explanation=f"Cash runway about {months:.0f} months ({how})"
                    + (
                        "; losses with less than 12 months of runway."
                        if short
                        else "; ≥ 12 months is comfortable."
                    ),
                    evidence=evidence,
                )
            )

    # receivables vs revenue
    ars = _years(financials, "accounts_receivable")
    if len(ars) >= 2 and len(revs) >= 2:
        (ya0, ar0), (ya1, ar1) = ars[-2], ars[-1]
        rev_by_year = dict(revs)
        if ya0 in rev_by_year and ya1 in rev_by_year:
            g_ar = _num(ar1) / _num(ar0) - 1  # type: ignore[operator]
            g_rev = _num(rev_by_year[ya1]) / _num(rev_by_year[ya0]) - 1  # type: ignore[operator]
            flag = g_ar > g_rev
            out.append(
                Signal(
                    name="receivables_vs_revenue",
                    kind="red_flag" if flag else "signal",
                    severity="warning" if flag else "info",
                    value=round(100 * g_ar, 1),
                    explanation=f"Receivables {100 * g_ar:+.1f}% vs revenue {100 * g_rev:+.1f}% ({ya0}→{ya1})"
                    + (": receivables grow faster than revenue." if flag else "."),
                    evidence=_ev(ar0, ar1, rev_by_year[ya0], rev_by_year[ya1]),
                )
            )

    # leverage
    debt = f("debt_ratio")
    dv = _num(debt)
    if dv is None:
        ta, tl = f("total_assets"), f("total_liabilities")
        if _num(ta) and _num(tl) is not None and ta and tl and ta.period == tl.period:
            dv = 100 * _num(tl) / _num(ta)  # type: ignore[operator]
            debt_ev = _ev(ta, tl)
        else:
            debt_ev = []
    else:
        debt_ev = _ev(debt)
    if dv is not None:
        flag = dv > 70
        out.append(
            Signal(
                name="debt_ratio",
                kind="red_flag" if flag else "signal",
                severity="warning" if flag else "info",
                value=round(dv, 2),
                explanation=f"Debt ratio {dv:.2f}%" + (" (> 70%)." if flag else "."),
                evidence=debt_ev,
            )
        )

    # customer concentration
    top1, top5 = f("top1_customer_share"), f("top5_customer_share")
    t1, t5 = _num(top1), _num(top5)
    if t1 is not None:
        flag = t1 > 50
        out.append(
            Signal(
                name="customer_concentration_top1",
                kind="red_flag" if flag else "signal",
                severity="high" if flag else "info",
                value=t1,
                explanation=f"Largest customer {t1:.2f}% of revenue"
                + (" — major dependence on a single customer (> 50%)." if flag else "."),
                evidence=_ev(top1),
            )
        )
    if t5 is not None:
        flag = t5 > 80
        out.append(
            Signal(
                name="customer_concentration_top5",
                kind="red_flag" if flag else "signal",
                severity="high" if flag else "info",
                value=t5,
                explanation=f"Top-5 customers {t5:.2f}% of revenue" + (" (> 80%)." if flag else "."),
                evidence=_ev(top5),
            )
        )

    # subsidies
    sub = f("government_subsidies")
    subv = _num(sub)
    if subv is not None and subv > 0 and npv is not None:
        if npv <= 0:
            out.append(
                Signal(
                    name="subsidy_dependence",
                    kind="red_flag",
                    severity="warning",
                    value=subv,
                    explanation=f"Government subsidies of {_money(subv, sub.unit if sub else None)} while loss-making.",
                    evidence=_ev(sub, np_),
                )
            )
        else:
            share = 100 * subv / npv
            flag = share > 30
            out.append(
                Signal(
                    name="subsidy_dependence",
                    kind="red_flag" if flag else "signal",
                    severity="warning" if flag else "info",
                    value=round(share, 1),
                    explanation=f"Government subsidies are {share:.0f}% of net profit"
                    + (" (> 30%)." if flag else "."),
                    evidence=_ev(sub, np_),
                )
            )

    # R&D capitalisation
    cap, rd = f("rd_capitalised"), f("rd_expense")
    if _num(cap) is not None and _num(rd) and cap and rd and cap.period == rd.period:
        share = 100 * _num(cap) / _num(rd)  # type: ignore[operator]
        flag = share > 30
        out.append(
            Signal(
                name="rd_capitalisation",
                kind="red_flag" if flag else "signal",
                severity="warning" if flag else "info",
                value=round(share, 1),
                explanation=f"{share:.0f}% of R&D capitalised" + (" — aggressive." if flag else "."),
                evidence=_ev(cap, rd),
            )
        )

    # qualifications
    for q in qualifications:
        if q.kind in ("rd_platform", "standard"):
            continue
        if q.status == "expired":
            out.append(
                Signal(
                    name="qualification_expired",
                    kind="red_flag",
                    severity="warning",
                    value=q.name,
                    explanation=f"{q.name} expired on {q.expires}.",
                    evidence=q.evidence[:3],
                )
            )
        elif q.status == "expiring":
            out.append(
                Signal(
                    name="qualification_expiring",
                    kind="red_flag",
                    severity="warning",
                    value=q.name,
                    explanation=f"{q.name} expires on {q.expires} (within 180 days of {today.isoformat()}).",
                    evidence=q.evidence[:3],
                )
            )

    # legal
    for suit in lawsuits:
        amount = f" {_money(float(suit.amount), suit.currency)}" if suit.amount is not None else ""
        if suit.kind != "lawsuit":
            out.append(
                Signal(
                    name=suit.kind,
                    kind="red_flag",
                    severity="warning" if suit.closed else "high",
                    value=suit.amount,
                    evidence=suit.evidence[:3],
                    explanation=f"{suit.kind.replace('_', ' ')}{amount} ({suit.date or 'date not stated'})"
                    + (", since closed" if suit.closed else "")
                    + ".",
                )
            )
        elif suit.role == "defendant":
            out.append(
                Signal(
                    name="lawsuit_defendant",
                    kind="red_flag",
                    severity="warning",
                    value=suit.amount,
                    evidence=suit.evidence[:3],
                    explanation=f"Defendant in {suit.cause or 'a lawsuit'}{amount}; status: {suit.status or 'not stated'}.",
                )
            )
        else:
            out.append(
                Signal(
                    name="lawsuit",
                    kind="signal",
                    severity="info",
                    value=suit.amount,
                    evidence=suit.evidence[:3],
                    explanation=f"{suit.role.capitalize()} in {suit.cause or 'a lawsuit'}{amount}; "
                    f"status: {suit.status or 'not stated'}.",
                )
            )

    # contradictions
    for c in conflicts:
        chosen = c.values[0]
        others = ", ".join(f"{v.raw} ({v.doc})" for v in c.values[1:])
        out.append(
            Signal(
                name="documents_contradict",
                kind="red_flag",
                severity="warning",
                value=c.field,
                explanation=f"{c.field} {c.period or ''}: {others} vs {chosen.raw} ({chosen.doc}).",
                evidence=[Source(doc=v.doc, page=v.page, quote=v.quote) for v in c.values],
            )
        )

    # qualitative facts
    names = {
        "ip_pledge": ("ip_pledged", "signal", "info", "Patents are pledged (IP already encumbered)."),
        "equity_pledge": ("equity_pledge", "red_flag", "warning", "Equity is pledged."),
        "related_party_transaction": (
            "related_party_transaction",
            "red_flag",
            "warning",
            "Related-party transactions.",
        ),
        "founder_held_patents": (
            "founder_held_patents",
            "red_flag",
            "warning",
            "Patents held by founders, not the company.",
        ),
        "unpaid_tax": ("unpaid_tax", "red_flag", "high", "Unpaid tax."),
        "working_capital_deficit": (
            "working_capital_deficit",
            "red_flag",
            "warning",
            "Current liabilities exceed current assets.",
        ),
        "going_concern_doubt": ("going_concern_doubt", "red_flag", "high", "Auditor's going-concern doubt."),
        "legal_rep_change": (
            "legal_representative_change",
            "red_flag",
            "warning",
            "Change of legal representative.",
        ),
    }
    grouped: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact.name in names:
            grouped.setdefault(fact.name, []).append(fact)
    for key, items in grouped.items():
        name, kind, severity, text = names[key]
        evidence = [s for item in items for s in item.evidence][:3]
        value = next((item.value for item in items if item.value is not None), None)
        out.append(
            Signal(name=name, kind=kind, severity=severity, value=value, explanation=text, evidence=evidence)
        )

    # financing
    dated = [r for r in rounds if r.date]
    if dated:
        last = max(dated, key=lambda r: r.date or "")
        when = DateMention(iso=last.date or "", raw="", start=0, end=0).as_date()
        months = max(0.0, (today - when).days / 30.4)
        amount = f" of {_money(float(last.amount), last.currency)}" if last.amount is not None else ""
        lead = f" led by {', '.join(last.lead_investors)}" if last.lead_investors else ""
        out.append(
            Signal(
                name="recent_equity_financing" if months <= 24 else "last_equity_financing",
                kind="signal",
                value=last.date,
                evidence=last.evidence[:2],
                explanation=f"{last.round}{amount}{lead} ({last.date}, {months:.0f} months before {today.isoformat()}).",
            )
        )
    inv = f("invention_patents")
    if _num(inv):
        out.append(
            Signal(
                name="pledgeable_ip",
                kind="signal",
                value=_num(inv),
                evidence=_ev(inv),
                explanation=f"{_num(inv):.0f} invention patents (candidates for an IP-pledge loan).",
            )
        )
    return out
