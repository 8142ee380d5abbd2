"""Retrieval: dense search in the store, relevance floor, and a prompt-sized selection."""

from __future__ import annotations

from assistant.store import Store
from assistant.types import Evidence


def retrieve(
    store: Store, question: str, company: str | None, k: int, min_relevance: float, doc: str | None = None
) -> list[Evidence]:
    """Top-k passages above the relevance floor, best first."""
    return [e for e in store.query(question, company=company, k=k, doc=doc) if e.score >= min_relevance]


def named_document(store: Store, question: str, company: str | None) -> str | None:
    """A stored file the question names explicitly ("according to annual_report_2023.pdf …")."""
    if not company:
        return None
    folded = question.casefold()
    names = [doc for _, doc in store.documents(company) if doc.casefold() in folded]
    return max(names, key=len) if names else None


def select_passages(evidence: list[Evidence], top_k: int, char_budget: int) -> list[Evidence]:
    """The best passages that fit the prompt budget (always at least one)."""
    chosen: list[Evidence] = []
    used = 0
    for item in evidence:
        if len(chosen) >= top_k:
            break
        size = len(item.chunk.text)
        if chosen and used + size > char_budget:
            continue
        chosen.append(item)
        used += size
    return chosen
