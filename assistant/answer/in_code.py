"""The home of answers decided in code, without the model: figures and metrics from facts
(``answer.computed``), which of a few line items is the highest (``answer.ranking``), a qualification's
standing from the profile's qualifications (``answer.standing``), and a why-question's stated cause, quoted
(``answer.causes``). Each gives a ``Decided``: the text, the passages it cites as [1..n] in order, its path
and — a refusal — its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from assistant.answer.causes import cause_answer
from assistant.answer.citations import renumbered
from assistant.answer.computed import MissingInputs, metric_answer
from assistant.answer.figure_parts import asked_parts
from assistant.answer.instructions import masked
from assistant.answer.query import Query
from assistant.answer.ranking import asked_ranking, ranking_answer
from assistant.answer.retrieve import named_document
from assistant.answer.standing import asked_qualification, standing_answer
from assistant.core.records import AnswerPath, Evidence, RefusalReason
from assistant.facts.metrics import asked_metric
from assistant.profile.schema import Qualification
from assistant.store.index import Store


@dataclass
class Decided:
    """An answer decided in code: its text citing ``evidence`` as [1..n], its path, and a refusal's reason."""

    text: str
    evidence: list[Evidence]
    path: AnswerPath
    reason: RefusalReason | None = None


def _stored(store: Store, ids: list[str]) -> list[Evidence] | None:
    """The stored passages of ``ids``, in order; None when one is gone (the facts were read before)."""
    stored, _ = store.chunks_with_vectors(ids)
    by_id = {c.chunk_id: c for c in stored}
    if any(cid not in by_id for cid in ids):
        return None
    return [Evidence(chunk=by_id[cid], score=1.0) for cid in ids]


def figures_decided(store: Store, query: Query) -> Decided | None:
    """A metric or figure question answered from the company's facts, a refusal naming a missing input, or
    None (the facts are read only for a question about figures)."""
    company = query.company
    ranking = asked_ranking(query.text) is not None
    if not company or (not ranking and asked_metric(query.text) is None and asked_parts(query.text) is None):
        return None
    facts = store.facts(company)
    if doc := named_document(store, query.text, company):  # "according to annual_report_2023.pdf"
        facts = [f for f in facts if f.doc == doc]
    found = ranking_answer(query, facts) if ranking else metric_answer(query, facts)
    evidence = _stored(store, found.cited) if found is not None else None
    if found is None or evidence is None:
        return None
    if isinstance(found, MissingInputs):  # refused in code, naming the input, citing the ones there
        return Decided(found.text, evidence, "insufficient_evidence", "input_missing")
    return Decided(found.text, evidence, "computed")


@dataclass
class QualificationCache:
    """Each company's qualifications, read once per version of its documents (a profile takes seconds)."""

    by_company: dict[str, tuple[tuple[str, ...], list[Qualification]]] = field(default_factory=dict)

    def of(self, store: Store, company: str, today: date) -> list[Qualification]:
        version = tuple(sorted(store.document_hashes(company).get(company, {}).values()))
        cached = self.by_company.get(company)
        if cached is None or cached[0] != version:
            from assistant.profile.build import build_profile  # the profile stage, only for such questions

            cached = (version, build_profile(store, company, today).lists.qualifications)
            self.by_company[company] = cached
        return cached[1]


def standing_decided(store: Store, query: Query, cache: QualificationCache) -> Decided | None:
    """A qualification's standing, citing the passage that states its dates; None when the question asks none,
    the documents date none, or the quote is in no stored passage."""
    company = query.company
    if not company or asked_qualification(query.text) is None:
        return None
    today = date.today()
    found = standing_answer(query, cache.of(store, company, today), today)
    if found is None:
        return None
    doc, page, quote = found.quotes[0]
    chunks = store.company_texts(company)
    chunk = next((c for c in chunks if c.doc == doc and c.page == page and quote in c.text), None)
    return Decided(found.text, [Evidence(chunk=chunk, score=1.0)], "computed") if chunk else None


def cause_decided(query: Query, retrieved: list[Evidence]) -> Decided | None:
    """A why-question answered by the sentence that states the cause, looked for in every passage retrieved
    (not only those that fit the model's prompt), instructions masked; None when none states it."""
    found = cause_answer(query, masked(retrieved))
    if found is None:
        return None
    text, cited = found
    return Decided(renumbered(text, cited), [retrieved[n - 1] for n in cited], "quoted")
