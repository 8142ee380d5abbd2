"""Retrieval: dense search in the store, relevance floor, and a prompt-sized selection."""

from __future__ import annotations

import re
from collections.abc import Collection

import numpy as np

from assistant.answer.glossary import expand
from assistant.core.records import Chunk, Evidence
from assistant.store.index import Store
from assistant.store.keywords import tokenize
from assistant.text.cjk import HAN
from assistant.text.normalize import embedding_text

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)


def _fuse(dense: dict[str, float], keyword: dict[str, float], k: int) -> list[str]:
    """Chunk ids of the top k by reciprocal rank fusion of the dense and keyword rankings."""
    fused: dict[str, float] = {}
    for ranking in (dense, keyword):
        for rank, cid in enumerate(sorted(ranking, key=lambda i: -ranking[i])):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused, key=lambda i: -fused[i])[:k]


PORTFOLIO_EXACT = 64  # a portfolio up to this many companies is searched company by company (exact)


def hybrid_search(
    store: Store,
    question: str,
    company: str | None,
    k: int,
    doc: str | None = None,
    allowed: Collection[str] | None = None,
) -> list[Evidence]:
    """Dense (cosine) and keyword (BM25 over jieba tokens) rankings fused; Evidence.score is the cosine.

    Within one company every chunk is scored densely (exact); across companies Chroma's nearest
    neighbours and the keyword index's best matches are pooled. ``allowed`` (a user's portfolio) limits
    the search to those companies: no passage of another company is ever returned.
    """
    if allowed is not None and company is not None and company not in allowed:
        return []
    query = np.asarray(store.embeddings.embed_query(embedding_text(question)), dtype=np.float32)
    terms = tokenize(question)
    terms += [t for t in tokenize(expand(question)) if t not in terms]  # statement words for ratio questions
    if company:  # within one company its own names match everywhere and only favour title pages
        names = {t for alias in [company, *store.ledger.aliases().get(company, [])] for t in tokenize(alias)}
        terms = [t for t in terms if t not in names] or terms
    if doc:
        terms = [t for t in terms if t not in set(tokenize(doc))] or terms
    hits = dict(store.ledger.keyword_search(terms, company, limit=max(50, k * 5)))
    pool: dict[str, Chunk] = {}
    dense: dict[str, float] = {}
    scoped = (
        [company]
        if company
        else (sorted(allowed) if allowed is not None and len(allowed) <= PORTFOLIO_EXACT else [])
    )
    if company or allowed is not None and len(allowed) <= PORTFOLIO_EXACT:
        for name in scoped:
            chunks, vectors = store.company_chunks(name)
            for i, c in enumerate(chunks):
                if doc is None or c.doc == doc:
                    pool[c.chunk_id] = c
                    dense[c.chunk_id] = float(vectors[i] @ query)
    else:
        candidates = store.query(question, company=None, k=max(k * 5, 50), doc=doc, vector=query.tolist())
        pool = {e.chunk.chunk_id: e.chunk for e in candidates}
        dense = {e.chunk.chunk_id: e.score for e in candidates}
        extra = [cid for cid in hits if cid not in pool]
        for chunk, vector in zip(*store.chunks_with_vectors(extra), strict=False):
            if doc is None or chunk.doc == doc:
                pool[chunk.chunk_id] = chunk
                dense[chunk.chunk_id] = float(np.asarray(vector, dtype=np.float32) @ query)
    if allowed is not None:  # enforced here, where passages are read
        pool = {cid: c for cid, c in pool.items() if c.company in allowed}
        dense = {cid: v for cid, v in dense.items() if cid in pool}
    keyword = {cid: score for cid, score in hits.items() if cid in pool}
    return [Evidence(chunk=pool[cid], score=round(dense[cid], 4)) for cid in _fuse(dense, keyword, k)]


def retrieve(
    store: Store,
    question: str,
    company: str | None,
    k: int,
    min_relevance: float,
    doc: str | None = None,
    allowed: Collection[str] | None = None,
) -> list[Evidence]:
    """Top-k fused passages, or none when even the best is below the relevance floor."""
    found = hybrid_search(store, question, company, k, doc, allowed)
    if not found or max(e.score for e in found) < min_relevance:
        return []
    return found


def named_document(store: Store, question: str, company: str | None) -> str | None:
    """A stored file the question names explicitly ("according to annual_report_2023.pdf …")."""
    if not company:
        return None
    folded = question.casefold()
    names = [doc for _, doc in store.documents(company) if doc.casefold() in folded]
    return max(names, key=len) if names else None


_CJK = re.compile(r"[" + HAN + r"]")


def estimate_tokens(text: str) -> int:
    """Rough prompt tokens for Qwen-style tokenizers: ~0.75 per CJK character, ~0.3 per other."""
    cjk = len(_CJK.findall(text))
    return int(cjk * 0.75 + (len(text) - cjk) * 0.3) + 1


def select_passages(evidence: list[Evidence], top_k: int, token_budget: int) -> list[Evidence]:
    """The best passages that fit the prompt's token budget (always at least one)."""
    chosen: list[Evidence] = []
    used = 0
    for item in evidence:
        if len(chosen) >= top_k:
            break
        size = estimate_tokens(item.chunk.text)
        if chosen and used + size > token_budget:
            continue
        chosen.append(item)
        used += size
    return chosen
