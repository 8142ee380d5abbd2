"""Credit signals and red flags of DOMAIN.md, each with the evidence it rests on.

Thresholds: a single customer > 50% of revenue or top-5 > 80% (concentration); runway < 12 months
while losing money; 扣非 profit < 70% of reported profit; operating cash flow below net profit;
government subsidies > 30% of net profit (or any subsidy while loss-making); receivables growing
faster than revenue; debt ratio > 70%; qualifications expired or expiring within 180 days;
lawsuits as defendant, court listings; contradicting documents; pledges, related-party transactions,
working-capital deficits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from assistant.core.records import Citation
from assistant.profile.extract.candidates import Fact
from assistant.profile.schema import Conflict, FieldValue, Lawsuit, Qualification, Round, Signal
from assistant.text.dates import DateMention

Fields = dict[str, FieldValue]
Severity = Literal["info", "warning", "high"]
Kind = Literal["signal", "red_flag"]
Financials = dict[str, dict[str, FieldValue]]


def _ev(*values: FieldValue | None) -> list[Citation]:
    out: list[Citation] = []
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


def _years(financials: Financials, name: str) -> list[tuple[str, FieldValue]]:
    return [(y, v[name]) for y, v in sorted(financials.items()) if name in v and _num(v[name]) is not None]


def _flag(
    name: str, flag: bool, severity: Severity, value: float | str | None, text: str, evidence: list[Citation]
) -> Signal:
    """A red flag with ``severity`` when ``flag``, else an informational signal."""
    return Signal(
        name=name,
        kind="red_flag" if flag else "signal",
        severity=severity if flag else "info",
        value=value,
        explanation=text,
        evidence=evidence,
    )


# ---- one function per signal family -----------------------------------------------------------------------
def growth_signals(financials: Financials) -> list[Signal]:
    """Revenue growth of the last year (and the CAGR over three or more years); the latest gross margin."""
    out: list[Signal] = []
    revs = _years(financials, "revenue")
    if len(revs) >= 2:
        (y0, a), (y1, b) = revs[-2], revs[-1]
        va, vb = _num(a), _num(b)
        if va and vb is not None:
            growth = 100 * (vb / va - 1)
            text = f"Revenue {y1} vs {y0}: {growth:+.1f}%"
            if len(revs) >= 3:
                ys, first = revs[0]
                n, vf = int(y1) - int(ys), _num(first)
                if n > 0 and vf:
                    text += f"; CAGR {ys}–{y1}: {100 * ((vb / vf) ** (1 / n) - 1):.1f}%"
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
    return out


def profit_quality_signals(fields: Fields) -> list[Signal]:
    """Losses, 扣非 profit against reported profit, operating cash flow against profit."""
    out: list[Signal] = []
    np_, excl, ocf = (
        fields.get("net_profit"),
        fields.get("net_profit_excl_nonrecurring"),
        fields.get("operating_cash_flow"),
    )
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
        text = f"扣非 profit is {100 * ratio:.0f}% of reported net profit" + (
            " — a large share of profit is non-recurring." if flag else "."
        )
        out.append(
            _flag(
                "profit_quality_non_recurring", flag, "warning", round(100 * ratio, 1), text, _ev(np_, excl)
            )
        )
    if npv is not None and ocv is not None and npv > 0:
        if ocv < 0:
            text = "Operating cash flow is negative while the company reports a profit."
            out.append(_flag("cash_flow_vs_profit", True, "warning", ocv, text, _ev(np_, ocf)))
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
    return out


def runway_signals(fields: Fields) -> list[Signal]:
    """For a company losing money or burning cash: months of runway (computed from cash and the operating
    burn, else as a document states it); a red flag below 12 months or when it cannot be told."""
    np_, ocf = fields.get("net_profit"), fields.get("operating_cash_flow")
    cash, stated = fields.get("cash"), fields.get("cash_runway_months")
    npv, ocv, cv, sv = _num(np_), _num(ocf), _num(cash), _num(stated)
    if not ((ocv is not None and ocv < 0) or (npv is not None and npv < 0)):
        return []
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
        text = "Loss-making or burning cash, and the documents do not give cash and burn to compute a runway."
        return [_flag("cash_runway", True, "warning", None, text, _ev(np_, ocf))]
    short = months < 12
    text = f"Cash runway about {months:.0f} months ({how})" + (
        "; losses with less than 12 months of runway." if short else "; ≥ 12 months is comfortable."
    )
    return [_flag("cash_runway", short, "high", round(months, 1), text, evidence)]


def receivables_signals(financials: Financials) -> list[Signal]:
    """Receivables growing faster than revenue over the last two years."""
    ars, revs = _years(financials, "accounts_receivable"), _years(financials, "revenue")
    if len(ars) < 2 or len(revs) < 2:
        return []
    (ya0, ar0), (ya1, ar1) = ars[-2], ars[-1]
    rev_by_year = dict(revs)
    if ya0 not in rev_by_year or ya1 not in rev_by_year:
        return []
    g_ar = _num(ar1) / _num(ar0) - 1  # type: ignore[operator]
    g_rev = _num(rev_by_year[ya1]) / _num(rev_by_year[ya0]) - 1  # type: ignore[operator]
    flag = g_ar > g_rev
    text = f"Receivables {100 * g_ar:+.1f}% vs revenue {100 * g_rev:+.1f}% ({ya0}→{ya1})" + (
        ": receivables grow faster than revenue." if flag else "."
    )
    evidence = _ev(ar0, ar1, rev_by_year[ya0], rev_by_year[ya1])
    return [_flag("receivables_vs_revenue", flag, "warning", round(100 * g_ar, 1), text, evidence)]


def leverage_signals(fields: Fields) -> list[Signal]:
    """The debt ratio (stated, else liabilities / assets of one period); a red flag above 70%."""
    debt = fields.get("debt_ratio")
    dv = _num(debt)
    debt_ev = _ev(debt)
    if dv is None:
        ta, tl = fields.get("total_assets"), fields.get("total_liabilities")
        tav, tlv = _num(ta), _num(tl)
        debt_ev = []
        if tav and tlv is not None and ta and tl and ta.period == tl.period:
            dv = 100 * tlv / tav
            debt_ev = _ev(ta, tl)
    if dv is None:
        return []
    flag = dv > 70
    return [
        _flag(
            "debt_ratio",
            flag,
            "warning",
            round(dv, 2),
            f"Debt ratio {dv:.2f}%" + (" (> 70%)." if flag else "."),
            debt_ev,
        )
    ]


def concentration_signals(fields: Fields) -> list[Signal]:
    """The largest customer's share (> 50% is a red flag) and the top five's (> 80%)."""
    out: list[Signal] = []
    top1, top5 = fields.get("top1_customer_share"), fields.get("top5_customer_share")
    t1, t5 = _num(top1), _num(top5)
    if t1 is not None:
        flag = t1 > 50
        text = f"Largest customer {t1:.2f}% of revenue" + (
            " — major dependence on a single customer (> 50%)." if flag else "."
        )
        out.append(_flag("customer_concentration_top1", flag, "high", t1, text, _ev(top1)))
    if t5 is not None:
        flag = t5 > 80
        text = f"Top-5 customers {t5:.2f}% of revenue" + (" (> 80%)." if flag else ".")
        out.append(_flag("customer_concentration_top5", flag, "high", t5, text, _ev(top5)))
    return out


def subsidy_signals(fields: Fields) -> list[Signal]:
    """Government subsidies while loss-making, or above 30% of net profit."""
    sub, np_ = fields.get("government_subsidies"), fields.get("net_profit")
    subv, npv = _num(sub), _num(np_)
    if subv is None or subv <= 0 or npv is None:
        return []
    if npv <= 0:
        text = f"Government subsidies of {_money(subv, sub.unit if sub else None)} while loss-making."
        return [_flag("subsidy_dependence", True, "warning", subv, text, _ev(sub, np_))]
    share = 100 * subv / npv
    flag = share > 30
    text = f"Government subsidies are {share:.0f}% of net profit" + (" (> 30%)." if flag else ".")
    return [_flag("subsidy_dependence", flag, "warning", round(share, 1), text, _ev(sub, np_))]


def rd_capitalisation_signals(fields: Fields) -> list[Signal]:
    """The share of R&D capitalised in one period; above 30% is aggressive."""
    cap, rd = fields.get("rd_capitalised"), fields.get("rd_expense")
    capv, rdv = _num(cap), _num(rd)
    if capv is None or not rdv or not cap or not rd or cap.period != rd.period:
        return []
    share = 100 * capv / rdv
    flag = share > 30
    text = f"{share:.0f}% of R&D capitalised" + (" — aggressive." if flag else ".")
    return [_flag("rd_capitalisation", flag, "warning", round(share, 1), text, _ev(cap, rd))]


def qualification_signals(qualifications: list[Qualification], today: date) -> list[Signal]:
    """Certificates and recognitions expired, or expiring within 180 days."""
    out: list[Signal] = []
    for q in qualifications:
        if q.kind in ("rd_platform", "standard"):
            continue
        if q.status == "expired":
            text = f"{q.name} expired on {q.expires}."
            out.append(_flag("qualification_expired", True, "warning", q.name, text, q.evidence[:3]))
        elif q.status == "expiring":
            text = f"{q.name} expires on {q.expires} (within 180 days of {today.isoformat()})."
            out.append(_flag("qualification_expiring", True, "warning", q.name, text, q.evidence[:3]))
    return out


def legal_signals(lawsuits: list[Lawsuit]) -> list[Signal]:
    """Court and registry listings and lawsuits as defendant (red flags); other lawsuits (signals)."""
    out: list[Signal] = []
    for suit in lawsuits:
        amount = f" {_money(float(suit.amount), suit.currency)}" if suit.amount is not None else ""
        status = suit.status or "not stated"
        if suit.kind != "lawsuit":
            text = (
                f"{suit.kind.replace('_', ' ')}{amount} ({suit.date or 'date not stated'})"
                + (", since closed" if suit.closed else "")
                + "."
            )
            severity: Severity = "warning" if suit.closed else "high"
            out.append(_flag(suit.kind, True, severity, suit.amount, text, suit.evidence[:3]))
        elif suit.role == "defendant":
            text = f"Defendant in {suit.cause or 'a lawsuit'}{amount}; status: {status}."
            out.append(_flag("lawsuit_defendant", True, "warning", suit.amount, text, suit.evidence[:3]))
        else:
            text = f"{suit.role.capitalize()} in {suit.cause or 'a lawsuit'}{amount}; status: {status}."
            out.append(_flag("lawsuit", False, "info", suit.amount, text, suit.evidence[:3]))
    return out


def contradiction_signals(conflicts: list[Conflict]) -> list[Signal]:
    """One red flag per field and period the documents disagree on, citing every side."""
    out: list[Signal] = []
    for c in conflicts:
        chosen = c.values[0]
        others = ", ".join(f"{v.raw} ({v.doc})" for v in c.values[1:])
        text = f"{c.field} {c.period or ''}: {others} vs {chosen.raw} ({chosen.doc})."
        evidence = [Citation(doc=v.doc, page=v.page, quote=v.quote) for v in c.values]
        out.append(_flag("documents_contradict", True, "warning", c.field, text, evidence))
    return out


# fact name → (signal name, kind, severity, explanation)
FACT_SIGNALS: dict[str, tuple[str, Kind, Severity, str]] = {
    "ip_pledge": ("ip_pledged", "signal", "info", "Patents are pledged (IP already encumbered)."),
    "equity_pledge": ("equity_pledge", "red_flag", "warning", "Equity is pledged."),
    "related_party_transaction": ("related_party_transaction", "red_flag", "warning", "Related-party transactions."),
    "founder_held_patents": (
        "founder_held_patents", "red_flag", "warning", "Patents held by founders, not the company."
    ),
    "unpaid_tax": ("unpaid_tax", "red_flag", "high", "Unpaid tax."),
    "working_capital_deficit": (
        "working_capital_deficit", "red_flag", "warning", "Current liabilities exceed current assets."
    ),
    "going_concern_doubt": ("going_concern_doubt", "red_flag", "high", "Auditor's going-concern doubt."),
    "legal_rep_change": ("legal_representative_change", "red_flag", "warning", "Change of legal representative."),
}  # fmt: skip


def fact_signals(facts: list[Fact]) -> list[Signal]:
    """Qualitative facts the extractors found (pledges, related-party transactions …), one signal per kind."""
    grouped: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact.name in FACT_SIGNALS:
            grouped.setdefault(fact.name, []).append(fact)
    out: list[Signal] = []
    for key, items in grouped.items():
        name, kind, severity, text = FACT_SIGNALS[key]
        evidence = [s for item in items for s in item.evidence][:3]
        value = next((item.value for item in items if item.value is not None), None)
        out.append(
            Signal(name=name, kind=kind, severity=severity, value=value, explanation=text, evidence=evidence)
        )
    return out


def financing_signals(rounds: list[Round], fields: Fields, today: date) -> list[Signal]:
    """The latest equity round (recent: within 24 months) and invention patents that could back an IP loan."""
    out: list[Signal] = []
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
                explanation=f"{last.round}{amount}{lead} ({last.date}, {months:.0f} months before "
                f"{today.isoformat()}).",
            )
        )
    inv = fields.get("invention_patents")
    count = _num(inv)
    if count:
        out.append(
            Signal(
                name="pledgeable_ip",
                kind="signal",
                value=count,
                evidence=_ev(inv),
                explanation=f"{count:.0f} invention patents (candidates for an IP-pledge loan).",
            )
        )
    return out


def compute_signals(
    fields: Fields,
    financials: Financials,
    qualifications: list[Qualification],
    lawsuits: list[Lawsuit],
    rounds: list[Round],
    conflicts: list[Conflict],
    facts: list[Fact],
    today: date,
) -> list[Signal]:
    """Every signal and red flag, family by family (the order of the profile's list)."""
    families: list[Callable[[], list[Signal]]] = [
        lambda: growth_signals(financials),
        lambda: profit_quality_signals(fields),
        lambda: runway_signals(fields),
        lambda: receivables_signals(financials),
        lambda: leverage_signals(fields),
        lambda: concentration_signals(fields),
        lambda: subsidy_signals(fields),
        lambda: rd_capitalisation_signals(fields),
        lambda: qualification_signals(qualifications, today),
        lambda: legal_signals(lawsuits),
        lambda: contradiction_signals(conflicts),
        lambda: fact_signals(facts),
        lambda: financing_signals(rounds, fields, today),
    ]
    return [signal for family in families for signal in family()]
