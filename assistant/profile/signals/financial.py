"""Signals read from the figures: growth, profit quality, runway, receivables, leverage, customer concentration,
subsidies, R&D capitalisation."""

from __future__ import annotations

from assistant.profile.schema import Signal
from assistant.profile.signals.base import (
    Fields,
    Financials,
    evidence_of,
    money,
    number,
    red_flag_if,
    years_of,
)


def growth_signals(financials: Financials) -> list[Signal]:
    """Revenue growth of the last year (and the CAGR over three or more years); the latest gross margin."""
    out: list[Signal] = []
    revs = years_of(financials, "revenue")
    if len(revs) >= 2:
        (y0, a), (y1, b) = revs[-2], revs[-1]
        va, vb = number(a), number(b)
        if va and vb is not None:
            growth = 100 * (vb / va - 1)
            text = f"Revenue {y1} vs {y0}: {growth:+.1f}%"
            if len(revs) >= 3:
                ys, first = revs[0]
                n, vf = int(y1) - int(ys), number(first)
                if n > 0 and vf:
                    text += f"; CAGR {ys}–{y1}: {100 * ((vb / vf) ** (1 / n) - 1):.1f}%"
            out.append(
                Signal(
                    name="revenue_growth",
                    kind="signal",
                    severity="info" if growth >= 0 else "warning",
                    value=round(growth, 2),
                    explanation=text + ".",
                    evidence=evidence_of(a, b),
                )
            )
    gms = years_of(financials, "gross_margin")
    if gms:
        y, gm = gms[-1]
        text = f"Gross margin {y}: {number(gm):.2f}%"
        if len(gms) >= 2:
            text += f" ({gms[-2][0]}: {number(gms[-2][1]):.2f}%)"
        out.append(
            Signal(
                name="gross_margin",
                kind="signal",
                value=number(gm),
                explanation=text + ".",
                evidence=evidence_of(gm),
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
    npv, exv, ocv = number(np_), number(excl), number(ocf)
    if npv is not None and npv < 0:
        out.append(
            Signal(
                name="loss_making",
                kind="signal",
                severity="warning",
                value=npv,
                explanation=f"Net loss of {money(-npv, np_.unit if np_ else None)} in {np_.period if np_ else '?'}.",
                evidence=evidence_of(np_),
            )
        )
    if npv is not None and exv is not None and npv > 0:
        ratio = exv / npv
        flag = ratio < 0.7
        text = f"扣非 profit is {100 * ratio:.0f}% of reported net profit" + (
            " — a large share of profit is non-recurring." if flag else "."
        )
        out.append(
            red_flag_if(
                "profit_quality_non_recurring",
                flag,
                "warning",
                round(100 * ratio, 1),
                text,
                evidence_of(np_, excl),
            )
        )
    if npv is not None and ocv is not None and npv > 0:
        if ocv < 0:
            text = "Operating cash flow is negative while the company reports a profit."
            out.append(red_flag_if("cash_flow_vs_profit", True, "warning", ocv, text, evidence_of(np_, ocf)))
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
                    evidence=evidence_of(np_, ocf),
                )
            )
    return out


def runway_signals(fields: Fields) -> list[Signal]:
    """For a company losing money or burning cash: months of runway (computed from cash and the operating
    burn, else as a document states it); a red flag below 12 months or when it cannot be told."""
    np_, ocf = fields.get("net_profit"), fields.get("operating_cash_flow")
    cash, stated = fields.get("cash"), fields.get("cash_runway_months")
    npv, ocv, cv, sv = number(np_), number(ocf), number(cash), number(stated)
    if not ((ocv is not None and ocv < 0) or (npv is not None and npv < 0)):
        return []
    months = None
    evidence = evidence_of(cash, ocf)
    how = ""
    if cv is not None and ocv is not None and ocv < 0 and cash and ocf and cash.unit == ocf.unit:
        months = cv / (-ocv / 12)
        how = f"cash {money(cv, cash.unit)} / monthly operating burn {money(-ocv / 12, ocf.unit)}"
    elif sv is not None:
        months = sv
        evidence = evidence_of(stated)
        how = "as stated"
    if months is None:
        text = "Loss-making or burning cash, and the documents do not give cash and burn to compute a runway."
        return [red_flag_if("cash_runway", True, "warning", None, text, evidence_of(np_, ocf))]
    short = months < 12
    text = f"Cash runway about {months:.0f} months ({how})" + (
        "; losses with less than 12 months of runway." if short else "; ≥ 12 months is comfortable."
    )
    return [red_flag_if("cash_runway", short, "high", round(months, 1), text, evidence)]


def receivables_signals(financials: Financials) -> list[Signal]:
    """Receivables growing faster than revenue over the last two years."""
    ars, revs = years_of(financials, "accounts_receivable"), years_of(financials, "revenue")
    if len(ars) < 2 or len(revs) < 2:
        return []
    (ya0, ar0), (ya1, ar1) = ars[-2], ars[-1]
    rev_by_year = dict(revs)
    if ya0 not in rev_by_year or ya1 not in rev_by_year:
        return []
    g_ar = number(ar1) / number(ar0) - 1  # type: ignore[operator]
    g_rev = number(rev_by_year[ya1]) / number(rev_by_year[ya0]) - 1  # type: ignore[operator]
    flag = g_ar > g_rev
    text = f"Receivables {100 * g_ar:+.1f}% vs revenue {100 * g_rev:+.1f}% ({ya0}→{ya1})" + (
        ": receivables grow faster than revenue." if flag else "."
    )
    evidence = evidence_of(ar0, ar1, rev_by_year[ya0], rev_by_year[ya1])
    return [red_flag_if("receivables_vs_revenue", flag, "warning", round(100 * g_ar, 1), text, evidence)]


def leverage_signals(fields: Fields) -> list[Signal]:
    """The debt ratio (stated, else liabilities / assets of one period); a red flag above 70%."""
    debt = fields.get("debt_ratio")
    dv = number(debt)
    debt_ev = evidence_of(debt)
    if dv is None:
        ta, tl = fields.get("total_assets"), fields.get("total_liabilities")
        tav, tlv = number(ta), number(tl)
        debt_ev = []
        if tav and tlv is not None and ta and tl and ta.period == tl.period:
            dv = 100 * tlv / tav
            debt_ev = evidence_of(ta, tl)
    if dv is None:
        return []
    flag = dv > 70
    return [
        red_flag_if(
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
    t1, t5 = number(top1), number(top5)
    if t1 is not None:
        flag = t1 > 50
        text = f"Largest customer {t1:.2f}% of revenue" + (
            " — major dependence on a single customer (> 50%)." if flag else "."
        )
        out.append(red_flag_if("customer_concentration_top1", flag, "high", t1, text, evidence_of(top1)))
    if t5 is not None:
        flag = t5 > 80
        text = f"Top-5 customers {t5:.2f}% of revenue" + (" (> 80%)." if flag else ".")
        out.append(red_flag_if("customer_concentration_top5", flag, "high", t5, text, evidence_of(top5)))
    return out


def subsidy_signals(fields: Fields) -> list[Signal]:
    """Government subsidies while loss-making, or above 30% of net profit."""
    sub, np_ = fields.get("government_subsidies"), fields.get("net_profit")
    subv, npv = number(sub), number(np_)
    if subv is None or subv <= 0 or npv is None:
        return []
    if npv <= 0:
        text = f"Government subsidies of {money(subv, sub.unit if sub else None)} while loss-making."
        return [red_flag_if("subsidy_dependence", True, "warning", subv, text, evidence_of(sub, np_))]
    share = 100 * subv / npv
    flag = share > 30
    text = f"Government subsidies are {share:.0f}% of net profit" + (" (> 30%)." if flag else ".")
    return [red_flag_if("subsidy_dependence", flag, "warning", round(share, 1), text, evidence_of(sub, np_))]


def rd_capitalisation_signals(fields: Fields) -> list[Signal]:
    """The share of R&D capitalised in one period; above 30% is aggressive."""
    cap, rd = fields.get("rd_capitalised"), fields.get("rd_expense")
    capv, rdv = number(cap), number(rd)
    if capv is None or not rdv or not cap or not rd or cap.period != rd.period:
        return []
    share = 100 * capv / rdv
    flag = share > 30
    text = f"{share:.0f}% of R&D capitalised" + (" — aggressive." if flag else ".")
    return [red_flag_if("rd_capitalisation", flag, "warning", round(share, 1), text, evidence_of(cap, rd))]
