"""Retrieval: dense search in the store, relevance floor, and a prompt-sized selection."""

from __future__ import annotations

from assistant.store import Store
from assistant.types import Evidence


def retrieve(store: Store, question: str, company: str | None, k: int, min_relevance: float) -> list[Evidence]:
    """Top-k passages above the relevance floor, best first."""
    return [e for e in store.query(question, company=company, k=k) if e.score >= min_relevance]


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
