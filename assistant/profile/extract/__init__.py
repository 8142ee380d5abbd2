"""Rule extraction over one company's stored chunks → an :class:`Extraction` of verified candidates.

Every extractor quotes the chunk's own characters; :func:`verify` then keeps a candidate only if its
quote is verbatim in that chunk and the value's digits (or words) are in the quote. An LLM extractor
can be plugged in with :func:`run_llm_extractor` for the fields rules leave unknown (not implemented
here: no LLM or embedding call happens in this package).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from assistant.core.records import Chunk
from assistant.profile.extract.candidates import Candidate, Extraction, LLMExtractor, verify
from assistant.profile.extract.facts import fact_items
from assistant.profile.extract.identity import identity_candidates
from assistant.profile.extract.lawsuits import lawsuit_items
from assistant.profile.extract.metrics import sentence_candidates
from assistant.profile.extract.patents import patent_lines, patent_rows
from assistant.profile.extract.periods import SegmentContext
from assistant.profile.extract.qualifications import qualification_items
from assistant.profile.extract.rounds import round_items, round_rows
from assistant.profile.extract.runway import runway_candidates
from assistant.profile.extract.tables import markdown_candidates, page_tables, text_table_candidates
from assistant.profile.extract.text import Segment, iter_tables, segments
from assistant.profile.sources import DocContext, doc_context
from assistant.text.dates import DateMention, dates
from assistant.text.normalize import fold_name


def own_name_check(company: str, aliases: Iterable[str]) -> tuple[list[str], Callable[[str], bool]]:
    """The company's names, and a test whether a name found in a document is one of them."""
    names = [n for n in {company, *aliases} if n and len(n) >= 2]
    folded = [fold_name(n) for n in names]

    def is_own(name: str) -> bool:
        f = fold_name(name)
        return any(a and (a in f or f in a) for a in folded if len(a) >= 2)

    return names, is_own


def document_contexts(chunks: Sequence[Chunk]) -> dict[str, DocContext]:
    by_doc: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        by_doc[c.doc].append(c)
    return {doc: doc_context(doc, cs) for doc, cs in by_doc.items()}


def _order(chunks: Sequence[Chunk]) -> list[Chunk]:
    """By document and page; within a page the stored (reading) order is kept."""
    return sorted(chunks, key=lambda c: (c.doc, c.page or 0))


def extract(
    chunks: Sequence[Chunk],
    company: str,
    aliases: Iterable[str] = (),
    contexts: dict[str, DocContext] | None = None,
) -> tuple[Extraction, dict[str, DocContext]]:
    """Run every rule extractor over a company's chunks."""
    contexts = contexts or document_contexts(chunks)
    names, is_own = own_name_check(company, aliases)
    ordered = _order(chunks)
    segs_by_chunk: dict[str, list[Segment]] = {c.chunk_id: segments(c) for c in ordered}
    pages: dict[tuple[str, int | None], list[Segment]] = defaultdict(list)
    for c in ordered:
        pages[(c.doc, c.page)].extend(segs_by_chunk[c.chunk_id])
    page_info = {key: page_tables(segs) for key, segs in pages.items()}
    ex = Extraction()
    raw: list[tuple[Candidate, Chunk]] = []
    for chunk in ordered:
        ctx = contexts[chunk.doc]
        segs = segs_by_chunk[chunk.chunk_id]
        seg_dates: list[list[DateMention]] = [dates(s.text) for s in segs]
        last_qual: list[str] = []
        for i, seg in enumerate(segs):
            prior = [d for k in range(max(0, i - 2), i) for d in seg_dates[k]]
            sctx = SegmentContext(doc=ctx, prior_dates=prior)
            for cand in identity_candidates(seg, ctx, is_own):
                raw.append((cand, chunk))
            for cand in sentence_candidates(seg, sctx):
                raw.append((cand, chunk))
            for cand in runway_candidates(seg, sctx):
                raw.append((cand, chunk))
            rounds, facts = round_items(seg, ctx)
            ex.rounds.extend(rounds)
            ex.facts.extend(facts)
            ex.qualifications.extend(qualification_items(seg, ctx, last_qual))
            ex.lawsuits.extend(lawsuit_items(seg, ctx, names))
            ex.patents.extend(patent_lines(seg))
            more_facts, customers = fact_items(seg)
            ex.facts.extend(more_facts)
            ex.customers.extend(customers)
        for cand in markdown_candidates(segs, ctx):
            raw.append((cand, chunk))
        for cand in text_table_candidates(segs, page_info[(chunk.doc, chunk.page)], ctx):
            raw.append((cand, chunk))
        for table in iter_tables(segs):
            ex.rounds.extend(round_rows(table, ctx))
            ex.patents.extend(patent_rows(table))
    seen: set[tuple[object, ...]] = set()
    for cand, chunk in raw:
        if not verify(cand, chunk):
            ex.rejected += 1
            continue
        key = (cand.field, cand.period, cand.value, cand.doc, cand.page, cand.quote)
        if key in seen:
            continue
        seen.add(key)
        ex.candidates.append(cand)
    return ex, contexts


def run_llm_extractor(
    llm: LLMExtractor, chunks: Sequence[Chunk], missing: Sequence[str]
) -> tuple[list[Candidate], int]:
    """Ask an LLM extractor for the missing fields; keep only candidates that pass :func:`verify`
    against the chunk they cite. Returns (kept, rejected)."""
    by_id = {c.chunk_id: c for c in chunks}
    kept: list[Candidate] = []
    rejected = 0
    for cand in llm(chunks, missing):
        chunk = by_id.get(cand.chunk_id)
        if chunk is None or cand.field not in missing or not verify(cand, chunk):
            rejected += 1
            continue
        kept.append(cand.model_copy(update={"doc": chunk.doc, "page": chunk.page, "rule": "llm"}))
    return kept, rejected
