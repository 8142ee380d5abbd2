"""Several mentions of one list item → one item: financing rounds (same round, compatible dates, amounts
within 2%; the valuation goes to the document's latest round), lawsuits (same kind and amount, or
cause), patents (same number), and the largest / top-5 customers built from the reconciled shares.
Items are merged most reliable document first; details fill in, evidence accumulates."""

from __future__ import annotations

import re

from assistant.core.records import Citation
from assistant.profile.extract.candidates import Extraction
from assistant.profile.reconcile import MAX_EVIDENCE
from assistant.profile.schema import Customer, FieldValue, Lawsuit, Patent, Round
from assistant.profile.sources import DocContext


def reliability_of(sources: list[Citation], ctxs: dict[str, DocContext]) -> int:
    """The reliability of the most reliable document among ``sources``."""
    return max((ctxs[s.doc].reliability for s in sources if s.doc in ctxs), default=0)


def dates_compatible(a: str | None, b: str | None) -> bool:
    """Unknown, equal, or one a prefix of the other (2023 vs 2023-05)."""
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
    rounds: list[Round],
    ctxs: dict[str, DocContext],
    valuations: list[tuple[float | int, str | None, Citation]],
) -> list[Round]:
    merged: list[Round] = []
    ordered = sorted(rounds, key=lambda r: -reliability_of(r.evidence, ctxs))
    for r in ordered:
        same = next(
            (
                m
                for m in merged
                if _round_key(m.round) == _round_key(r.round)
                and dates_compatible(m.date, r.date)
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


def merge_lawsuits(items: list[Lawsuit], ctxs: dict[str, DocContext]) -> list[Lawsuit]:
    merged: list[Lawsuit] = []

    def later(src: Citation) -> str:
        ctx = ctxs.get(src.doc)
        return (ctx.published or str(ctx.max_year or "")) if ctx else ""

    for item in sorted(items, key=lambda x: (x.amount is None, -reliability_of(x.evidence, ctxs))):
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
    named = sorted(ex.customers, key=lambda c: -reliability_of(c.evidence, ctxs))
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
