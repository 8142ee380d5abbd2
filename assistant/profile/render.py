"""A profile as JSON, Markdown, or a self-contained HTML report (inline CSS and SVG charts, no
network resources) that a credit committee can read: identity, multi-year financials with a
period-over-period view, R&D and IP, customers, financing, qualifications, legal matters, checks,
signals and red flags, contradictions, unknown fields, and every source quote."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Literal

from assistant.profile.schema import FieldValue, Profile, Source

Format = Literal["json", "md", "html"]

IDENTITY = (
    "legal_name",
    "english_name",
    "unified_social_credit_code",
    "legal_representative",
    "actual_controller",
    "founded",
    "registered_capital",
    "paid_in_capital",
    "headquarters",
    "industry",
    "main_business",
    "latest_financing_round",
)
FINANCIAL_ROWS = (
    "revenue",
    "net_profit",
    "net_profit_excl_nonrecurring",
    "gross_margin",
    "operating_cash_flow",
    "cash",
    "accounts_receivable",
    "total_assets",
    "total_liabilities",
    "debt_ratio",
    "government_subsidies",
    "rd_expense",
    "rd_capitalised",
    "rd_ratio",
    "employees",
    "rd_staff",
    "rd_staff_ratio",
    "patents_total",
    "invention_patents",
    "utility_model_patents",
    "design_patents",
    "software_copyrights",
    "top1_customer_share",
    "top5_customer_share",
)
LABELS = {
    "legal_name": "Legal name",
    "english_name": "English name",
    "unified_social_credit_code": "Unified social credit code",
    "legal_representative": "Legal representative",
    "actual_controller": "Actual controller",
    "founded": "Founded",
    "registered_capital": "Registered capital",
    "paid_in_capital": "Paid-in capital",
    "headquarters": "Headquarters",
    "industry": "Industry",
    "main_business": "Main business",
    "latest_financing_round": "Latest financing round",
    "revenue": "Revenue",
    "net_profit": "Net profit",
    "net_profit_excl_nonrecurring": "Net profit excl. non-recurring",
    "gross_margin": "Gross margin",
    "operating_cash_flow": "Operating cash flow",
    "cash": "Cash",
    "accounts_receivable": "Accounts receivable",
    "total_assets": "Total assets",
    "total_liabilities": "Total liabilities",
    "debt_ratio": "Debt ratio",
    "government_subsidies": "Government subsidies",
    "rd_expense": "R&D expense",
    "rd_capitalised": "R&D capitalised",
    "rd_ratio": "R&D / revenue",
    "employees": "Employees",
    "rd_staff": "R&D staff",
    "rd_staff_ratio": "R&D staff share",
    "patents_total": "Patents (granted)",
    "invention_patents": "Invention patents",
    "utility_model_patents": "Utility-model patents",
    "design_patents": "Design patents",
    "software_copyrights": "Software copyrights",
    "top1_customer_share": "Largest customer share",
    "top5_customer_share": "Top-5 customers share",
    "core_tech_revenue_share": "Core-technology revenue share",
    "cash_runway_months": "Cash runway (months)",
}


def render(profile: Profile, fmt: Format = "json") -> str:
    if fmt == "json":
        return profile.model_dump_json(indent=2)
    if fmt == "md":
        return to_markdown(profile)
    if fmt == "html":
        return to_html(profile)
    raise ValueError(f"unknown format {fmt!r} (json, md or html)")


# ---- formatting --------------------------------------------------------------------------------------------
def money(value: float, unit: str | None) -> str:
    if unit == "CNY":
        if abs(value) >= 1e8:
            return f"¥{value / 1e8:,.2f}亿"
        if abs(value) >= 1e4:
            return f"¥{value / 1e4:,.2f}万"
        return f"¥{value:,.2f}"
    sym = {"USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}.get(unit or "", f"{unit} " if unit else "")
    if abs(value) >= 1e6:
        return f"{sym}{value / 1e6:,.2f}M"
    if abs(value) >= 1e3:
        return f"{sym}{value / 1e3:,.1f}k"
    return f"{sym}{value:,.2f}"


def show(fv: FieldValue | None) -> str:
    if fv is None or fv.status == "unknown" or fv.value is None:
        return "—"
    v = fv.value
    if isinstance(v, int | float):
        if fv.unit == "%":
            text = f"{v:.2f}%"
        elif fv.unit in ("count", "months"):
            text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
        else:
            text = money(float(v), fv.unit)
    else:
        text = str(v)
    if fv.status == "conflict":
        text += " ⚠"
    return text


def cite(src: Source) -> str:
    return f"{src.doc}" + (f" p.{src.page}" if src.page else "")


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _change(a: FieldValue | None, b: FieldValue | None) -> str:
    """Period-over-period change from a to b: % for levels, percentage points for ratios."""
    if not a or not b or not isinstance(a.value, int | float) or not isinstance(b.value, int | float):
        return ""
    if a.unit == "%":
        return f"{float(b.value) - float(a.value):+.2f} pp"
    if float(a.value) == 0 or (float(a.value) < 0) != (float(b.value) < 0):
        return ""
    return f"{100 * (float(b.value) / float(a.value) - 1):+.1f}%"


def _years(profile: Profile) -> list[str]:
    return sorted(y for y in profile.financials if y.isdigit())


# ---- Markdown ------------------------------------------------------------------------------------------------
def to_markdown(p: Profile) -> str:
    name = _title(p)
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
            out.append(f"| {LABELS.get(key, key)} | {_md(show(fv))} | {_md('; '.join(cites))} |")
    years = _years(p)
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
            row = f"| {LABELS.get(key, key)} | " + " | ".join(_md(show(c)) for c in cells)
            if len(years) >= 2:
                row += f" | {_change(cells[-2], cells[-1])}"
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
                f"| {LABELS[k]} | {_md(show(fv))} | {fv.period or ''} | {_md(cite(fv.evidence[0])) if fv.evidence else ''} |"
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
        f"- {', '.join(LABELS.get(k, k) for k in unknown)} (searched: {searched})"
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
            out.append(
                f"- {LABELS.get(key, key)} ({fv.period or 'identity'}): “{_md(src.quote)}” — {cite(src)}"
            )
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
                f"| {_md(q.name)} | {q.kind}{f' ({q.level})' if q.level else ''} | {q.number or '—'} | {q.issued or '—'} | "
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


def _title(p: Profile) -> str:
    fv = p.fields.get("legal_name")
    return str(fv.value) if fv and fv.status != "unknown" and fv.value else p.company


# ---- HTML ----------------------------------------------------------------------------------------------------
_CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",Helvetica,Arial,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:2px solid #d9e1ea;padding-bottom:4px}
.meta{color:#5a6b7d;font-size:13px}.card{background:#fff;border:1px solid #dfe6ee;border-radius:6px;padding:14px;margin:10px 0}
table{border-collapse:collapse;width:100%;font-size:13px;background:#fff}th,td{border:1px solid #e1e7ee;padding:5px 7px;text-align:left;vertical-align:top}
th{background:#eef2f7}td.num{text-align:right;white-space:nowrap}.conflict{background:#fff4e5}
.pass{color:#137333;font-weight:600}.fail{color:#b3261e;font-weight:600}.unknown{color:#8a6d00;font-weight:600}
.flag{border-left:4px solid #b3261e;padding:6px 10px;margin:6px 0;background:#fff}.flag.warning{border-color:#e37400}
.sig{border-left:4px solid #1a73e8;padding:6px 10px;margin:6px 0;background:#fff}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{background:#fff;border:1px solid #dfe6ee;border-radius:6px}
sup a{text-decoration:none;color:#1a73e8}.refs li{font-size:12px;margin:3px 0}.quote{color:#37474f}
small{color:#5a6b7d}
"""


class _Refs:
    """Numbered source quotes for footnotes."""

    def __init__(self) -> None:
        self.items: list[Source] = []

    def ref(self, sources: list[Source], limit: int = 2) -> str:
        marks = []
        for src in sources[:limit]:
            if src not in self.items:
                self.items.append(src)
            n = self.items.index(src) + 1
            marks.append(f'<a href="#ref{n}" title="{html.escape(cite(src) + ": " + src.quote)}">[{n}]</a>')
        return f"<sup>{''.join(marks)}</sup>" if marks else ""


def _e(text: object) -> str:
    return html.escape(str(text))


def to_html(p: Profile) -> str:
    refs = _Refs()
    title = _title(p)
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — company profile</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<div class="meta">{_e(p.company)}{" · " + _e(", ".join(p.aliases[:6])) if p.aliases else ""} · figures as of '
        f"{_e(p.as_of or 'n/a')} · reference date {_e(p.reference_date or 'n/a')} · {len(p.documents)} documents · "
        f"⚠ = documents disagree</div>",
    ]
    flags = [s for s in p.signals if s.kind == "red_flag"]
    checks = " · ".join(
        f'<span class="{k.result}">{_e(k.name.split(" (")[0])}: {k.result}</span>' for k in p.checks
    )
    parts.append(
        f'<div class="card"><b>{len(flags)} red flags</b> · {len(p.conflicts)} contradictions · {checks}</div>'
    )
    if p.summary.text:
        parts.append(
            f'<h2>Summary</h2><div class="card">{_e(p.summary.text)}{refs.ref(p.summary.citations, len(p.summary.citations))}</div>'
        )
    parts.append("<h2>Identity</h2><table><tr><th>Field</th><th>Value</th></tr>")
    for key in IDENTITY:
        fv = p.fields.get(key)
        if fv and fv.status != "unknown":
            parts.append(
                f"<tr><td>{_e(LABELS.get(key, key))}</td><td>{_e(show(fv))}{refs.ref(fv.evidence)}"
                f"{' <small>(' + _e(fv.period) + ')</small>' if fv.period else ''}</td></tr>"
            )
    parts.append("</table>")
    years = _years(p)
    if years:
        parts.append("<h2>Financials and operations</h2>")
        parts.append(f'<div class="charts">{_charts(p, years)}</div>')
        parts.append(
            "<table><tr><th>Item</th>"
            + "".join(f"<th>{y}</th>" for y in years)
            + "".join(f"<th>{years[i - 1]}→{years[i]}</th>" for i in range(1, len(years)))
            + "</tr>"
        )
        for key in FINANCIAL_ROWS:
            cells = [p.financials[y].get(key) for y in years]
            if not any(cells):
                continue
            row = f"<tr><td>{_e(LABELS.get(key, key))}</td>"
            for c in cells:
                cls = "num conflict" if c and c.status == "conflict" else "num"
                row += f'<td class="{cls}">{_e(show(c))}{refs.ref(c.evidence, 1) if c else ""}</td>'
            for i in range(1, len(years)):
                row += f'<td class="num">{_e(_change(cells[i - 1], cells[i]))}</td>'
            parts.append(row + "</tr>")
        parts.append("</table>")
    parts.append(_html_lists(p, refs))
    parts.append(
        "<h2>Qualification checks</h2><table><tr><th>Check</th><th>Result</th><th>Explanation</th><th>Missing</th></tr>"
    )
    for chk in p.checks:
        parts.append(
            f'<tr><td>{_e(chk.name)}<br><small>{_e(chk.rule_version)}</small></td><td class="{chk.result}">'
            f"{chk.result}</td><td>{_e(chk.explanation)}</td><td>{_e(', '.join(chk.missing))}</td></tr>"
        )
    parts.append("</table>")
    parts.append(f"<h2>Red flags ({len(flags)})</h2>")
    parts += [
        f'<div class="flag {s.severity}"><b>{_e(s.name)}</b> ({s.severity}) {_e(s.explanation)}{refs.ref(s.evidence)}</div>'
        for s in flags
    ] or ["<p>None found.</p>"]
    parts.append("<h2>Signals</h2>")
    parts += [
        f'<div class="sig"><b>{_e(s.name)}</b> {_e(s.explanation)}{refs.ref(s.evidence)}</div>'
        for s in p.signals
        if s.kind == "signal"
    ] or ["<p>None.</p>"]
    parts.append(f"<h2>Contradictions between documents ({len(p.conflicts)})</h2>")
    if p.conflicts:
        parts.append("<table><tr><th>Field</th><th>Period</th><th>Values (kept value first)</th></tr>")
        for cf in p.conflicts:
            vals = "<br>".join(
                f"{'<b>' if v.chosen else ''}{_e(v.raw)} — {_e(v.doc)}{f' p.{v.page}' if v.page else ''} "
                f"({_e(v.source_type)}){' · kept</b>' if v.chosen else ''}"
                f"{refs.ref([Source(doc=v.doc, page=v.page, quote=v.quote)], 1)}"
                for v in cf.values
            )
            parts.append(
                f"<tr><td>{_e(LABELS.get(cf.field, cf.field))}</td><td>{_e(cf.period or '')}</td><td>{vals}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>None found.</p>")
    unknown = [LABELS.get(k, k) for k, v in p.fields.items() if v.status == "unknown"]
    parts.append(
        "<h2>Not in the documents</h2><p>"
        + (
            _e(", ".join(unknown))
            + " <small>(searched: "
            + _e(", ".join(d.doc for d in p.documents))
            + ")</small>"
            if unknown
            else "Every field was found."
        )
        + "</p>"
    )
    parts.append(
        "<h2>Documents</h2><table><tr><th>Document</th><th>Type</th><th>Audited</th><th>Reliability</th></tr>"
    )
    parts += [
        f"<tr><td>{_e(d.doc)}</td><td>{_e(d.type)}</td><td>{'yes' if d.audited else 'no'}</td><td>{d.reliability}</td></tr>"
        for d in p.documents
    ]
    parts.append('</table><h2>Sources</h2><ol class="refs">')
    parts += [
        f'<li id="ref{i}">{_e(cite(s))}: <span class="quote">“{_e(s.quote)}”</span></li>'
        for i, s in enumerate(refs.items, start=1)
    ]
    parts.append("</ol></main></body></html>")
    return "\n".join(parts) + "\n"


def _html_lists(p: Profile, refs: _Refs) -> str:
    out: list[str] = []
    if p.lists.top_customers:
        out.append(
            "<h2>Customers</h2><table><tr><th>Customer</th><th>Share</th><th>Sales</th><th>Related party</th></tr>"
        )
        for c in p.lists.top_customers:
            who = c.name if c.rank is None else f"#{c.rank} {c.name or '(not named)'}"
            out.append(
                f'<tr><td>{_e(who)}{refs.ref(c.evidence, 1)}</td><td class="num">'
                f'{f"{c.share:.2f}%" if c.share is not None else "—"}</td><td class="num">'
                f"{_e(money(float(c.amount), c.currency)) if c.amount is not None else '—'}</td>"
                f"<td>{'—' if c.related_party is None else ('yes' if c.related_party else 'no')}</td></tr>"
            )
        out.append("</table>")
    if p.lists.financing_rounds:
        out.append(
            "<h2>Financing rounds</h2><table><tr><th>Date</th><th>Round</th><th>Amount</th><th>Lead</th><th>Post-money</th></tr>"
        )
        for r in p.lists.financing_rounds:
            out.append(
                f'<tr><td>{_e(r.date or "—")}</td><td>{_e(r.round)}{refs.ref(r.evidence)}</td><td class="num">'
                f"{_e(money(float(r.amount), r.currency)) if r.amount is not None else '—'}</td>"
                f'<td>{_e(", ".join(r.lead_investors))}</td><td class="num">'
                f"{_e(money(float(r.post_money_valuation), r.currency)) if r.post_money_valuation is not None else ''}</td></tr>"
            )
        out.append("</table>")
    if p.lists.qualifications:
        out.append(
            "<h2>Qualifications, R&amp;D platforms, standards</h2><table><tr><th>Name</th><th>Kind</th><th>Number</th>"
            "<th>Issued</th><th>Expires</th><th>Status</th></tr>"
        )
        for q in p.lists.qualifications:
            cls = "fail" if q.status in ("expired",) else ("unknown" if q.status == "expiring" else "")
            out.append(
                f"<tr><td>{_e(q.name)}{refs.ref(q.evidence)}</td><td>{_e(q.kind)}{' (' + _e(q.level) + ')' if q.level else ''}"
                f"</td><td>{_e(q.number or '—')}</td><td>{_e(q.issued or '—')}</td><td>{_e(q.expires or '—')}"
                f'{" <small>by rule</small>" if q.expires_derived else ""}</td><td class="{cls}">{_e(q.status)}</td></tr>'
            )
        out.append("</table>")
    if p.lists.lawsuits:
        out.append(
            "<h2>Lawsuits and listings</h2><table><tr><th>Date</th><th>Kind</th><th>Role</th><th>Cause</th><th>Amount</th>"
            "<th>Status</th></tr>"
        )
        for s in p.lists.lawsuits:
            out.append(
                f"<tr><td>{_e(s.date or '—')}</td><td>{_e(s.kind)}{refs.ref(s.evidence, 3)}</td><td>{_e(s.role)}</td>"
                f'<td>{_e(s.cause or "—")}</td><td class="num">'
                f"{_e(money(float(s.amount), s.currency)) if s.amount is not None else '—'}</td>"
                f"<td>{_e(s.status or '—')}{' (closed)' if s.closed else ''}</td></tr>"
            )
        out.append("</table>")
    if p.lists.patents:
        out.append(
            f"<h2>Listed patents ({len(p.lists.patents)})</h2><table><tr><th>Number</th><th>Title</th><th>Type</th>"
            "<th>Granted</th><th>Status</th></tr>"
        )
        for pt in p.lists.patents[:30]:
            out.append(
                f"<tr><td>{_e(pt.number)}{refs.ref(pt.evidence, 1)}</td><td>{_e(pt.title or '')}</td><td>{_e(pt.type)}</td>"
                f"<td>{_e(pt.granted or '—')}</td><td>{_e(pt.legal_status or '')}{' (pledged)' if pt.pledged else ''}</td></tr>"
            )
        out.append("</table>")
    return "\n".join(out)


# ---- SVG charts ----------------------------------------------------------------------------------------------
def _series(p: Profile, years: list[str], key: str) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for y in years:
        fv = p.financials[y].get(key)
        out.append((y, float(fv.value) if fv and isinstance(fv.value, int | float) else None))
    return out


def _charts(p: Profile, years: list[str]) -> str:
    charts: list[str] = []
    revenue = _series(p, years, "revenue")
    profit = _series(p, years, "net_profit")
    unit = next((fv.unit for y in years for k, fv in p.financials[y].items() if k == "revenue"), None)
    if sum(v is not None for _, v in revenue) >= 1:
        charts.append(
            bar_chart(
                "Revenue and net profit",
                years,
                {"Revenue": revenue, "Net profit": profit},
                lambda v: money(v, unit),
            )
        )
    rd = _series(p, years, "rd_ratio")
    gm = _series(p, years, "gross_margin")
    net_margin = [
        (y, 100 * n / r if n is not None and r else None)
        for (y, r), (_, n) in zip(revenue, profit, strict=True)
    ]
    lines = {
        k: v
        for k, v in (("R&D / revenue", rd), ("Gross margin", gm), ("Net margin (computed)", net_margin))
        if sum(x is not None for _, x in v) >= 1
    }
    if lines:
        charts.append(line_chart("Ratios (%)", years, lines))
    return "".join(charts)


_COLORS = ("#1a73e8", "#e37400", "#137333", "#a142f4", "#b3261e")


def bar_chart(
    title: str,
    labels: list[str],
    series: dict[str, list[tuple[str, float | None]]],
    fmt: Callable[[float], str],
    width: int = 520,
    height: int = 260,
) -> str:
    values = [v for s in series.values() for _, v in s if v is not None]
    if not values:
        return ""
    top, bottom = max(0.0, max(values)), min(0.0, min(values))
    span = (top - bottom) or 1.0
    left, right, upper, lower = 40, 10, 30, 40
    plot_h = height - upper - lower
    zero = upper + plot_h * top / span
    group = (width - left - right) / max(1, len(labels))
    bar_w = group * 0.7 / max(1, len(series))
    out = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="600">{_e(title)}</text>',
        f'<line x1="{left}" y1="{zero:.1f}" x2="{width - right}" y2="{zero:.1f}" stroke="#9aa7b4"/>',
    ]
    for si, (name, points) in enumerate(series.items()):
        color = _COLORS[si % len(_COLORS)]
        for li, (_label, v) in enumerate(points):
            if v is None:
                continue
            x = left + li * group + group * 0.15 + si * bar_w
            h = plot_h * abs(v) / span
            y = zero - h if v >= 0 else zero
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{max(h, 0.5):.1f}" fill="{color}">'
                f"<title>{_e(name)} {_e(_label)}: {_e(fmt(v))}</title></rect>"
            )
            ty = y - 3 if v >= 0 else y + h + 11
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{ty:.1f}" font-size="9" text-anchor="middle">{_e(fmt(v))}</text>'
            )
        out.append(
            f'<rect x="{left + si * 110}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 14 + si * 110}" y="{height - 5}" font-size="11">{_e(name)}</text>'
        )
    for li, label in enumerate(labels):
        out.append(
            f'<text x="{left + li * group + group / 2:.1f}" y="{height - 22}" font-size="11" text-anchor="middle">{_e(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def line_chart(
    title: str,
    labels: list[str],
    series: dict[str, list[tuple[str, float | None]]],
    width: int = 520,
    height: int = 260,
) -> str:
    values = [v for s in series.values() for _, v in s if v is not None]
    if not values:
        return ""
    top, bottom = max(values + [0.0]), min(values + [0.0])
    span = (top - bottom) or 1.0
    left, right, upper, lower = 40, 10, 30, 40
    plot_h = height - upper - lower
    step = (width - left - right) / max(1, len(labels))

    def y_of(v: float) -> float:
        return upper + plot_h * (top - v) / span

    out = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="600">{_e(title)}</text>',
        f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{width - right}" y2="{y_of(0):.1f}" stroke="#9aa7b4"/>',
    ]
    for si, (name, points) in enumerate(series.items()):
        color = _COLORS[si % len(_COLORS)]
        coords = [
            (left + i * step + step / 2, y_of(v), v) for i, (_, v) in enumerate(points) if v is not None
        ]
        if len(coords) >= 2:
            out.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
                + '"/>'
            )
        for x, y, v in coords:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{_e(name)}: {v:.2f}%</title></circle>'
                f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="9" text-anchor="middle">{v:.1f}</text>'
            )
        out.append(
            f'<rect x="{left + si * 150}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 14 + si * 150}" y="{height - 5}" font-size="11">{_e(name)}</text>'
        )
    for i, label in enumerate(labels):
        out.append(
            f'<text x="{left + i * step + step / 2:.1f}" y="{height - 22}" font-size="11" text-anchor="middle">{_e(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


__all__ = ["bar_chart", "line_chart", "render", "to_html", "to_markdown"]
