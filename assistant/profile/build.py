"""``build_profile(store, company)``: stored chunks → rule extraction → reconciliation → lists →
checks → signals → :class:`Profile`. No LLM and no embedding call (vectors are not even read:
``Store.company_texts``); hooks take an LLM extractor for missing fields and an LLM summariser."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from assistant.core.errors import InputError
from assistant.core.records import Chunk, Fact
from assistant.profile.checks import run_checks
from assistant.profile.extract import extract, run_llm_extractor
from assistant.profile.extract.candidates import LLMExtractor
from assistant.profile.extract.from_facts import fact_candidates, shadowed_by_facts
from assistant.profile.reconcile import reconcile_fields, unknown
from assistant.profile.reconcile.lists import customers, merge_lawsuits, merge_patents, merge_rounds
from assistant.profile.reconcile.quals import merge_qualifications
from assistant.profile.schema import FIELD_NAMES, REQUIRED_FIELDS, SPECS, FieldValue, Lists, Profile, Summary
from assistant.profile.signals import compute_signals

if TYPE_CHECKING:
    from assistant.store.index import Store

Summarizer = Callable[[Profile], Summary]


def profile_from_chunks(
    chunks: Sequence[Chunk],
    company: str,
    aliases: Sequence[str] = (),
    today: date | None = None,
    llm_extractor: LLMExtractor | None = None,
    summarizer: Summarizer | None = None,
    facts: Sequence[Fact] = (),
) -> Profile:
    """The profile of one company from its chunks (``Store.company_texts``) and the facts of its documents'
    tables (``Store.facts``: rows whose header or caption another passage holds)."""
    today = today or date.today()
    ex, ctxs = extract(chunks, company, aliases)
    ex.candidates = shadowed_by_facts(ex.candidates, facts)
    ex.candidates += [c for c in fact_candidates(facts, SPECS) if c.doc in ctxs]
    looked_in = sorted(ctxs)
    fields, financials, conflicts = reconcile_fields(ex.candidates, ctxs)
    if llm_extractor is not None:
        missing = [
            n for n in REQUIRED_FIELDS
            if (n not in fields or fields[n].status == "unknown") and n != "latest_financing_round"
        ]  # fmt: skip
        if missing:
            extra, _rejected = run_llm_extractor(llm_extractor, chunks, missing)
            if extra:
                fields, financials, conflicts = reconcile_fields(ex.candidates + extra, ctxs)
    amounts = {k: v for k, v in fields.items() if k not in SPECS}
    fields = {k: v for k, v in fields.items() if k in SPECS}
    financials = {y: {k: v for k, v in row.items() if k in SPECS} for y, row in financials.items()}
    financials = {y: row for y, row in financials.items() if row}

    valuations = [
        (f.value, f.currency, f.evidence[0])
        for f in ex.facts
        if f.name == "post_money_valuation" and isinstance(f.value, int | float) and f.evidence
    ]
    rounds = merge_rounds(ex.rounds, ctxs, valuations)
    qualifications = merge_qualifications(ex.qualifications, ctxs, today)
    lawsuits = merge_lawsuits(ex.lawsuits, ctxs)
    patents = merge_patents(ex.patents)
    if rounds:
        last = max((r for r in rounds if r.date), key=lambda r: r.date or "", default=rounds[-1])
        fields["latest_financing_round"] = FieldValue(
            value=last.round,
            unit=None,
            period=last.date,
            raw=last.round,
            evidence=last.evidence[:3],
            confidence=0.9 if len(last.evidence) > 1 else 0.8,
            status="found",
        )
    out_fields = {name: fields.get(name) or unknown(looked_in) for name in FIELD_NAMES}
    top = customers(ex, out_fields, amounts, ctxs)
    checks = run_checks(out_fields, financials, qualifications, today, rounds)
    signals = compute_signals(
        out_fields, financials, qualifications, lawsuits, rounds, conflicts, ex.facts, today
    )
    years = [y for y in financials if re.fullmatch(r"\d{4}", y)]
    profile = Profile(
        company=company,
        aliases=_aliases(company, aliases),
        as_of=f"{max(years)}-12-31" if years else None,
        reference_date=today.isoformat(),
        fields=out_fields,
        financials=financials,
        lists=Lists(
            financing_rounds=rounds,
            qualifications=qualifications,
            patents=patents,
            lawsuits=lawsuits,
            top_customers=top,
        ),
        checks=checks,
        signals=signals,
        conflicts=conflicts,
        summary=Summary(),
        documents=[ctxs[d].info for d in looked_in],
    )
    if summarizer is not None:
        profile.summary = summarizer(profile)
    return profile


def _aliases(company: str, aliases: Sequence[str]) -> list[str]:
    """Distinct aliases (case-insensitive), the capitalised spelling kept."""
    out: dict[str, str] = {}
    for a in sorted(aliases, key=lambda a: (a.islower(), a)):
        if a != company:
            out.setdefault(a.casefold(), a)
    return sorted(out.values())


def build_profile(
    store: Store,
    company: str,
    today: date | None = None,
    llm_extractor: LLMExtractor | None = None,
    summarizer: Summarizer | None = None,
) -> Profile:
    """The profile of a company in the store (its chunks' texts, not their vectors)."""
    chunks = store.company_texts(company)
    if not chunks:
        raise InputError(f"no documents stored for company '{company}'")
    aliases = store.aliases().get(company, [])
    return profile_from_chunks(
        chunks, company, aliases, today, llm_extractor, summarizer, store.facts(company)
    )


__all__ = ["Summarizer", "build_profile", "profile_from_chunks"]
