"""A profile as Markdown: identity, financials by year with the last change, lists, checks, red flags and
signals, contradictions, unknown fields, documents and every source quote."""

from __future__ import annotations

from assistant.profile.render.common import (
    FINANCIAL_ROWS,
    IDENTITY,
    change,
    cite,
    fiscal_years,
    money,
    profile_title,
    show,
)
from assistant.profile.schema import Profile, field_label


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(p: Profile) -> str:
    name = profile_title(p)
    out: list[str] = [f"# {name} — company profile", ""]
    meta = [f"**Company:** {p.company}"]
    if p.aliases:
        meta.append(f"**Also known as:** {', '.join(p.aliases[:8])}")
    meta.append(f"**Figures as of:** {p.as_of or 'n/a'} · **Reference date:** {p.reference_date or 'n/a'}")
    meta.append(
        f"**Sources:** {len(p.documents)} documents; every value cites its document and page; "
        "⚠ marks values the documents disagree on."
    )
    out += ["  \n".join(meta), ""]
    if p.summary.text:
        out += ["## Summary", "", p.summary.text, ""]
        out += [
            f"{n}. {_md(cite(src))}: “{_md(src.quote)}”" for n, src in enumerate(p.summary.citations, start=1)
        ]
        out += [""] if p.summary.citations else []
    out += ["## Identity", "", "| Field | Value | Source |", "|---|---|---|"]
    for key in IDENTITY:
        fv = p.fields.get(key)
        if fv and fv.status != "unknown":
            cites = list(dict.fromkeys(cite(s) for s in fv.evidence))[:2]
            out.append(f"| {field_label(key)} | {_md(show(fv))} | {_md('; '.join(cites))} |")
    years = fiscal_years(p)
    if years:
        out += ["", "## Financials and operations by year", ""]
        header = (
            "| Item | "
            + " | ".join(years)
            + (" | Change " + years[-2] + "→" + years[-1] if len(years) >= 2 else "")
            + " | Source |"
        )
        out += [header, "|" + "---|" * (len(years) + (3 if len(years) >= 2 else 2))]
        for key in FINANCIAL_ROWS:
            cells = [p.financials[y].get(key) for y in years]
            if not any(cells):
                continue
            row = f"| {field_label(key)} | " + " | ".join(_md(show(c)) for c in cells)
            if len(years) >= 2:
                row += f" | {change(cells[-2], cells[-1])}"
            latest = next((c for c in reversed(cells) if c), None)
            row += f" | {_md(cite(latest.evidence[0])) if latest and latest.evidence else ''} |"
            out.append(row)
    others = [
        k
        for k in ("core_tech_revenue_share", "cash_runway_months")
        if p.fields.get(k) and p.fields[k].status != "unknown"
    ]
    if others:
        out += ["", "| Other | Value | Period | Source |", "|---|---|---|---|"]
        for k in others:
            fv = p.fields[k]
            out.append(
                f"| {field_label(k)} | {_md(show(fv))} | {fv.period or ''} | "
                f"{_md(cite(fv.evidence[0])) if fv.evidence else ''} |"
            )
    out += _md_lists(p)
    out += [
        "",
        "## Qualification checks",
        "",
        "| Check | Result | Rule version | Explanation | Missing inputs |",
        "|---|---|---|---|---|",
    ]
    for chk in p.checks:
        out.append(
            f"| {_md(chk.name)} | **{chk.result}** | {_md(chk.rule_version)} | {_md(chk.explanation)} | "
            f"{_md(', '.join(chk.missing))} |"
        )
    flags = [s for s in p.signals if s.kind == "red_flag"]
    sigs = [s for s in p.signals if s.kind == "signal"]
    out += ["", f"## Red flags ({len(flags)})", ""]
    out += [
        f"- **{_md(s.name)}** ({s.severity}): {_md(s.explanation)} — {_md('; '.join(cite(e) for e in s.evidence[:2]))}"
        for s in flags
    ] or ["- none found"]
    out += ["", "## Signals", ""]
    out += [
        f"- **{_md(s.name)}**: {_md(s.explanation)} — {_md('; '.join(cite(e) for e in s.evidence[:2]))}"
        for s in sigs
    ] or ["- none"]
    out += ["", f"## Contradictions between documents ({len(p.conflicts)})", ""]
    for cf in p.conflicts:
        vals = "; ".join(
            f"{'**' if v.chosen else ''}{_md(v.raw)} ({v.doc}{f' p.{v.page}' if v.page else ''}, {v.source_type})"
            f"{' — kept**' if v.chosen else ''}"
            for v in cf.values
        )
        out.append(f"- **{cf.field}** {cf.period or ''}: {vals}")
    if not p.conflicts:
        out.append("- none found")
    unknown = [k for k, v in p.fields.items() if v.status == "unknown"]
    out += ["", "## Not in the documents", ""]
    searched = ", ".join(d.doc for d in p.documents)
    out.append(
        f"- {', '.join(field_label(k) for k in unknown)} (searched: {searched})"
        if unknown
        else "- every field was found"
    )
    out += ["", "## Documents", "", "| Document | Type | Audited | Reliability |", "|---|---|---|---|"]
    out += [
        f"| {_md(d.doc)} | {d.type} | {'yes' if d.audited else 'no'} | {d.reliability} |" for d in p.documents
    ]
    out += ["", "## Evidence (quotes)", ""]
    for key, fv in p.fields.items():
        for src in fv.evidence[:1]:
            out.append(f"- {field_label(key)} ({fv.period or 'identity'}): “{_md(src.quote)}” — {cite(src)}")
    return "\n".join(out) + "\n"


def _md_lists(p: Profile) -> list[str]:
    out: list[str] = []
    if p.lists.top_customers:
        out += [
            "",
            "## Customers",
            "",
            "| Customer | Share of revenue | Sales | Related party | Source |",
            "|---|---|---|---|---|",
        ]
        for c in p.lists.top_customers:
            who = c.name if c.rank is None else f"#{c.rank} {c.name or '(not named)'}"
            amount = money(float(c.amount), c.currency) if c.amount is not None else "—"
            share = f"{c.share:.2f}%" if c.share is not None else "—"
            rel = "—" if c.related_party is None else ("yes" if c.related_party else "no")
            out.append(
                f"| {_md(who)} | {share} | {amount} | {rel} | {_md(cite(c.evidence[0])) if c.evidence else ''} |"
            )
    if p.lists.financing_rounds:
        out += [
            "",
            "## Financing rounds",
            "",
            "| Date | Round | Amount | Lead investor(s) | Post-money | Sources |",
            "|---|---|---|---|---|---|",
        ]
        for r in p.lists.financing_rounds:
            amount = money(float(r.amount), r.currency) if r.amount is not None else "—"
            post = (
                money(float(r.post_money_valuation), r.currency) if r.post_money_valuation is not None else ""
            )
            out.append(
                f"| {r.date or '—'} | {_md(r.round)} | {amount} | {_md(', '.join(r.lead_investors))} | {post} | "
                f"{_md('; '.join(cite(s) for s in r.evidence[:3]))} |"
            )
    if p.lists.qualifications:
        out += [
            "",
            "## Qualifications, R&D platforms and standards",
            "",
            "| Name | Kind | Number | Issued | Expires | Status | Source |",
            "|---|---|---|---|---|---|---|",
        ]
        for q in p.lists.qualifications:
            exp = (q.expires or "—") + (" (by rule)" if q.expires_derived else "")
            out.append(
                f"| {_md(q.name)} | {q.kind}{f' ({q.level})' if q.level else ''} | {q.number or '—'} | "
                f"{q.issued or '—'} | "
                f"{exp} | {q.status} | {_md(cite(q.evidence[0])) if q.evidence else ''} |"
            )
    if p.lists.lawsuits:
        out += [
            "",
            "## Lawsuits and listings",
            "",
            "| Date | Kind | Role | Cause | Amount | Court | Status | Sources |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in p.lists.lawsuits:
            amount = money(float(s.amount), s.currency) if s.amount is not None else "—"
            status = (s.status or "—") + (" (closed)" if s.closed else "")
            out.append(
                f"| {s.date or '—'} | {s.kind} | {s.role} | {_md(s.cause or '—')} | {amount} | {_md(s.court or '—')} | "
                f"{_md(status)} | {_md('; '.join(cite(e) for e in s.evidence[:3]))} |"
            )
    if p.lists.patents:
        out += [
            "",
            f"## Listed patents ({len(p.lists.patents)})",
            "",
            "| Number | Title | Type | Granted | Status |",
            "|---|---|---|---|---|",
        ]
        for pt in p.lists.patents[:30]:
            out.append(
                f"| {_md(pt.number)} | {_md(pt.title or '')} | {pt.type} | {pt.granted or '—'} | "
                f"{_md(pt.legal_status or '')}{' (pledged)' if pt.pledged else ''} |"
            )
    return out
