"""Several values for one field → one value, the others in ``conflicts``.

For each field and period the value of the most reliable document wins (audited annual report /
audit report > prospectus > unaudited report > patent list > profile card > business plan > news >
visit notes), then the label priority inside that document (归母净利润 over 净利润, 研发投入合计 over
研发费用), then exact over approximate. Values that agree within rounding ("1.23亿" vs
"12,306.18万元"; ±5% for "约…") are extra evidence; values from other documents that disagree are a
conflict (status ``conflict``). Figures of one document never conflict with each other (a report's
consolidated and parent-only statements, or its R&D expense and total R&D investment, differ by design).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import Literal

from assistant.profile.candidates import Candidate, Extraction
from assistant.profile.numbers import DateMention, add_years
from assistant.profile.schema import (
    SPECS,
    Conflict,
    ConflictValue,
    Customer,
    FieldValue,
    Lawsuit,
    Patent,
    Qualification,
    Round,
    Source,
)
from assistant.profile.sources import DocContext
from assistant.text.normalize import fold_name

APPROX_TOLERANCE = 0.05
TEXT_CONFLICT_FIELDS = frozenset({"unified_social_credit_code"})
MAX_EVIDENCE = 5


def _rel(c: Candidate, ctxs: dict[str, DocContext]) -> int:
    ctx = ctxs.get(c.doc)
    return ctx.reliability if ctx else 0


_TOTALS = frozenset({"revenue", "total_assets", "total_liabilities"})


def _rank(
    c: Candidate, ctxs: dict[str, DocContext]
) -> tuple[int, int, int, float, int, float, int, int, int]:
    """Most reliable document, then label class (priority rounded to tens: 归母 over 净利润), then exact
    and most precise, then the finer priority (explicit period over inferred), a sentence over a table
    cell (it reads better as the first quote), longest text, first page."""
    text_len = -len(str(c.value)) if isinstance(c.value, str) else 0
    table = int(c.rule.startswith(("text:", "md:")))
    # a segment's revenue or assets are smaller than the company's: between equals, the larger is the total
    size = -abs(float(c.value)) if c.field in _TOTALS and isinstance(c.value, int | float) else 0.0
    return (
        -_rel(c, ctxs),
        -((c.priority + 5) // 10),
        int(c.approx),
        c.tolerance,
        -c.priority,
        size,
        table,
        text_len,
        c.page or 0,
    )


def agree(a: Candidate, b: Candidate) -> bool:
    """Same value within rounding (or ±5% when either is approximate); text equal or contained; dates
    compatible (2015 vs 2015-09-07)."""
    if isinstance(a.value, str) or isinstance(b.value, str):
        sa, sb = fold_name(str(a.value)), fold_name(str(b.value))
        if a.unit == "date" or b.unit == "date":
            return sa.startswith(sb) or sb.startswith(sa)
        return sa == sb or (bool(sa) and bool(sb) and (sa in sb or sb in sa))
    if a.unit != b.unit:
        return False
    x, y = float(a.value), float(b.value)
    if a.approx or b.approx:
        return abs(x - y) <= APPROX_TOLERANCE * max(abs(x), abs(y), 1e-9)
    return abs(x - y) <= max(a.tolerance, b.tolerance) + 1e-6 * max(abs(x), abs(y), 1.0)


def _confidence(chosen: Candidate, agreeing_docs: int, conflict: bool, ctxs: dict[str, DocContext]) -> float:
    base = _rel(chosen, ctxs) / 100
    if chosen.approx:
        base *= 0.85
    if chosen.note:
        base *= 0.9
    base += 0.04 * max(0, agreeing_docs - 1)
    if conflict:
        base -= 0.15
    return round(max(0.05, min(base, 0.99)), 2)


def _conflict_value(c: Candidate, ctxs: dict[str, DocContext], chosen: bool) -> ConflictValue:
    ctx = ctxs.get(c.doc)
    return ConflictValue(
        value=c.value,
        raw=c.raw,
        doc=c.doc,
        page=c.page,
        quote=c.quote,
        source_type=ctx.type if ctx else "other",
        chosen=chosen,
    )


def _describe(c: Candidate, ctxs: dict[str, DocContext]) -> str:
    ctx = ctxs.get(c.doc)
    kind = ctx.type if ctx else "document"
    audited = ", audited" if ctx and ctx.info.audited else ""
    return f"{c.doc} ({kind}{audited}) states {c.raw}"


def resolve(
    group: list[Candidate], ctxs: dict[str, DocContext], field: str, period: str | None
) -> tuple[FieldValue, Conflict | None]:
    ordered = sorted(group, key=lambda c: _rank(c, ctxs))
    chosen = ordered[0]
    evidence: list[Source] = []
    agreeing_docs: set[str] = set()
    others: list[Candidate] = []
    for c in ordered:
        if agree(c, chosen):
            if c.approx and not chosen.approx and c.doc != chosen.doc:
                continue  # "约210人" neither confirms nor contradicts 208
            src = c.source
            if src not in evidence:
                evidence.append(src)
            agreeing_docs.add(c.doc)
        elif c.doc != chosen.doc and (c.basis is None or chosen.basis is None or c.basis == chosen.basis):
            kind = SPECS[field].kind if field in SPECS else "money"
            if (kind != "text" or field in TEXT_CONFLICT_FIELDS) and not any(
                agree(c, o) and o.doc == c.doc for o in others
            ):
                others.append(c)
    conflict: Conflict | None = None
    if others:
        values = [_conflict_value(chosen, ctxs, True)] + [_conflict_value(o, ctxs, False) for o in others]
        note = (
            "; ".join(_describe(o, ctxs) for o in others)
            + f" — but {_describe(chosen, ctxs)}, the more reliable source, which is kept."
        )
        conflict = Conflict(field=field, period=period, unit=chosen.unit, values=values, note=note)
    fv = FieldValue(
        value=chosen.value,
        unit=chosen.unit,
        period=period,
        raw=chosen.raw,
        evidence=evidence[:MAX_EVIDENCE],
        confidence=_confidence(chosen, len(agreeing_docs), conflict is not None, ctxs),
        status="conflict" if conflict else "found",
        note=chosen.note,
    )
    return fv, conflict


def reconcile_fields(
    cands: list[Candidate], ctxs: dict[str, DocContext]
) -> tuple[dict[str, FieldValue], dict[str, dict[str, FieldValue]], list[Conflict]]:
    """(fields: latest value per field, financials: per year, conflicts)."""
    by_field: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_field[c.field].append(c)
    fields: dict[str, FieldValue] = {}
    financials: dict[str, dict[str, FieldValue]] = defaultdict(dict)
    conflicts: list[Conflict] = []
    for field, group in by_field.items():
        spec = SPECS.get(field)
        per_year = spec.per_year if spec else True
        if not per_year:
            fv, conflict = resolve(group, ctxs, field, None)
            fields[field] = fv
            if conflict:
                conflicts.append(conflict)
            continue
        by_period: dict[str | None, list[Candidate]] = defaultdict(list)
        for c in group:
            by_period[c.period].append(c)
        dated = sorted((p for p in by_period if p is not None), reverse=True)
        resolved: dict[str, FieldValue] = {}
        for period in dated:
            fv, conflict = resolve(by_period[period], ctxs, field, period)
            resolved[period] = fv
            if conflict:
                conflicts.append(conflict)
            if re.fullmatch(r"\d{4}", period):
                financials[period][field] = fv
        undated = by_period.get(None, [])
        if dated:
            latest = resolved[dated[0]]
            proxy = Candidate(
                field=field,
                value=latest.value if latest.value is not None else 0,
                unit=latest.unit,
                raw=latest.raw or "",
                doc="",
                quote="",
                chunk_id="",
                tolerance=max((c.tolerance for c in by_period[dated[0]]), default=0.0),
            )
            for c in undated:
                if (
                    not c.approx
                    and agree(c, proxy)
                    and c.source not in latest.evidence
                    and len(latest.evidence) < MAX_EVIDENCE
                ):
                    latest.evidence.append(c.source)
            fields[field] = latest
        elif undated:
            fv, conflict = resolve(undated, ctxs, field, None)
            fields[field] = fv
            if conflict:
                conflicts.append(conflict)
    return fields, {y: financials[y] for y in sorted(financials)}, conflicts


def unknown(looked_in: list[str]) -> FieldValue:
    """A field no document states: no value, and the documents that were searched."""
    return FieldValue(status="unknown", looked_in=looked_in, confidence=0.0)


# ---- lists ---------------------------------------------------------------------------------------------------
def _reliability_of(sources: list[Source], ctxs: dict[str, DocContext]) -> int:
    return max((ctxs[s.doc].reliability for s in sources if s.doc in ctxs), default=0)


def _dates_compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a.startswith(b) or b.startswith(a)


def _round_key(name: str) -> str:
    key = (
        name.lower()
        .replace("series", "")
        .replace("轮", "")
        .replace("round", "")
        .replace("融资", "")
        .replace(" ", "")
    )
    return {"种子": "seed", "天使": "angel"}.get(key, key)


def merge_rounds(
    rounds: list[Round], ctxs: dict[str, DocContext], valuations: list[tuple[float | int, str | None, Source]]
) -> list[Round]:
    merged: list[Round] = []
    ordered = sorted(rounds, key=lambda r: -_reliability_of(r.evidence, ctxs))
    for r in ordered:
        same = next(
            (
                m
                for m in merged
                if _round_key(m.round) == _round_key(r.round)
                and _dates_compatible(m.date, r.date)
                and (
                    m.amount is None
                    or r.amount is None
                    or abs(float(m.amount) - float(r.amount)) <= 0.02 * float(m.amount)
                )
            ),
            None,
        )
        if same is None:
            merged.append(r.model_copy(deep=True))
            continue
        if r.date and (same.date is None or len(r.date) > len(same.date)):
            same.date = r.date
        if same.amount is None and r.amount is not None:
            same.amount, same.currency, same.raw_amount = r.amount, r.currency, r.raw_amount
        for inv in r.lead_investors:
            if inv not in same.lead_investors:
                same.lead_investors.append(inv)
        for src in r.evidence:
            if src not in same.evidence:
                same.evidence.append(src)
    for value, _currency, src in valuations:
        docs_rounds = [m for m in merged if any(e.doc == src.doc for e in m.evidence)]
        if docs_rounds:
            target = max(docs_rounds, key=lambda m: m.date or "")
            target.post_money_valuation = value
            if src not in target.evidence:
                target.evidence.append(src)
    return sorted(merged, key=lambda m: m.date or "")


_QUAL_VALIDITY_YEARS = {"高新技术企业": 3, "专精特新中小企业": 3, "小巨人": 3, "创新型中小企业": 3}


def qual_key(name: str) -> str:
    key = re.sub(r"\s+", "", name).lower()
    key = re.sub(r"^(?:国家级?|省级|市级)", "", key)
    key = re.sub(
        r"^(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|"
        r"贵州|云南|陕西|甘肃|青海|内蒙古|广西|西藏|宁夏|新疆)(?:省|市|自治区)?",
        "",
        key,
    )
    key = re.sub(r":\d{4}$|认证$|证书$|certification$|certificate$", "", key)
    key = key.replace("“", "").replace("”", "").replace('"', "")
    return key


def _derived_expiry(q: Qualification) -> str | None:
    if not q.issued:
        return None
    key = qual_key(q.name)
    d = DateMention(iso=q.issued, raw=q.issued, start=0, end=0)
    if "科技型中小企业" in key:
        return f"{q.issued[:4]}-12-31"
    for name, years in _QUAL_VALIDITY_YEARS.items():
        if name in key:
            start = d.as_date()
            if len(q.issued) == 4:
                return str(int(q.issued) + years)
            if len(q.issued) < 10:
                return add_years(d.as_date(end_of_period=True), years).isoformat()[:7]
            return date.fromordinal(add_years(start, years).toordinal() - 1).isoformat()
    return None


def merge_qualifications(
    quals: list[Qualification], ctxs: dict[str, DocContext], today: date
) -> list[Qualification]:
    merged: list[Qualification] = []
    for q in sorted(quals, key=lambda q: -_reliability_of(q.evidence, ctxs)):
        key = qual_key(q.name)
        same = next(
            (
                m
                for m in merged
                if qual_key(m.name) == key
                and m.kind == q.kind
                and (_dates_compatible(m.issued, q.issued) or q.issued is None or m.issued is None)
                and (m.kind != "standard" or m.level == q.level)
            ),
            None,
        )
        if same is None:
            merged.append(q.model_copy(deep=True))
            continue
        if q.issued and (same.issued is None or len(q.issued) > len(same.issued)):
            same.issued = q.issued
        if q.expires and (same.expires is None or len(q.expires) > len(same.expires) or same.expires_derived):
            same.expires, same.expires_derived = q.expires, False
        same.number = same.number or q.number
        same.level = same.level or q.level
        for src in q.evidence:
            if src not in same.evidence:
                same.evidence.append(src)
    for q in merged:
        if q.kind in ("rd_platform", "standard"):
            q.status = "claimed"
            continue
        if q.expires is None:
            derived = _derived_expiry(q)
            if derived:
                q.expires, q.expires_derived = derived, True
        q.status = qualification_status(q, today)
    return merged


QualStatus = Literal["valid", "expiring", "expired", "claimed", "unknown"]


def qualification_status(q: Qualification, today: date) -> QualStatus:
    if q.expires:
        end = DateMention(iso=q.expires, raw="", start=0, end=0).as_date(end_of_period=True)
        if end < today:
            return "expired"
        if (end - today).days <= 180:
            return "expiring"
        return "valid"
    return "claimed" if not q.issued else "unknown"


def merge_lawsuits(items: list[Lawsuit], ctxs: dict[str, DocContext]) -> list[Lawsuit]:
    merged: list[Lawsuit] = []

    def later(src: Source) -> str:
        ctx = ctxs.get(src.doc)
        return (ctx.published or str(ctx.max_year or "")) if ctx else ""

    for item in sorted(items, key=lambda x: (x.amount is None, -_reliability_of(x.evidence, ctxs))):
        same = None
        for m in merged:
            if m.kind != item.kind:
                continue
            if m.amount is not None and item.amount is not None:
                if abs(float(m.amount) - float(item.amount)) <= 0.01 * abs(float(m.amount)) + 1:
                    same = m
                    break
            elif m.kind != "lawsuit" or (m.cause and item.cause and m.cause == item.cause):
                same = m
                break
        if same is None:
            merged.append(item.model_copy(deep=True))
            continue
        if same.role == "unknown":
            same.role = item.role
        if item.amount is None and same.amount is not None and same.kind != "lawsuit":
            same.closed = same.closed or item.closed
            for src in item.evidence:
                if src not in same.evidence:
                    same.evidence.append(src)
            continue  # a headline without the amount adds evidence, not details
        same.cause = same.cause or item.cause
        same.court = same.court or item.court
        same.counterparty = same.counterparty or item.counterparty
        same.case_no = same.case_no or item.case_no
        if same.amount is None:
            same.amount, same.currency, same.raw_amount = item.amount, item.currency, item.raw_amount
        if item.date and (
            same.date is None
            or (len(item.date) > len(same.date) and same.date and item.date.startswith(same.date))
        ):
            same.date = item.date
        if item.status and (same.status is None or later(item.evidence[0]) > later(same.evidence[0])):
            same.status = item.status
        same.closed = same.closed or item.closed
        for src in item.evidence:
            if src not in same.evidence:
                same.evidence.append(src)
    return sorted(merged, key=lambda m: m.date or "")


def merge_patents(items: list[Patent]) -> list[Patent]:
    merged: dict[str, Patent] = {}
    for p in items:
        key = re.sub(r"[\s,]", "", p.number).upper()
        if key in merged:
            m = merged[key]
            m.title = m.title or p.title
            if m.type == "unknown":
                m.type = p.type
            m.pledged = m.pledged or p.pledged
            for src in p.evidence:
                if src not in m.evidence:
                    m.evidence.append(src)
        else:
            merged[key] = p.model_copy(deep=True)
    return list(merged.values())


def customers(
    ex: Extraction, fields: dict[str, FieldValue], amounts: dict[str, FieldValue], ctxs: dict[str, DocContext]
) -> list[Customer]:
    related_false = [s for f in ex.facts if f.name == "customers_not_related" for s in f.evidence]
    out: list[Customer] = []
    top1, top5 = fields.get("top1_customer_share"), fields.get("top5_customer_share")
    named = sorted(ex.customers, key=lambda c: -_reliability_of(c.evidence, ctxs))
    if (top1 and top1.status != "unknown") or named:
        a1 = amounts.get("top1_customer_amount")
        share = top1.value if top1 and top1.status != "unknown" else None
        evidence = list(top1.evidence) if top1 else []
        name = named[0].name if named else None
        if named:
            evidence += [s for s in named[0].evidence if s not in evidence]
        out.append(
            Customer(
                rank=1,
                name=name,
                share=float(share) if isinstance(share, int | float) else None,
                amount=a1.value if a1 and isinstance(a1.value, int | float) else None,
                currency=a1.unit if a1 else None,
                period=top1.period if top1 else None,
                related_party=False if related_false else None,
                evidence=(evidence + [s for s in related_false if s not in evidence])[:MAX_EVIDENCE],
            )
        )
    if top5 and top5.status != "unknown":
        a5 = amounts.get("top5_customer_amount")
        out.append(
            Customer(
                rank=None,
                name="top 5 combined",
                share=float(top5.value) if isinstance(top5.value, int | float) else None,
                amount=a5.value if a5 and isinstance(a5.value, int | float) else None,
                currency=a5.unit if a5 else None,
                period=top5.period,
                related_party=False if related_false else None,
                evidence=(list(top5.evidence) + [s for s in related_false if s not in top5.evidence])[
                    :MAX_EVIDENCE
                ],
            )
        )
    return out
