"""A profile as a self-contained HTML report (inline CSS and SVG charts, no network resources) with numbered
source quotes as footnotes."""

from __future__ import annotations

import html

from assistant.core.records import Citation
from assistant.profile.render.charts import charts
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

_CSS = (  # one rule group per line of the report's <style>
    "\n"
    'body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",Helvetica,Arial,sans-serif;'
    "margin:0;color:#1d2733;background:#f5f7fa}\n"
    "main{max-width:1100px;margin:0 auto;padding:24px}\n"
    "h1{font-size:24px;margin:0 0 4px}"
    "h2{font-size:18px;margin:28px 0 10px;border-bottom:2px solid #d9e1ea;padding-bottom:4px}\n"
    ".meta{color:#5a6b7d;font-size:13px}"
    ".card{background:#fff;border:1px solid #dfe6ee;border-radius:6px;padding:14px;margin:10px 0}\n"
    "table{border-collapse:collapse;width:100%;font-size:13px;background:#fff}"
    "th,td{border:1px solid #e1e7ee;padding:5px 7px;text-align:left;vertical-align:top}\n"
    "th{background:#eef2f7}td.num{text-align:right;white-space:nowrap}.conflict{background:#fff4e5}\n"
    ".pass{color:#137333;font-weight:600}.fail{color:#b3261e;font-weight:600}"
    ".unknown{color:#8a6d00;font-weight:600}\n"
    ".flag{border-left:4px solid #b3261e;padding:6px 10px;margin:6px 0;background:#fff}"
    ".flag.warning{border-color:#e37400}\n"
    ".sig{border-left:4px solid #1a73e8;padding:6px 10px;margin:6px 0;background:#fff}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}"
    ".charts svg{background:#fff;border:1px solid #dfe6ee;border-radius:6px}\n"
    "sup a{text-decoration:none;color:#1a73e8}.refs li{font-size:12px;margin:3px 0}"
    ".quote{color:#37474f}\n"
    "small{color:#5a6b7d}\n"
)


class _Refs:
    """Numbered source quotes for footnotes."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def ref(self, sources: list[Citation], limit: int = 2) -> str:
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
    title = profile_title(p)
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
            f'<h2>Summary</h2><div class="card">{_e(p.summary.text)}'
            f"{refs.ref(p.summary.citations, len(p.summary.citations))}</div>"
        )
    parts.append("<h2>Identity</h2><table><tr><th>Field</th><th>Value</th></tr>")
    for key in IDENTITY:
        fv = p.fields.get(key)
        if fv and fv.status != "unknown":
            parts.append(
                f"<tr><td>{_e(field_label(key))}</td><td>{_e(show(fv))}{refs.ref(fv.evidence)}"
                f"{' <small>(' + _e(fv.period) + ')</small>' if fv.period else ''}</td></tr>"
            )
    parts.append("</table>")
    years = fiscal_years(p)
    if years:
        parts.append("<h2>Financials and operations</h2>")
        parts.append(f'<div class="charts">{charts(p, years)}</div>')
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
            row = f"<tr><td>{_e(field_label(key))}</td>"
            for c in cells:
                cls = "num conflict" if c and c.status == "conflict" else "num"
                row += f'<td class="{cls}">{_e(show(c))}{refs.ref(c.evidence, 1) if c else ""}</td>'
            for i in range(1, len(years)):
                row += f'<td class="num">{_e(change(cells[i - 1], cells[i]))}</td>'
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
        f'<div class="flag {s.severity}"><b>{_e(s.name)}</b> ({s.severity}) {_e(s.explanation)}'
        f"{refs.ref(s.evidence)}</div>"
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
                f"{refs.ref([Citation(doc=v.doc, page=v.page, quote=v.quote)], 1)}"
                for v in cf.values
            )
            parts.append(
                f"<tr><td>{_e(field_label(cf.field))}</td><td>{_e(cf.period or '')}</td><td>{vals}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>None found.</p>")
    unknown = [field_label(k) for k, v in p.fields.items() if v.status == "unknown"]
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
        f"<tr><td>{_e(d.doc)}</td><td>{_e(d.type)}</td><td>{'yes' if d.audited else 'no'}</td>"
        f"<td>{d.reliability}</td></tr>"
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
            "<h2>Financing rounds</h2><table><tr><th>Date</th><th>Round</th><th>Amount</th><th>Lead</th>"
            "<th>Post-money</th></tr>"
        )
        for r in p.lists.financing_rounds:
            out.append(
                f'<tr><td>{_e(r.date or "—")}</td><td>{_e(r.round)}{refs.ref(r.evidence)}</td><td class="num">'
                f"{_e(money(float(r.amount), r.currency)) if r.amount is not None else '—'}</td>"
                f'<td>{_e(", ".join(r.lead_investors))}</td><td class="num">'
                f"{_e(money(float(r.post_money_valuation), r.currency)) if r.post_money_valuation is not None else ''}"
                "</td></tr>"
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
                f"<tr><td>{_e(q.name)}{refs.ref(q.evidence)}</td><td>{_e(q.kind)}"
                f"{' (' + _e(q.level) + ')' if q.level else ''}"
                f"</td><td>{_e(q.number or '—')}</td><td>{_e(q.issued or '—')}</td><td>{_e(q.expires or '—')}"
                f"{' <small>by rule</small>' if q.expires_derived else ''}</td>"
                f'<td class="{cls}">{_e(q.status)}</td></tr>'
            )
        out.append("</table>")
    if p.lists.lawsuits:
        out.append(
            "<h2>Lawsuits and listings</h2><table><tr><th>Date</th><th>Kind</th><th>Role</th><th>Cause</th>"
            "<th>Amount</th><th>Status</th></tr>"
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
                f"<tr><td>{_e(pt.number)}{refs.ref(pt.evidence, 1)}</td><td>{_e(pt.title or '')}</td>"
                f"<td>{_e(pt.type)}</td><td>{_e(pt.granted or '—')}</td><td>{_e(pt.legal_status or '')}"
                f"{' (pledged)' if pt.pledged else ''}</td></tr>"
            )
        out.append("</table>")
    return "\n".join(out)
