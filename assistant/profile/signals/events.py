"""Signals read from what happened: qualifications expiring, lawsuits, contradicting documents, stated facts
(pledges, related-party transactions …), financing rounds."""

from __future__ import annotations

from datetime import date

from assistant.core.records import Citation
from assistant.profile.extract.candidates import Fact
from assistant.profile.schema import Conflict, Lawsuit, Qualification, Round, Signal
from assistant.profile.signals.base import Fields, Kind, Severity, evidence_of, money, number, red_flag_if
from assistant.text.dates import DateMention


def qualification_signals(qualifications: list[Qualification], today: date) -> list[Signal]:
    """Certificates and recognitions expired, or expiring within 180 days."""
    out: list[Signal] = []
    for q in qualifications:
        if q.kind in ("rd_platform", "standard"):
            continue
        if q.status == "expired":
            text = f"{q.name} expired on {q.expires}."
            out.append(red_flag_if("qualification_expired", True, "warning", q.name, text, q.evidence[:3]))
        elif q.status == "expiring":
            text = f"{q.name} expires on {q.expires} (within 180 days of {today.isoformat()})."
            out.append(red_flag_if("qualification_expiring", True, "warning", q.name, text, q.evidence[:3]))
    return out


def legal_signals(lawsuits: list[Lawsuit]) -> list[Signal]:
    """Court and registry listings and lawsuits as defendant (red flags); other lawsuits (signals)."""
    out: list[Signal] = []
    for suit in lawsuits:
        amount = f" {money(float(suit.amount), suit.currency)}" if suit.amount is not None else ""
        status = suit.status or "not stated"
        if suit.kind != "lawsuit":
            text = (
                f"{suit.kind.replace('_', ' ')}{amount} ({suit.date or 'date not stated'})"
                + (", since closed" if suit.closed else "")
                + "."
            )
            severity: Severity = "warning" if suit.closed else "high"
            out.append(red_flag_if(suit.kind, True, severity, suit.amount, text, suit.evidence[:3]))
        elif suit.role == "defendant":
            text = f"Defendant in {suit.cause or 'a lawsuit'}{amount}; status: {status}."
            out.append(
                red_flag_if("lawsuit_defendant", True, "warning", suit.amount, text, suit.evidence[:3])
            )
        else:
            text = f"{suit.role.capitalize()} in {suit.cause or 'a lawsuit'}{amount}; status: {status}."
            out.append(red_flag_if("lawsuit", False, "info", suit.amount, text, suit.evidence[:3]))
    return out


def contradiction_signals(conflicts: list[Conflict]) -> list[Signal]:
    """One red flag per field and period the documents disagree on, citing every side."""
    out: list[Signal] = []
    for c in conflicts:
        chosen = c.values[0]
        others = ", ".join(f"{v.raw} ({v.doc})" for v in c.values[1:])
        text = f"{c.field} {c.period or ''}: {others} vs {chosen.raw} ({chosen.doc})."
        evidence = [Citation(doc=v.doc, page=v.page, quote=v.quote) for v in c.values]
        out.append(red_flag_if("documents_contradict", True, "warning", c.field, text, evidence))
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
        amount = f" of {money(float(last.amount), last.currency)}" if last.amount is not None else ""
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
    count = number(inv)
    if count:
        out.append(
            Signal(
                name="pledgeable_ip",
                kind="signal",
                value=count,
                evidence=evidence_of(inv),
                explanation=f"{count:.0f} invention patents (candidates for an IP-pledge loan).",
            )
        )
    return out
