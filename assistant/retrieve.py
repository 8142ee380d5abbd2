"""Retrieval: dense search in the store, relevance floor, and a prompt-sized selection."""

from __future__ import annotations

import re

import numpy as np

from assistant.keyword import bm25_scores
from assistant.store import Store
from assistant.types import Evidence

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)


def _fuse(dense: list[float], keyword: list[float], k: int) -> list[int]:
    """Indices of the top k by reciprocal rank fusion of two score lists (keyword zeros don't count)."""
    fused = [0.0] * len(dense)
    for rank, i in enumerate(sorted(range(len(dense)), key=lambda j: -dense[j])):
        fused[i] += 1.0 / (RRF_K + rank)
    for rank, i in enumerate(sorted(range(len(keyword)), key=lambda j: -keyword[j])):
        if keyword[i] > 0:
            fused[i] += 1.0 / (RRF_K + rank)
    return sorted(range(len(dense)), key=lambda j: -fused[j])[:k]


def hybrid_search(store: Store, question: str, company: str | None, k: int, doc: str | None = None) -> list[Evidence]:
    """Dense (cosine) and keyword (BM25) rankings fused; Evidence.score stays the cosine similarity.

    Within one company every chunk is scored both ways (exact); across companies the dense
    top candidates from Chroma are re-ranked.
    """
    if company:
        chunks, vectors = store.company_chunks(company)
        keep = [i for i, c in enumerate(chunks) if doc is None or c.doc == doc]
        if not keep:
            return []
        query = np.asarray(store.embeddings.embed_query(question), dtype=np.float32)
        dense = (vectors[keep] @ query).tolist()
        pool = [chunks[i] for i in keep]
    else:
        candidates = store.query(question, company=None, k=max(k * 5, 50), doc=doc)
        pool = [e.chunk for e in candidates]
        dense = [e.score for e in candidates]
    keyword = bm25_scores(question, [c.text for c in pool])
    return [Evidence(chunk=pool[i], score=round(float(dense[i]), 4)) for i in _fuse(dense, keyword, k)]


def retrieve(
    store: Store, question: str, company: str | None, k: int, min_relevance: float, doc: str | None = None
) -> list[Evidence]:
    """Top-k fused passages, or none when even the best is below the relevance floor."""
    found = hybrid_search(store, question, company, k, doc)
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


_CJK = re.compile(r"[\u3400-\u9fff]")


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
