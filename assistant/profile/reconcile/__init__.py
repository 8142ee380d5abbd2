"""Several values for one field → one value, the others in ``conflicts``.

For each field and period the value of the most reliable document wins (audited annual report /
audit report > prospectus > unaudited report > patent list > profile card > business plan > news >
visit notes), then the label priority inside that document (归母净利润 over 净利润, 研发投入合计 over
研发费用), then exact over approximate. Values that agree within rounding ("1.23亿" vs
"12,306.18万元"; ±5% for "约…") are extra evidence; values from other documents that disagree are a
conflict (status ``conflict``). Figures of one document never conflict with each other (a report's
consolidated and parent-only statements, or its R&D expense and total R&D investment, differ by design).
Lists (rounds, lawsuits, patents, customers) are merged in :mod:`assistant.profile.reconcile.lists`,
qualifications in :mod:`assistant.profile.reconcile.quals`.
"""

from __future__ import annotations

import re
from collections import defaultdict

from assistant.core.records import Citation
from assistant.profile.extract.candidates import Candidate
from assistant.profile.schema import SPECS, Conflict, ConflictValue, FieldValue
from assistant.profile.sources import DocContext
from assistant.text.normalize import fold_name

APPROX_TOLERANCE = 0.05
TEXT_CONFLICT_FIELDS = frozenset({"unified_social_credit_code"})
MAX_EVIDENCE = 5


def _rel(c: Candidate, ctxs: dict[str, DocContext]) -> int:
    ctx = ctxs.get(c.doc)
    return ctx.reliability if ctx else 0


_TOTALS = frozenset({"revenue", "total_assets", "total_liabilities"})
# a person's name is not better for being longer: between equals the first one the document prints
# wins (a report names its own legal representative before its shareholders')
_PERSONS = frozenset({"legal_representative", "actual_controller"})


def _newest(c: Candidate, ctxs: dict[str, DocContext]) -> int:
    """For a value without a period (legal representative, address …), the year of its document: a later
    report states the present one."""
    ctx = ctxs.get(c.doc)
    return (ctx.info.year or 0) if ctx and c.period is None else 0


def _rank(
    c: Candidate, ctxs: dict[str, DocContext]
) -> tuple[int, int, int, int, float, int, float, int, int, int]:
    """Most reliable document (the newest of equals for a value without a period), then label class
    (priority rounded to tens: 归母 over 净利润), then exact and most precise, then the finer priority
    (explicit period over inferred), a sentence over a table cell (it reads better as the first quote),
    longest text (not for a person's name), first page; the sort is stable, so what is still equal keeps
    the document's order."""
    text_len = -len(str(c.value)) if isinstance(c.value, str) and c.field not in _PERSONS else 0
    table = int(c.rule.startswith(("text:", "md:")))
    # a segment's revenue or assets are smaller than the company's: between equals, the larger is the total
    size = -abs(float(c.value)) if c.field in _TOTALS and isinstance(c.value, int | float) else 0.0
    return (
        -_rel(c, ctxs),
        -_newest(c, ctxs),
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
    evidence: list[Citation] = []
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
